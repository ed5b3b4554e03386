"""The operating-system sandbox around every grading kernel: bubblewrap, plus resource limits.

Why bubblewrap (``bwrap``, the sandbox under Flatpak): it is a small, maintained Debian package
(``apt-get install bubblewrap``) that builds a sandbox from Linux namespaces, unprivileged, with
no daemon and no image: a student's kernel starts in milliseconds inside it. Docker needs an
engine (none runs on many grading machines, including CI runners without privileges), and
seccomp-only tools cannot hide files. So a grading kernel runs as
``bwrap <the view below> -- python -m ipykernel_launcher -f <connection file>`` and sees

- the Python installation and the virtualenv, read-only, and the system's shared libraries;
- its own folder, holding only the connection file and the kernel's IPC sockets, and inside it
  ``work/``, the kernel's working folder (``HOME``, ``TMPDIR``): a size-limited ``tmpfs``
  (bubblewrap's ``--size``) in the sandbox's memory, never on the grader's disk, so a
  submission that writes gets "No space left on device" at ``disk_bytes``; and a private
  ``/tmp``, another tmpfs of ``tmp_bytes``;
- a private ``/proc`` of its own processes, a minimal ``/dev``;
- nothing else: not the repository, the instructor notebook, the submissions, OUT, other
  kernels' folders or the grader's process; no network at all (the kernel protocol runs over
  IPC sockets in its folder).

Resource limits are set on the sandbox's first process and inherited: address space (memory),
file size, open files, CPU seconds, and processes *and threads*. The last one needs care: the
kernel runs as the grader's user, and ``RLIMIT_NPROC`` does not apply to root (uid 0 outside
the user namespace, whatever uid the sandbox shows). So for a grader running as root every
kernel gets a ``pids`` cgroup of its own (``ProcessGroup``: cgroup v1 ``/sys/fs/cgroup/pids``
or a v2 hierarchy with the ``pids`` controller; every thread counts), and for any other user
``RLIMIT_NPROC``. ``process_cap()`` says which one this machine uses. Wall-clock, output and
notebook budgets are enforced from outside by the pytest plugin, which kills the sandbox
(``--die-with-parent`` and the PID namespace take every process in it along).
"""
from __future__ import annotations

import dataclasses
import functools
import os
import resource
import shutil
import subprocess
import sys
import time
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
    disk_bytes: int = 64 * MIB       # size of its working folder (a tmpfs)
    tmp_bytes: int = 16 * MIB        # size of its private /tmp (a tmpfs)
    open_files: int = 256
    processes: int = 128             # processes and threads (a pids cgroup, or RLIMIT_NPROC)
    cpu_seconds: int = 900

    def apply(self, group: "ProcessGroup | None" = None) -> None:
        """Set the limits on the current process (run in the child before ``bwrap`` starts);
        ``group``: the kernel's pids cgroup, which this process joins (and so all it starts)."""
        if group is not None:
            group.join()
        for kind, value in ((resource.RLIMIT_AS, self.memory_bytes),
                            (resource.RLIMIT_FSIZE, self.file_bytes),
                            (resource.RLIMIT_NOFILE, self.open_files),
                            (resource.RLIMIT_CPU, self.cpu_seconds),
                            (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(kind, (value, value))
        if os.getuid() != 0:
            resource.setrlimit(resource.RLIMIT_NPROC, (self.processes, self.processes))


class ProcessGroup:
    """A ``pids`` cgroup of one kernel: at most ``limit`` processes and threads in it, whoever
    runs them (root included). ``create`` returns None where no such cgroup can be made."""

    ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))

    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def available_root(cls) -> Path | None:
        for root in cls.ROOTS:
            v1 = root.name == "pids" and (root / "cgroup.procs").is_file()
            controllers = root / "cgroup.controllers"
            v2 = controllers.is_file() and "pids" in controllers.read_text().split()
            if (v1 or v2) and os.access(root, os.W_OK):
                return root
        return None

    @classmethod
    def create(cls, name: str, limit: int) -> "ProcessGroup | None":
        root = cls.available_root()
        if root is None:
            return None
        path = root / "coursetools" / name
        cls._prune(root / "coursetools")
        try:
            if root.name != "pids":   # cgroup v2: the parent must hand the controller down
                (root / "coursetools").mkdir(exist_ok=True)
                (root / "cgroup.subtree_control").write_text("+pids")
                (root / "coursetools" / "cgroup.subtree_control").write_text("+pids")
            path.mkdir(parents=True, exist_ok=True)
            (path / "pids.max").write_text(str(limit))
        except OSError:
            return None
        return cls(path)

    @staticmethod
    def _prune(parent: Path, age: float = 600.0) -> None:
        """Remove groups left empty by kernels whose clean-up never ran (a lost worker): an
        empty group older than ``age`` seconds belongs to no running kernel."""
        for group in parent.glob("*/pids.max"):
            try:
                if time.time() - group.parent.stat().st_mtime > age and \
                        (group.parent / "pids.current").read_text().strip() == "0":
                    group.parent.rmdir()
            except OSError:
                pass

    def join(self) -> None:
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def remove(self) -> None:
        """Remove the cgroup once its processes are gone (it waits a little for them)."""
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.05)


