"""The operating-system sandbox around every grading kernel: bubblewrap, plus resource limits.

Why bubblewrap (``bwrap``, the sandbox under Flatpak): it is a small, maintained Debian package
(``apt-get install bubblewrap``) that builds a sandbox from Linux namespaces, unprivileged, with
no daemon and no image: a student's kernel starts in milliseconds inside it. Docker needs an
engine (none runs on many grading machines, including CI runners without privileges), and
seccomp-only tools cannot hide files. So a grading kernel runs as
``bwrap <the view below> -- python -m ipykernel_launcher -f <connection file>`` and sees

- the Python installation and the virtualenv, read-only, and the system's shared libraries;
- its own empty folder (the only writable place: the kernel's IPC sockets, its temporary files),
  and a small private ``/tmp``;
- a private ``/proc`` of its own processes, a minimal ``/dev``;
- nothing else: not the repository, the instructor notebook, the submissions, OUT, other
  kernels' folders or the grader's process; no network at all (the kernel protocol runs over
  IPC sockets in its folder).

Resource limits are set on the sandbox's first process and inherited: address space (memory),
file size, open files, CPU seconds and, for an unprivileged grader, processes. Wall-clock,
output and notebook budgets are enforced from outside by the pytest plugin, which kills the
sandbox (``--die-with-parent`` and the PID namespace take every process in it along).
"""
from __future__ import annotations

import dataclasses
import functools
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

from coursetools.grading.run import sandbox_advice

MIB = 2**20


class SandboxUnavailable(RuntimeError):
    """No sandbox can run on this machine (the message says why and what to do)."""


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one grading kernel may use (each enforced by the operating system)."""

    memory_bytes: int = 2048 * MIB   # address space of each process (Python + numpy need ~1 GiB)
    file_bytes: int = 64 * MIB       # largest file it may write
    tmp_bytes: int = 64 * MIB        # size of its private /tmp
    open_files: int = 256
    processes: int = 256             # enforced when the grader does not run as root
    cpu_seconds: int = 900

    def apply(self) -> None:
        """Set the limits on the current process (run in the child before ``bwrap`` starts)."""
        for kind, value in ((resource.RLIMIT_AS, self.memory_bytes),
                            (resource.RLIMIT_FSIZE, self.file_bytes),
                            (resource.RLIMIT_NOFILE, self.open_files),
                            (resource.RLIMIT_CPU, self.cpu_seconds),
                            (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(kind, (value, value))
        if os.getuid() != 0:
            resource.setrlimit(resource.RLIMIT_NPROC, (self.processes, self.processes))


def bwrap() -> str | None:
    return shutil.which("bwrap")


def _system_library_binds() -> list[str]:
    """Read-only binds of the shared-library folders (symlinked ones as symlinks)."""
    args = []
    for folder in ("/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/local/lib"):
        path = Path(folder)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), folder]
        elif path.is_dir():
            args += ["--ro-bind", folder, folder]
    return args


def python_roots() -> list[str]:
    """The folders a kernel needs to run Python: the installation and the virtualenv."""
    roots = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), sys.prefix}
    return sorted(roots)


def command(inner: list[str], folder: Path, limits: Limits = Limits()) -> list[str]:
    """``inner`` (a kernel command line) wrapped in the sandbox, with ``folder`` writable."""
    exe = bwrap()
    if exe is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
    folder = str(Path(folder).resolve())
    args = [exe, "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--disable-userns",
            "--clearenv", "--proc", "/proc", "--dev", "/dev",
            "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp"]
    for root in python_roots():
        args += ["--ro-bind", root, root]
    args += _system_library_binds()
    args += ["--bind", folder, folder, "--chdir", folder]
    for key, value in environment(folder).items():
        args += ["--setenv", key, value]
    return args + ["--", *inner]


def environment(folder: str) -> dict[str, str]:
    """The kernel's whole environment: nothing of the grader's (no paths, no secrets)."""
    return {"PATH": "/usr/bin:/bin", "HOME": folder, "TMPDIR": folder, "LANG": "C.UTF-8",
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{folder}/.matplotlib",
            "IPYTHONDIR": f"{folder}/.ipython", "JUPYTER_PLATFORM_DIRS": "1",
            "PYTHONDONTWRITEBYTECODE": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "MALLOC_ARENA_MAX": "2"}


def font_cache() -> Path:
    """matplotlib's font list as seen inside the sandbox, built once per machine and version.

    Every kernel gets a copy in its own folder (matplotlib wants its cache folder writable);
    without it, each kernel would rebuild the list (1.5 s) when the student imports pyplot.
    """
    from importlib.metadata import version

    from coursetools.grading.run.cache import cache_dir

    folder = cache_dir() / f"matplotlib-{version('matplotlib')}"
    if not any(folder.glob("fontlist-*.json")):
        folder.mkdir(parents=True, exist_ok=True)
        inner = [sys.executable, "-c", "import matplotlib.font_manager"]
        args = command(inner, folder)
        position = args.index("--")
        args[position:position] = ["--setenv", "MPLCONFIGDIR", str(folder)]
        subprocess.run(args, capture_output=True, timeout=120)
    return folder


@functools.lru_cache(maxsize=1)
def problem() -> str | None:
    """Why no sandbox can run here (None: it can). Tried once per process with a real sandbox."""
    if not sys.platform.startswith("linux"):
        return sandbox_advice.not_linux(sandbox_advice.current())
    if bwrap() is None:
        return ("bubblewrap is not installed (Debian/Ubuntu: `sudo apt-get install bubblewrap`; "
                "`make grade` installs it)")
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"coursetools-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    try:
        done = subprocess.run(command([sys.executable, "-c", "print('ok')"], probe),
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bubblewrap does not start: {error}"
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    if done.returncode != 0 or done.stdout.strip() != "ok":
        return sandbox_advice.cannot_start(done.stderr, sandbox_advice.current())
    return None
