"""coursetools.kernel.guard, installed in a separate Python process (an audit hook is forever).

The guard is the inner layer: the sandbox (tests/grading/run/test_sandbox.py) hides the file system
and the network. What the guard must still stop is what would hurt other kernels or the
machine from inside the sandbox: new processes, native code, writing outside its own folder.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from coursetools import cells

PROBE = r'''
import json, os, sys
outcome = {}
def attempt(name, action):
    try:
        action()
        outcome[name] = "allowed"
    except PermissionError as error:
        denied = type(error).__name__ == "GradingPermissionError"
        outcome[name] = "denied" if denied else repr(error)
    except Exception as error:
        outcome[name] = f"other: {type(error).__name__}"
attempt("import_stdlib", lambda: __import__("fractions"))
attempt("numpy_works", lambda: __import__("numpy").ones(3).sum())
attempt("matplotlib_works", lambda: __import__("matplotlib.pyplot"))
attempt("private_write", lambda: open(os.path.join(PRIVATE, "a.txt"), "w").write("x"))
attempt("private_read", lambda: open(os.path.join(PRIVATE, "a.txt")).read())
attempt("tempfile", lambda: __import__("tempfile").mkstemp())
attempt("read_outside", lambda: open(SECRET).read())
attempt("write_outside", lambda: open(os.path.join(OUTSIDE, "new.txt"), "w"))
attempt("os_open_write", lambda: os.open(os.path.join(OUTSIDE, "n"), os.O_WRONLY | os.O_CREAT))
attempt("remove_outside", lambda: os.remove(SECRET))
attempt("rename_outside", lambda: os.rename(SECRET, os.path.join(PRIVATE, "s")))
attempt("symlink", lambda: os.symlink(SECRET, os.path.join(PRIVATE, "l")))
class Sneaky:
    def __fspath__(self):
        return os.path.join(OUTSIDE, "x")
attempt("pathlike_write", lambda: open(Sneaky(), "w"))
attempt("subprocess", lambda: __import__("subprocess").run(["true"]))
attempt("os_system", lambda: os.system("true"))
attempt("fork", lambda: os.fork())
attempt("kill_parent", lambda: os.kill(os.getppid(), 0))
attempt("ctypes", lambda: __import__("ctypes").CDLL(None))
attempt("raise_limits", lambda: __import__("resource").setrlimit(
    __import__("resource").RLIMIT_AS, (-1, -1)))
attempt("fork_exec", lambda: __import__("_posixsubprocess").fork_exec(
    [b"/bin/true"], [b"/bin/true"], True, (), None, None, -1, -1, -1, -1, -1, -1, -1, -1,
    True, False, -1, None, None, None, -1, None, False))
def fresh(name):
    sys.modules.pop(name, None)
    return __import__(name)
attempt("fresh_posixsubprocess", lambda: fresh("_posixsubprocess"))
attempt("pidfd", lambda: __import__("signal").pidfd_send_signal(os.pidfd_open(os.getppid()), 0))
attempt("cffi", lambda: __import__("cffi").FFI().dlopen(None))
print(json.dumps(outcome))
'''


def test_guard_rules(tmp_path):
    private = tmp_path / "private"
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("hidden tests\n")
    script = (f"PRIVATE, SECRET, OUTSIDE = {str(private)!r}, {str(secret)!r}, {str(outside)!r}\n"
              + cells.guard_source(str(private)) + "\n" + textwrap.dedent(PROBE))
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, env={"MPLCONFIGDIR": str(private / "mpl"),
                                                      "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    outcome = json.loads(run.stdout.strip().splitlines()[-1])
    # Reading is the sandbox's business (it shows the kernel nothing worth reading).
    allowed = {"import_stdlib", "numpy_works", "matplotlib_works", "private_write",
               "private_read", "tempfile", "read_outside"}
    for name, result in outcome.items():
        assert result == ("allowed" if name in allowed else "denied"), (name, result)
    assert secret.read_text() == "hidden tests\n" and sorted(p.name for p in outside.iterdir()) \
        == ["secret.txt"]


def test_the_guard_leaves_no_names_behind(tmp_path):
    script = ("namespace = {}\n"
              f"exec(compile({cells.guard_source(str(tmp_path))!r}, '<guard>', 'exec'), namespace)\n"
              "print(sorted(namespace))")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert run.stdout.strip() == "['__builtins__']", run.stderr