def process_cap() -> str:
    """How this machine caps a kernel's processes and threads (for the instructor's record)."""
    if os.getuid() != 0:
        return "RLIMIT_NPROC"
    return "pids cgroup" if ProcessGroup.available_root() else "none (root without a pids cgroup)"


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


WORK = "work"   # the kernel's working folder, inside its folder: a size-limited tmpfs


def work_folder(folder: str | Path) -> str:
    return f"{Path(folder).resolve()}/{WORK}"


def command(inner: list[str], folder: Path, limits: Limits = Limits(),
            fonts: Path | None = None) -> list[str]:
    """``inner`` (a kernel command line) wrapped in the sandbox: ``folder`` bound (connection
    file, sockets), its ``work/`` a tmpfs of ``limits.disk_bytes`` (also ``/tmp``), where the
    kernel runs; ``fonts``: matplotlib's font list, shown read-only in ``work/.matplotlib``."""
    exe = bwrap()
    if exe is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
    folder = str(Path(folder).resolve())
    work = work_folder(folder)
    args = [exe, "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--disable-userns",
            "--clearenv", "--proc", "/proc", "--dev", "/dev",
            "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp"]
    for root in python_roots():
        args += ["--ro-bind", root, root]
    args += _system_library_binds()
    args += ["--bind", folder, folder, "--size", str(limits.disk_bytes), "--tmpfs", work,
             "--chdir", work]
    for found in sorted(Path(fonts).glob("fontlist-*.json")) if fonts else []:
        args += ["--ro-bind", str(found), f"{work}/.matplotlib/{found.name}"]
    for key, value in environment(work).items():
        args += ["--setenv", key, value]
    return args + ["--", *inner]


def environment(folder: str) -> dict[str, str]:
    """The kernel's whole environment: nothing of the grader's (no paths, no secrets);
    ``folder``: its working folder."""
    return {"PATH": "/usr/bin:/bin", "HOME": folder, "TMPDIR": folder, "LANG": "C.UTF-8",
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{folder}/.matplotlib",
            "IPYTHONDIR": f"{folder}/.ipython", "JUPYTER_PLATFORM_DIRS": "1",
            "PYTHONDONTWRITEBYTECODE": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "MALLOC_ARENA_MAX": "2"}


def font_cache() -> Path:
    """matplotlib's font list as seen inside the sandbox, built once per machine and version.

    Every kernel sees it read-only in its working folder (``command(fonts=...)``); without it, each kernel would rebuild the list (1.5 s) when the student imports pyplot.
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
