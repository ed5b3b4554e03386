"""coursetools.grading.run.sandbox: what a process inside the sandbox can see and do."""
import json
import subprocess
import sys

import pytest

from coursetools.grading.run import sandbox
from tests.conftest import ROOT

pytestmark = pytest.mark.kernel

PROBE = r'''
import json, os, resource, socket, sys
seen = {}
def attempt(name, action):
    try:
        seen[name] = action()
    except Exception as error:
        seen[name] = f"{type(error).__name__}"
attempt("root", lambda: sorted(os.listdir("/")))
attempt("repository", lambda: os.path.exists(REPO + "/solutions"))
attempt("outside", lambda: os.path.exists(OUTSIDE))
attempt("etc_passwd", lambda: os.path.exists("/etc/passwd"))
attempt("processes", lambda: len([p for p in os.listdir("/proc") if p.isdigit()]))
attempt("write_venv", lambda: open(sys.prefix + "/zz.pth", "w").close())
attempt("write_own", lambda: open("own.txt", "w").write("x"))
attempt("network", lambda: socket.create_connection(("127.0.0.1", 22), timeout=2))
attempt("address_space", lambda: resource.getrlimit(resource.RLIMIT_AS)[0])
attempt("environment", lambda: sorted(os.environ))
print(json.dumps(seen))
'''


def test_the_sandbox_shows_python_and_its_own_folder_and_nothing_else(tmp_path):
    assert sandbox.problem() is None
    folder, outside = tmp_path / "kernel", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    probe = f"REPO, OUTSIDE = {str(ROOT)!r}, {str(outside)!r}\n" + PROBE
    limits = sandbox.Limits(memory_bytes=1024 * sandbox.MIB)
    run = subprocess.run(sandbox.command([sys.executable, "-c", probe], folder, limits),
                         capture_output=True, text=True, timeout=120, preexec_fn=limits.apply,
                         env=sandbox.environment(str(folder)))
    seen = json.loads(run.stdout)
    assert seen["repository"] is False and seen["outside"] is False
    assert seen["etc_passwd"] is False and seen["processes"] <= 3
    assert seen["write_venv"] == "OSError" and seen["write_own"] == 1
    assert seen["network"] in ("ConnectionRefusedError", "OSError", "TimeoutError")
    assert seen["address_space"] == 1024 * sandbox.MIB
    assert "HOME" in seen["environment"] and not any("COURSETOOLS" in k or k == "PYTHONPATH"
                                                     for k in seen["environment"])
    assert not (ROOT / ".venv" / "zz.pth").exists()
    assert not list(folder.rglob("own.txt")), "its working folder is a tmpfs, not the grader's disk"


def _inside(code, folder, limits, group=None):
    import functools
    return subprocess.run(sandbox.command([sys.executable, "-c", code], folder, limits),
                          capture_output=True, text=True, timeout=120,
                          preexec_fn=functools.partial(limits.apply, group),
                          env=sandbox.environment(sandbox.work_folder(folder)))


def test_writing_stops_at_the_disk_budget_and_never_reaches_the_graders_disk(tmp_path):
    limits = sandbox.Limits(disk_bytes=8 * sandbox.MIB)
    code = ("import os\nwritten = 0\ntry:\n    for i in range(100):\n"
            "        with open(f'f{i}', 'wb') as f: f.write(b'x' * 2**20)\n"
            "        written += 2**20\nexcept OSError as e:\n    print(e.errno, written)\n")
    run = _inside(code, tmp_path, limits)
    errno, written = map(int, run.stdout.split())
    assert errno == 28 and written <= 8 * sandbox.MIB, run.stderr   # ENOSPC at the budget
    assert sum(f.stat().st_size for f in tmp_path.rglob("*") if f.is_file()) == 0


def test_threads_and_processes_are_capped_even_for_root(tmp_path):
    import os
    limits = sandbox.Limits(processes=24)
    group = sandbox.ProcessGroup.create(f"test-{os.getpid()}", limits.processes) \
        if os.getuid() == 0 else None
    if os.getuid() == 0 and group is None:
        pytest.fail(f"root without a pids cgroup: {sandbox.process_cap()}")
    code = ("import threading, time\nn = 0\ntry:\n    for i in range(500):\n"
            "        threading.Thread(target=time.sleep, args=(3,), daemon=True).start(); n += 1\n"
            "except RuntimeError:\n    pass\nprint(n)\n")
    try:
        run = _inside(code, tmp_path, limits, group)
    finally:
        if group is not None:
            group.remove()
    assert 0 < int(run.stdout) < 24, run.stderr


def test_without_bubblewrap_grading_says_why_and_what_to_do(monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap", lambda: None)
    sandbox.problem.cache_clear()
    try:
        assert "bubblewrap is not installed" in sandbox.problem()
        with pytest.raises(sandbox.SandboxUnavailable):
            sandbox.command(["true"], ROOT)
    finally:
        sandbox.problem.cache_clear()


def test_the_font_list_is_built_once_inside_the_sandbox():
    folder = sandbox.font_cache()
    assert list(folder.glob("fontlist-*.json"))
    assert sandbox.font_cache() == folder
