"""A jupyter_client kernel provisioner that starts every grading kernel inside the sandbox.

nbval starts its kernels through jupyter_client; a *kernel provisioner* is jupyter_client's own
extension point for how a kernel process is launched. The grading kernelspec
(``kernelspec.write``) names this provisioner, so nbval needs no change: each kernel gets a
fresh folder of its own under ``root`` (never the folder of the notebook, which holds the
tests), talks over IPC sockets in that folder, and runs under ``sandbox.command`` with the
``sandbox.Limits`` (its working folder a size-limited tmpfs; its processes and threads capped,
for a root grader by a ``pids`` cgroup of its own). The folder and the cgroup are removed when
the kernel is cleaned up.

Registered as the entry point ``coursetools-sandbox`` in ``pyproject.toml``.
"""
from __future__ import annotations

import functools
import json
import os
import secrets
import shutil
from pathlib import Path

import zmq
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Dict, Unicode, default

from coursetools.grading.run import sandbox

NAME = "coursetools-sandbox"
KERNEL_NAME = "coursetools-grading"
# No message larger than this ever reaches the grader: ZeroMQ drops it and disconnects the
# kernel (a kernel printing in a tight loop sends its buffered output as one message of
# hundreds of MB, which the grader would otherwise have to receive and parse). Larger than any
# cell's output budget, so one message alone can only overrun that budget.
MAX_MESSAGE_BYTES = 4 * 2**20
# And no more than this many messages wait in ZeroMQ's queue of a socket (its default, 1,000
# messages of up to MAX_MESSAGE_BYTES each, would let a kernel park 4 GB in the grader before
# the plugin reads and counts them; a sender past it waits).
QUEUED_MESSAGES = 32


class GradingClient(BlockingKernelClient):
    """The client nbval gets for a grading kernel: its sockets refuse oversized messages."""

    @default("context")
    def _limited_context(self):
        self._created_context = True
        context = zmq.Context()
        context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        context.setsockopt(zmq.RCVHWM, QUEUED_MESSAGES)
        return context


class SandboxProvisioner(LocalProvisioner):
    """LocalProvisioner with the launch command wrapped in bubblewrap."""

    root = Unicode("", help="folder that holds one subfolder per kernel").tag(config=True)
    fonts = Unicode("", help="folder with matplotlib's font list (sandbox.font_cache)").tag(config=True)
    limits = Dict({}, help="sandbox.Limits fields").tag(config=True)

    folder: Path | None = None
    group: sandbox.ProcessGroup | None = None

    async def pre_launch(self, **kwargs):
        km = self.parent
        km.client_factory = GradingClient
        limits = sandbox.Limits(**self.limits)
        if self.folder is None:  # a restart keeps the folder (and the connection file)
            self.folder = Path(self.root) / secrets.token_hex(4)
            self.folder.mkdir(parents=True)
            km.transport = "ipc"
            km.ip = str(self.folder / "ipc")
            km.connection_file = str(self.folder / "connection.json")
            if os.getuid() == 0:
                self.group = sandbox.ProcessGroup.create(self.folder.name, limits.processes)
        kwargs["cwd"] = str(self.folder)
        kwargs.pop("env", None)
        kwargs = await super().pre_launch(**kwargs)
        kwargs["cmd"] = sandbox.command(kwargs["cmd"], self.folder, limits,
                                        Path(self.fonts) if self.fonts else None)
        kwargs["env"] = sandbox.environment(sandbox.work_folder(self.folder))
        kwargs["preexec_fn"] = functools.partial(limits.apply, self.group)
        return kwargs

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart=restart)
        if not restart and self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
            if self.group is not None:
                self.group.remove()
                self.group = None


def write_kernelspec(jupyter_path: Path, root: Path, limits: sandbox.Limits,
                     fonts: Path | None = None) -> str:
    """Write the grading kernelspec under ``jupyter_path/kernels``; returns the kernel name."""
    import sys

    folder = Path(jupyter_path) / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                     "--HistoryManager.enabled=False"],
            "display_name": "Python 3 (grading sandbox)", "language": "python",
            "interrupt_mode": "message",
            "metadata": {"kernel_provisioner": {
                "provisioner_name": NAME,
                "config": {"root": str(root), "limits": vars(limits),
                           "fonts": str(fonts or "")}}}}
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return KERNEL_NAME
