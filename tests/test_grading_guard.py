"""coursetools.grading.guard, installed in a separate Python process (an audit hook is forever).

The end-to-end tests (test_grading.py) run it in real kernels; here each rule is checked
directly: what a student's code may still do, and what it may not.
"""
from __future__ import annotations

import inspect
import json
import subprocess
import sys
import textwrap

from coursetools.grading import guard, notebook

PROBE = r'''
import json, os, sys
install(ROOTS, PRIVATE, 0, 0, preload=("numpy",))
del install
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
attempt("private_write", lambda: open(os.path.join(PRIVATE, "a.txt"), "w").write("x"))
attempt("private_read", lambda: open(os.path.join(PRIVATE, "a.txt")).read())
attempt("tempfile", lambda: __import__("tempfile").mkstemp())
attempt("dev_null", lambda: open(os.devnull, "w").write("x"))
attempt("read_outside", lambda: open(SECRET).read())
attempt("read_relative", lambda: open("secret.txt").read())
attempt("os_open", lambda: os.open(SECRET, os.O_RDONLY))
attempt("write_outside", lambda: open(os.path.join(OUTSIDE, "new.txt"), "w"))
attempt("write_into_python", lambda: open(os.path.join(ROOTS[0], "evil.py"), "w"))
attempt("remove_outside", lambda: os.remove(SECRET))
attempt("rename_outside", lambda: os.rename(SECRET, os.path.join(PRIVATE, "s")))
attempt("listdir_outside", lambda: os.listdir(OUTSIDE))
attempt("symlink_escape", lambda: (os.symlink(SECRET, os.path.join(PRIVATE, "l")),
                                   open(os.path.join(PRIVATE, "l")).read()))
class Sneaky:
    def __fspath__(self):
        return SECRET
attempt("pathlike_object", lambda: open(Sneaky()).read())
attempt("proc_environ", lambda: open(f"/proc/{os.getppid()}/environ").read())
attempt("subprocess", lambda: __import__("subprocess").run(["true"]))
attempt("os_system", lambda: os.system("true"))
attempt("fork", lambda: os.fork())
attempt("kill_parent", lambda: os.kill(os.getppid(), 0))
attempt("socket", lambda: __import__("socket").create_connection(("127.0.0.1", 9)))
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
attempt("fresh_posix", lambda: fresh("posix").kill(os.getppid(), 0))
attempt("pidfd", lambda: __import__("signal").pidfd_send_signal(os.pidfd_open(os.getppid()), 0))
attempt("cffi", lambda: __import__("cffi").FFI().dlopen(None))
attempt("remove_pathlike", lambda: os.remove(Sneaky()))
print(json.dumps(outcome))
'''


def test_guard_rules(tmp_path):
    private = tmp_path / "private"
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("hidden tests\n")
    (tmp_path / "secret.txt").write_text("hidden tests\n")
    script = (inspect.getsource(guard) + "\n"
              + f"ROOTS, PRIVATE = {notebook.python_roots()!r}, {str(private)!r}\n"
              + f"SECRET, OUTSIDE = {str(secret)!r}, {str(outside)!r}\n"
              + textwrap.dedent(PROBE))
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    outcome = json.loads(run.stdout.strip().splitlines()[-1])
    allowed = {"import_stdlib", "numpy_works", "private_write", "private_read", "tempfile",
               "dev_null"}
    for name, result in outcome.items():
        assert result == ("allowed" if name in allowed else "denied"), (name, result)
    assert secret.read_text() == "hidden tests\n"
    assert "[grading guard] blocked: reading" in run.stderr


def test_memory_limit_turns_a_huge_allocation_into_memory_error(tmp_path):
    script = (inspect.getsource(guard) + "\n"
              + f"install({notebook.python_roots()!r}, {str(tmp_path / 'p')!r}, 2**30, 0,"
              + " ('numpy',))\n"
              + "import numpy as np\n"
              + "try:\n    np.ones((100_000, 100_000))\nexcept MemoryError:\n"
              + "    print('MemoryError')\nprint(np.ones((1000, 1000)).sum())\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert run.stdout.split() == ["MemoryError", "1000000.0"], run.stderr
