"""The guard: what the first cell of every grading notebook runs before any student code.

Why a guard inside the kernel at all, when the comparison happens outside it? Because the
student's code still runs there, and it could try to *look* for answers (open the instructor
notebook, the grading notebook itself with its hidden tests, files of the grader), reach out
(subprocesses, sockets, signals to the grader), or exhaust the machine (memory, endless loops).
The guard makes each of those fail fast inside that one kernel:

- a ``sys.addaudithook`` hook (it cannot be removed once installed) that denies opening or
  listing files outside the Python installation and a private temporary folder, writing or
  deleting anything outside that folder, starting processes, sending signals, using sockets,
  ``ctypes`` and raising resource limits;
- ``RLIMIT_AS``: a huge allocation raises ``MemoryError`` instead of swapping the machine;
- a per-cell alarm: a cell that runs longer than the time limit is interrupted with
  ``GradingTimeout`` (a ``KeyboardInterrupt``, so the test helpers let it through), and the
  next cells still run. nbval's own cell timeout stays as the backstop.

Some ways out raise no audit event at all (``_posixsubprocess.fork_exec``, ``pidfd`` signals,
``cffi``): those functions are replaced and their modules may not be imported afresh.

An audit hook is not a sandbox (CPython says so itself): code that manages to run native code
(for example a shared library it writes and loads) gets past it. It raises the cost of cheating
a lot, and nothing the kernel reports is trusted by the grader anyway (see ``compare``); for
high-stakes grading, run the grader as a user who cannot read anything but the submissions
and the instructor notebook, or in a container.

This module is inlined verbatim into the setup cell (``notebook.setup_cell``), so it imports only
the standard library, and everything happens inside ``install`` to leave the student's namespace
clean.
"""


GUARD_PREFIX = "[grading guard]"


