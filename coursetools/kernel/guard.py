"""The inner layer of a grading kernel: an audit hook installed before any student code runs.

The wall around a grading kernel is the operating-system sandbox (``coursetools.grading.run.sandbox``):
the kernel sees a read-only Python, its own empty folder and nothing else, has no network, and
is killed from outside when it exceeds its time, output or memory budget. This hook adds what the
sandbox alone does not stop, so that a submission cannot hurt the *other* kernels or the machine:

- no new processes (``subprocess``, ``os.system``, ``fork``, ``exec``, ``posix_spawn``, and the
  functions that start or signal processes without raising an audit event) - a fork bomb would
  otherwise be limited only by the kernel's time budget;
- no native code of its own: ``ctypes`` cannot load or call anything, ``cffi`` cannot be
  imported, and nothing is written outside the kernel's private folder (so no shared library
  can be dropped and loaded);
- no raising of resource limits, no signals to other processes.

CPython documents audit hooks as unsuitable for sandboxing on their own, which is why the
boundary is the sandbox; a way around this hook costs a submission nothing but the time budget
it would have anyway. ``install`` leaves no names in the kernel's namespace.
"""
VERSION = 2
PREFIX = "coursetools-guard"


def install(private_dir):
    """Install the hook in the running kernel; ``private_dir`` is the only writable folder."""
    import importlib
    import os
    import sys

    class GradingPermissionError(PermissionError):
        """An operation that grading does not allow."""

    os.makedirs(private_dir, exist_ok=True)
    os.environ["TMPDIR"] = private_dir
    sys.dont_write_bytecode = True
    writable = os.path.realpath(private_dir).rstrip(os.sep) + os.sep
    denied_events = {
        "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
        "os.forkpty", "os.kill", "os.killpg", "signal.pthread_kill", "pty.spawn",
        "resource.setrlimit", "resource.prlimit", "ctypes.dlopen", "os.chroot", "os.setuid",
        "os.setgid", "os.mkfifo", "os.mknod", "os.link", "os.symlink", "os.chown",
    }
    # numpy loads ctypes for itself: both are imported now, and every use of ctypes that reaches
    # native code raises a "ctypes.*" event, denied below. A *fresh* import of these modules
    # would undo what is neutralised here, so it is denied.
    importlib.import_module("numpy")
    denied_imports = {"cffi", "_cffi_backend", "_posixsubprocess", "_testcapi",
                      "_testinternalcapi", "_xxsubinterpreters"}
    write_events = {"os.remove", "os.rmdir", "os.mkdir", "os.rename", "os.truncate", "os.chmod",
                    "os.utime", "shutil.rmtree", "shutil.move", "shutil.copyfile"}
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def inside(path):
        try:
            real = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return False
        return (real + os.sep).startswith(writable)

    def hook(event, args):
        if event in denied_events or event.startswith("ctypes."):
            raise GradingPermissionError(f"{event} is not allowed while grading")
        if event == "import" and args and args[0] in denied_imports:
            raise GradingPermissionError(f"importing {args[0]} is not allowed while grading")
        if event == "open" and len(args) >= 3:
            path, mode, flags = args[:3]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & write_flags)
            if writing and isinstance(path, (str, bytes, os.PathLike)) and not inside(path):
                raise GradingPermissionError("writing files is not allowed while grading")
        elif event in write_events and args and not inside(args[0]):
            raise GradingPermissionError("changing files is not allowed while grading")

    def blocked(*args, **kwargs):
        raise GradingPermissionError("starting or signalling processes is not allowed while grading")

    # Ways to start or signal a process that raise no audit event: neutralised before the hook.
    for module_name, names in (("_posixsubprocess", ("fork_exec",)), ("subprocess", ("_fork_exec",)),
                               ("os", ("pidfd_open", "fork", "forkpty")),
                               ("posix", ("pidfd_open", "fork", "forkpty")),
                               ("signal", ("pidfd_send_signal",))):
        module = sys.modules.get(module_name) or importlib.import_module(module_name)
        for name in names:
            if hasattr(module, name):
                setattr(module, name, blocked)
    sys.addaudithook(hook)