def install(allowed_roots, private_dir, memory_bytes, cell_seconds, preload=()):
    """Install the guard in the running kernel; returns nothing and leaves no global names."""
    import importlib
    import os
    import pathlib
    import re
    import resource
    import signal
    import sys
    import tempfile
    import threading

    prefix = GUARD_PREFIX
    # Cells' code objects are named after files in this folder (ipykernel's convention; the
    # files do not exist): traceback formatting may look there, which is harmless.
    cell_files = os.path.join(tempfile.gettempdir(), f"ipykernel_{os.getpid()}")
    os.makedirs(private_dir, exist_ok=True)
    os.environ["TMPDIR"] = private_dir
    os.environ["MPLBACKEND"] = "Agg"
    tempfile.tempdir = private_dir
    sys.dont_write_bytecode = True
    # Imports the student's code needs and that read caches outside the allowed folders
    # (matplotlib's font cache) happen now, before the hook exists.
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception:  # a missing optional module is the student's problem, reported later
            pass

    def _real(path):
        return os.path.realpath(os.path.join(os.getcwd(), path))

    read_roots = tuple(os.path.realpath(p).rstrip(os.sep) + os.sep
                       for p in (*allowed_roots, cell_files))
    write_root = os.path.realpath(private_dir).rstrip(os.sep) + os.sep
    devices = ("/dev/null", "/dev/urandom", "/dev/random", "/dev/zero")
    # The kernel lists processes when it shuts down (psutil): /proc and each process's stat
    # line may be read, nothing else there (no command lines, no environments).
    proc_ok = re.compile(r"^/proc(/[0-9]+/(stat|status))?$")
    # Only places under the allowed roots stay importable (not the grading folder, not the
    # repository): imports of new modules then read nothing else.
    sys.path[:] = [p for p in sys.path if p and (_real(p) + os.sep).startswith(read_roots)]

    denied_events = {
        "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
        "os.forkpty", "os.kill", "os.killpg", "signal.pthread_kill", "pty.spawn", "os.startfile",
        "resource.setrlimit", "resource.prlimit", "sqlite3.connect", "sqlite3.connect/handle",
        "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
        "socket.gethostbyname", "socket.gethostbyaddr", "socket.gethostname", "socket.sethostname",
        "socket.getnameinfo", "webbrowser.open", "urllib.Request", "http.client.connect",
        "ftplib.connect", "smtplib.connect", "poplib.connect", "imaplib.open", "nntplib.connect",
        "os.chroot", "os.setuid", "os.setgid", "os.mkfifo", "os.mknod", "os.link", "os.chown",
        "os.lchown", "os.chflags", "os.lchflags", "os.setxattr", "os.removexattr",
    }
    # Modules that reach the operating system without raising audit events: a fresh import
    # (after removing them from sys.modules) would restore what is neutralised below.
    denied_imports = {"cffi", "_cffi_backend", "ctypes", "_ctypes", "_posixsubprocess", "posix",
                      "_signal", "_testcapi", "_testinternalcapi", "_xxsubinterpreters"}
    read_events = {"os.listdir", "os.scandir", "glob.glob", "glob.glob/2", "os.chdir",
                   "os.getxattr", "os.listxattr"}
    # event -> positions of its path arguments
    write_events = {"os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.rename": (0, 1),
                    "os.truncate": (0,), "os.chmod": (0,), "os.lchmod": (0,), "os.utime": (0,),
                    "os.symlink": (0, 1), "shutil.rmtree": (0,), "shutil.move": (0, 1),
                    "shutil.copyfile": (0, 1), "shutil.copymode": (0, 1),
                    "shutil.copystat": (0, 1), "shutil.copytree": (0, 1), "shutil.chown": (0,),
                    "shutil.make_archive": (0,), "shutil.unpack_archive": (0, 1)}
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    path_types = (str, bytes, pathlib.PosixPath, pathlib.PurePosixPath)
    # Set while the hook itself works (its own path checks raise events too); per thread, so
    # that another thread's event is never waved through.
    local = threading.local()

    class GradingPermissionError(PermissionError):
        """Raised by the guard; its name in a result tells the grader what was blocked."""

        def __init__(self, message):
            super().__init__(message)
            # Also on the cell's stderr: the grader reports it even if the code catches it.
            try:
                sys.stderr.write(f"{prefix} blocked: {message}\n")
            except Exception:
                pass

    def _path(value):
        # Only plain paths: a user-defined os.PathLike could answer differently to the hook
        # and to the call that follows it.
        if type(value) not in path_types:
            raise GradingPermissionError("only plain str/bytes paths are allowed while grading")
        value = os.fsdecode(os.fspath(value))
        if value in devices:
            return value
        return _real(value)

    def _check_read(value):
        if type(value) is int:  # an already open file descriptor
            return
        path = _path(value)
        if path in devices or (path + os.sep).startswith(write_root) or proc_ok.match(path):
            return
        if not (path + os.sep).startswith(read_roots):
            raise GradingPermissionError(f"reading {path!r} is not allowed while grading")

    def _check_write(value):
        if type(value) is int:
            return
        path = _path(value)
        if path in devices:
            return
        if not path.startswith(write_root):
            raise GradingPermissionError(f"changing {path!r} is not allowed while grading")

    def hook(event, args):
        if getattr(local, "busy", False):  # our own checks do not re-enter
            return
        if event in denied_events or event.startswith("ctypes."):
            raise GradingPermissionError(f"{event} is not allowed while grading")
        if event == "open":
            local.busy = True
            try:
                path, mode, flags = (tuple(args) + (None, None, None))[:3]
                writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                    isinstance(flags, int) and flags & write_flags)
                (_check_write if writing else _check_read)(path)
            finally:
                local.busy = False
        elif event in read_events:
            local.busy = True
            try:
                _check_read(args[0] if args else ".")
            finally:
                local.busy = False
        elif event in write_events:
            local.busy = True
            try:
                for position in write_events[event]:
                    value = args[position] if position < len(args) else None
                    if value is not None:
                        _check_write(value)
            finally:
                local.busy = False
        elif event == "import" and args and args[0] in denied_imports:
            raise GradingPermissionError(f"importing {args[0]} is not allowed while grading")

    # Memory: a limit on the address space, above what the kernel already maps.
    if memory_bytes:
        with open("/proc/self/status") as status:
            mapped = next((int(line.split()[1]) * 1024 for line in status
                           if line.startswith("VmSize:")), 0)
        limit = mapped + int(memory_bytes)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    # Time: a per-cell alarm armed before and disarmed after every cell.
    class GradingTimeout(KeyboardInterrupt):
        """A cell ran longer than the grading time limit."""

    def on_alarm(signum, frame):
        raise GradingTimeout(f"the cell ran longer than {cell_seconds:g} s")

    if cell_seconds:
        shell = get_ipython()  # noqa: F821 (the kernel provides it)
        signal.signal(signal.SIGALRM, on_alarm)
        shell.events.register("pre_run_cell",
                              lambda *info: signal.setitimer(signal.ITIMER_REAL, cell_seconds))
        shell.events.register("post_run_cell",
                              lambda *result: signal.setitimer(signal.ITIMER_REAL, 0))

    # Ways to start a process or signal one that raise no audit event: neutralised.
    def blocked(*args, **kwargs):
        raise GradingPermissionError("starting or signalling processes is not allowed while "
                                     "grading")

    for module_name, names in (("_posixsubprocess", ("fork_exec",)),
                               ("subprocess", ("_fork_exec",)),
                               ("os", ("pidfd_open",)), ("posix", ("pidfd_open",)),
                               ("signal", ("pidfd_send_signal",)),
                               ("_signal", ("pidfd_send_signal",))):
        module = sys.modules.get(module_name) or importlib.import_module(module_name)
        for name in names:
            if hasattr(module, name):
                setattr(module, name, blocked)

    sys.addaudithook(hook)
