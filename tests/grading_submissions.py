"""Submissions of lab 1, built in code from the lab's student and instructor notebooks.

Used by ``tests/test_grading.py`` (one folder with honest, cheating and broken submissions,
each with what grading must make of it) and by ``benchmarks/grading.py`` (a class of 100).
A submission starts from the student notebook ``labs/<lab>.ipynb`` (what the student
downloads), with the instructor's solution pasted into the cells of chosen functions, and then
a change: a bug, a cheat or a fault.
"""
from __future__ import annotations

import copy
import csv
import dataclasses
import re
import textwrap
from pathlib import Path

import nbformat
from nbformat import v4

from coursetools import cells, markers

ROOT = Path(__file__).resolve().parents[1]
LAB = "lab1_scalar"
FUNCTIONS = ("forward", "loss", "backward", "train")
MIME = "application/vnd.coursetools.result+json"


def student_notebook(lab: str = LAB):
    return nbformat.read(ROOT / "labs" / f"{lab}.ipynb", as_version=4)


def solutions(lab: str = LAB) -> dict[str, str]:
    """The instructor's cell source of each contract function."""
    nb = nbformat.read(ROOT / "solutions" / f"{lab}.ipynb", as_version=4)
    found = {}
    for info in markers.parse_notebook(nb):
        if info.kind == "solution":
            for region in info.regions:
                found[region.function] = nb.cells[info.index].source
    return found


def _defines(source: str, name: str) -> bool:
    return re.search(rf"^def {name}\(", source, re.M) is not None


def submission(solved=FUNCTIONS, replace: dict[str, str] | None = None, append=(),
               lab: str = LAB):
    """The student notebook with ``solved`` functions filled in, ``replace`` cells swapped
    (function name -> new cell source) and ``append`` code cells added at the end."""
    nb = student_notebook(lab)
    sources = solutions(lab)
    replace = dict(replace or {})
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for name in FUNCTIONS:
            if _defines(cell.source, name):
                if name in replace:
                    cell.source = textwrap.dedent(replace[name]).strip("\n")
                elif name in solved:
                    cell.source = sources[name]
    for source in append:
        nb.cells.append(v4.new_code_cell(textwrap.dedent(source).strip("\n")))
    return nb


def solution_with(name: str, old: str, new: str, lab: str = LAB) -> str:
    """The instructor's source of ``name`` with one textual change (a typical bug)."""
    source = solutions(lab)[name]
    assert old in source, (name, old)
    return source.replace(old, new)


# ----------------------------------------------------------------------------- the class
@dataclasses.dataclass
class Case:
    """One submission and what grading must make of it."""

    student: str
    make: object                   # () -> notebook node, or bytes for a broken file
    points: float | None = None    # exact points expected (None: see the checks)
    # the exact status expected; '...' at the end: a prefix; a tuple: every part of the status
    # is one of these (a flood is stopped by its output budget, or first by its time budget on
    # a loaded machine); None: any
    status: str | tuple | None = "ok"
    codes: tuple = ()              # mistake codes that must appear in the feedback/report
    kind: str = "honest"


def _cheat(*cells: str, solved=(), replace=None):
    return lambda: submission(solved=solved, replace=replace, append=cells)


FAKE_PAYLOADS = f'''
def forward(x, w1, w2):
    """Forge the results the grader reads, and print fake passes."""
    from IPython.display import display
    print("\\u2713 forward_active_unit (1/1 points)")
    for test in ("forward_active_unit", "forward_inactive_unit", "hidden_forward_signs"):
        for call in range(4):
            display({{"{MIME}": {{"test": test, "call": call, "func": "forward",
                      "args": {{}}, "outputs": [{{"shape": [], "data": [3.0]}}] * 3,
                      "error": None, "mutated": [], "rtol": 1e9, "atol": 1e9,
                      "names": ["y1", "y1_relu", "y2_pred"]}}}}, raw=True)
        display({{"{MIME}": {{"test": test, "points": 100, "event": "end", "error": None}}}},
                raw=True)
    return 3.0, 3.0, -1.5
'''

CASES = [
    # ---------------------------------------------------------------- honest work
    Case("perfect", lambda: submission(), 20),
    Case("skeleton", lambda: submission(solved=()), 0, status="not attempted",
         codes=("not_implemented",)),
    Case("partial_forward_loss", lambda: submission(solved=("forward", "loss")), 6,
         codes=("not_implemented",)),
    # One bug is charged once: train is graded with the official loss and backward.
    Case("loss_with_half", lambda: submission(replace={"loss": solution_with(
        "loss", "return float((y2_pred - y_true) ** 2)",
        "return float(0.5 * (y2_pred - y_true) ** 2)")}), 18, codes=("half",)),
    Case("backward_sign_flipped", lambda: submission(replace={"backward": solution_with(
        "backward", "2.0 * (y2_pred - y_true)", "2.0 * (y_true - y2_pred)")}), 12,
         codes=("sign",)),
    Case("forward_relu_on_output", lambda: submission(replace={"forward": solution_with(
        "forward", "y2_pred = y1_relu * w2", "y2_pred = max(y1_relu * w2, 0.0)")}), 17,
         codes=("output_relu",)),
    Case("colab_download", lambda: _colab(submission()), 20),
    Case("heavy_top_level", lambda: submission(append=(
        "for step in range(10**12):\n    w1_run = train(1.0, 2.0, 0.5, 1.0, 0.1, 10)",
        "while True:\n    pass",
        "import time\ntime.sleep(10**6)",
        "name = input('your name: ')",
        "big = np.ones((10**6, 10**6)) @ np.ones(3)",
        "plt.plot([1, 2, 3]); plt.title('loss'); plt.show()",
        "import sys\nsys.exit('done')")), 20),
    Case("magic_time_on_forward", lambda: submission(replace={
        "forward": "%%time\n" + solutions()["forward"]}), 20),
    Case("constant_expression", lambda: submission(replace={"loss": '''
        SCALE = 1 / 2

        def loss(y2_pred, y_true):
            return float((y2_pred - y_true) ** 2 * SCALE * 2)
        '''}), 20),
    # IPython itself cannot compile a 1000-term sum (RecursionError, in Colab too): the cell
    # fails alone, as it does for the student, and costs nothing else.
    Case("thousand_terms", lambda: submission(append=(
        "def poly(x):\n    return " + " + ".join(f"{i} * x" for i in range(1000)),)), 20,
         status="error while defining"),
    Case("stale_copy_ran_first", lambda: _stale_copy(), 20),
    # Python runs the last definition of a cell: the skeleton left above is never graded.
    Case("skeleton_left_above", lambda: _skeleton_left_above(), 20),
    # ---------------------------------------------------------------- cheating (each alone)
    Case("cheat_edited_tests", lambda: _edited_tests(submission(solved=())), 0,
         status="not attempted", kind="cheat"),
    Case("cheat_redefined_helpers", _cheat('''
        def check(*args, **kwargs):
            print("\\u2713 passed")
        class graded:
            def __init__(self, *args, **kwargs): pass
            def __enter__(self): return self
            def __exit__(self, *exc): return True
        def enable_recording(*args, **kwargs): pass
        compare = diagnose = None
        '''), 0, status="not attempted", kind="cheat"),
    Case("cheat_monkeypatch", lambda: submission(solved=(), replace={"forward": '''
        def forward(x, w1, w2):
            import builtins, numpy
            numpy.allclose = lambda *a, **k: True
            numpy.array_equal = lambda *a, **k: True
            numpy.testing.assert_allclose = lambda *a, **k: None
            builtins.AssertionError = Exception
            globals()["compare"] = lambda *a, **k: []
            globals()["check"] = lambda *a, **k: None
            return 0.0, 0.0, 0.0
        '''}, append=("np.allclose = lambda *a, **k: True\n"
                      "import builtins\nbuiltins.AssertionError = ZeroDivisionError",)),
        0, status="tampering detected", kind="cheat"),
    Case("cheat_custom_exc", lambda: submission(solved=(), replace={"forward": '''
        def _swallow(func):
            get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)
            return func

        @_swallow
        def forward(x, w1, w2):
            raise AssertionError("nothing here")
        '''}, append=("get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)",)),
        0, kind="cheat"),
    Case("cheat_fake_output", lambda: submission(solved=(), replace={"forward": FAKE_PAYLOADS}),
         0, status="tampering detected", kind="cheat"),
    Case("cheat_hardcoded", lambda: submission(solved=(), replace={
        "forward": "def forward(x, w1, w2):\n    return 3.0, 3.0, -1.5",
        "loss": "def loss(y2_pred, y_true):\n    return 4.0 if y_true == 0.5 else 16.0",
        "backward": "def backward(x, w1, w2, y_true):\n    return 4.0, -12.0",
        "train": "def train(x, y_true, w1, w2, learning_rate, iterations):\n"
                 "    return 0.8, 1.15, [2.25]"}), 0, kind="cheat"),
    Case("cheat_hardcoded_inactive_unit", lambda: submission(solved=(), replace={
        "forward": "def forward(x, w1, w2):\n    return -2.0, 0.0, 0.0",
        "backward": "def backward(x, w1, w2, y_true):\n    return 0.0, 0.0"}), 0, kind="cheat"),
    Case("cheat_patched_rng", lambda: submission(solved=(), replace={"loss": '''
        def loss(y2_pred, y_true):
            import numpy
            class Fixed:
                def standard_normal(self, size=None):
                    return numpy.full(size, 0.5) if size else 0.5
                normal = standard_normal
            numpy.random.default_rng = lambda *a, **k: Fixed()
            return 0.0
        '''}), 0, status="tampering detected", kind="cheat"),
    Case("cheat_reads_expected", lambda: submission(solved=(), replace={"forward": '''
        def forward(x, w1, w2):
            import sys
            frame = sys._getframe(1)
            while frame is not None:
                if frame.f_locals.get("expect") is not None:
                    return frame.f_locals["expect"]
                frame = frame.f_back
            return 0.0, 0.0, 0.0
        '''}), 0, kind="cheat"),
    # ---------------------------------------------------------------- faults (each alone)
    Case("fault_endless_loop", lambda: submission(replace={"train": '''
        def train(x, y_true, w1, w2, learning_rate, iterations):
            while True:
                pass
        '''}), 14, status="timeout", codes=("timeout",), kind="fault"),
    Case("fault_sys_exit", lambda: submission(replace={"loss": '''
        def loss(y2_pred, y_true):
            import sys
            sys.exit("bye")
        '''}), 18, codes=("exception",), kind="fault"),
    Case("fault_os_exit", lambda: submission(replace={"backward": '''
        def backward(x, w1, w2, y_true):
            import os
            os._exit(3)
        '''}), 12, status="kernel died", codes=("crash",), kind="fault"),
    Case("fault_segfault", lambda: submission(replace={"train": '''
        def train(x, y_true, w1, w2, learning_rate, iterations):
            import faulthandler
            faulthandler._sigsegv()
        '''}), 14, status="kernel died", codes=("crash",), kind="fault"),
    Case("fault_huge_memory", lambda: submission(replace={"train": '''
        def train(x, y_true, w1, w2, learning_rate, iterations):
            history = np.ones((100_000, 100_000))
            return w1, w2, history
        '''}), 14, codes=("exception",), kind="fault"),
    Case("fault_syntax_error", lambda: submission(replace={"backward": '''
        def backward(x, w1, w2, y_true):
            y1, y1_relu, y2_pred = forward(x, w1, w2
            return 0.0, 0.0
        '''}), 12, status="syntax error; missing function backward", kind="fault"),
    Case("fault_misnamed_function", lambda: submission(replace={"backward": solution_with(
        "backward", "def backward(", "def backprop(")}), 12,
         status="missing function backward", codes=("missing_function",), kind="fault"),
    Case("fault_empty_file", lambda: b"", 0, status="empty file", kind="fault"),
    Case("fault_corrupt_file", lambda: nbformat.writes(submission()).encode()[:5000], 0,
         status="not a notebook", kind="fault"),
    Case("fault_other_lab", lambda: _other_lab(), 0, status="wrong lab", kind="fault"),
]

# The red team's attacks (grading issue 10), each built on an otherwise honest notebook so that
# any gain would show in the points. The sandbox, the budgets and the grader's own rules must
# make each cost exactly what its honest code costs.
SEARCH_AND_USE = '''
def forward(x, w1, w2, _seen={}):
    """Look for the instructor's notebook (or anything with the solutions) and use it."""
    import os, readline, time
    if "found" in _seen:
        return _answer(x, w1, w2) if _seen["found"] else (0.0, 0.0, 0.0)
    places, found, stop = [], [], time.monotonic() + 2
    for root in ("/", os.getcwd(), "..", "../..", "/tmp", os.path.expanduser("~")):
        for folder, subfolders, files in os.walk(root):
            if time.monotonic() > stop:
                break
            if folder.count(os.sep) > 5 or "site-packages" in folder or folder.startswith("/usr"):
                subfolders[:] = []
                continue
            places += [os.path.join(folder, f) for f in files]
    for path in places[:3000]:
        try:
            if "BEGIN SOLUTION" in open(path).read() or "hidden_forward_signs" in open(path).read():
                found.append(path)
        except Exception:
            pass
    for relative in ("../reference.ipynb", "../notebooks/reference.ipynb",
                     "../notebooks/reference-0.ipynb", "grade.ipynb",
                     "../../solutions/lab1_scalar.ipynb"):
        try:
            os.open(relative, os.O_RDONLY, dir_fd=os.open(".", os.O_RDONLY))
            found.append(relative)
        except Exception:
            pass
        try:
            readline.read_history_file(relative)
            found.append(relative)
        except Exception:
            pass
    for pid in os.listdir("/proc"):
        try:
            if "--instructor" in open(f"/proc/{pid}/cmdline").read() or \\
                    "solutions" in open(f"/proc/{pid}/cmdline").read():
                found.append(pid)
        except Exception:
            pass
    _seen["found"] = found
    return _answer(x, w1, w2) if found else (0.0, 0.0, 0.0)


def _answer(x, w1, w2):
    """What the attack would have taken from a leak: the right forward pass."""
    y1 = w1 * x
    return y1, max(y1, 0.0), max(y1, 0.0) * w2
'''

SABOTAGE = '''
def loss(y2_pred, y_true, _done=[]):
    """Try to destroy classmates' notebooks, the results and the grader's own Python."""
    import os, site, sys
    if _done:
        return float((y2_pred - y_true) ** 2)
    _done.append(True)
    import time
    stop = time.monotonic() + 2
    for root in ("/", "..", "../..", "/tmp", os.path.expanduser("~")):
        for folder, subfolders, files in os.walk(root):
            if time.monotonic() > stop:
                break
            if folder.count(os.sep) > 5 or folder.startswith(("/proc", "/dev", "/usr")):
                subfolders[:] = []
                continue
            for name in files:
                if name.endswith((".ipynb", ".csv", ".html", ".json", ".py")):
                    try:
                        open(os.path.join(folder, name), "w").close()
                    except Exception:
                        pass
    for target in site.getsitepackages() + [sys.prefix, os.path.dirname(sys.executable)]:
        try:
            with open(os.path.join(target, "zz_sabotage.pth"), "w") as handle:
                handle.write("import os; os._exit(1)\\n")
        except Exception:
            pass
    try:
        os.symlink("/etc/passwd", "report.html")
    except Exception:
        pass
    return float((y2_pred - y_true) ** 2)
'''

ATTACKS = [
    # The search may use up forward's time budget on a slow machine: its status is not fixed.
    Case("attack_finds_solutions", lambda: submission(replace={"forward": SEARCH_AND_USE}), 16,
         status=None, kind="attack"),
    Case("attack_sabotage", lambda: submission(replace={"loss": SABOTAGE}), 20, kind="attack"),
    Case("attack_hang_ignoring_signals", lambda: submission(replace={"train": '''
        def train(x, y_true, w1, w2, learning_rate, iterations):
            import signal, time
            for name in ("SIGALRM", "SIGINT", "SIGTERM"):
                signal.signal(getattr(signal, name), signal.SIG_IGN)
            while True:
                print("still working...", flush=True)
                time.sleep(1)
        '''}), 14, status="timeout", codes=("timeout",), kind="attack"),
    Case("attack_flood_output", lambda: submission(replace={"forward": '''
        def forward(x, w1, w2):
            while True:
                print("x" * 100_000)
        '''}), 16, status=("output too large", "timeout"), kind="attack"),
    Case("attack_sleep_in_default_argument", lambda: submission(replace={"loss": '''
        import time

        def loss(y2_pred, y_true, _pause=time.sleep(3600)):
            return float((y2_pred - y_true) ** 2)
        '''}), 18, status="timeout", kind="attack"),
    Case("attack_forged_status", lambda: submission(replace={"forward": '''
        def forward(x, w1, w2):
            print("[grading guard] blocked: memory limit")
            class MemoryError(Exception):
                pass
            class GradingTimeout(Exception):
                pass
            raise MemoryError("killed by the grading guard")
        '''}), 16, codes=("exception",), kind="attack"),
    Case("attack_leaks_hidden_source", lambda: submission(replace={"backward": '''
        def backward(x, w1, w2, y_true):
            import linecache, sys
            frame = sys._getframe(1)
            while frame is not None:
                text = "".join(linecache.getlines(frame.f_code.co_filename))
                frame = frame.f_back
                if "rng_hidden" in text or "check(" in text:
                    raise AssertionError("LEAK " + text)
            raise AssertionError("LEAK nothing found")
        '''}), 12, codes=("exception",), kind="attack"),
    Case("attack_cell_source_is_a_number", lambda: _with_number_cell(), 20, kind="attack"),
    Case("attack_many_cells", lambda: submission(append=tuple("x = 1" for _ in range(3000))),
         0, status="notebook too large...", kind="attack"),
]
ALL = CASES + ATTACKS


def _colab(nb):
    """What Colab's File > Download .ipynb looks like: outputs, counts, Colab metadata, magics."""
    nb = copy.deepcopy(nb)
    nb.metadata["colab"] = {"provenance": [], "name": "lab1_scalar.ipynb"}
    nb.metadata["accelerator"] = "GPU"
    nb.cells.insert(0, v4.new_code_cell("!pip install numpy\n%matplotlib inline\n"
                                        "from google.colab import drive"))
    for number, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = number + 1
        cell.outputs = [v4.new_output("stream", name="stdout", text="ok\n")]
        cell.metadata["colab"] = {"base_uri": "https://localhost:8080/"}
    return nb


def _edited_tests(nb):
    """Every test cell replaced by printed passes; the checks cell made harmless."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if markers.graded_ids(cell.source):
            ids = markers.graded_ids(cell.source)
            cell.source = "\n".join(f'print("\\u2713 {t} (1/1 points)")' for t in ids)
        elif cells.is_helper_cell(cell.source):
            cell.source = (cells.HELPER_TITLE + "\n# coursetools test helpers v3: (edited)\n"
                           "def check(*a, **k): pass\n"
                           "class graded:\n"
                           "    def __init__(self, *a, **k): pass\n"
                           "    def __enter__(self): return self\n"
                           "    def __exit__(self, *a): return True\n")
    return nb


def _other_lab():
    """A notebook of another lab: lab 2 if the course has it, else lab 1 retitled as lab 2."""
    other = sorted(p for p in (ROOT / "labs").glob("lab*.ipynb") if p.stem != LAB)
    if other:
        return nbformat.read(other[0], as_version=4)
    nb = submission(solved=())
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            rest = cell.source.split("\n", 1)[1] if "\n" in cell.source else ""
            cell.source = "# Lab 2: Backpropagation with vectors\n" + rest
            break
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = cell.source.replace("one input", "a vector input")
    return nb


def _stale_copy():
    """The fixed forward ran last (execution count 12); a broken copy below it ran before."""
    nb = submission()
    fixed = next(c for c in nb.cells if c.cell_type == "code" and _defines(c.source, "forward"))
    fixed.execution_count = 12
    broken = v4.new_code_cell("def forward(x, w1, w2):\n    return 0.0, 0.0, 0.0")
    broken.execution_count = 3
    nb.cells.append(broken)
    return nb


def _skeleton_left_above():
    """The correct lab with the skeleton of train left above the student's own, in one cell."""
    nb = submission()
    skeleton = next(c.source for c in student_notebook().cells
                    if c.cell_type == "code" and _defines(c.source, "train"))
    cell = next(c for c in nb.cells if c.cell_type == "code" and _defines(c.source, "train"))
    cell.source = skeleton + "\n\n\n" + cell.source
    return nb


def _with_number_cell() -> bytes:
    """A code cell whose source is a number (a hand-edited or broken file)."""
    import json

    data = json.loads(nbformat.writes(submission()))
    data["cells"].append({"cell_type": "code", "execution_count": None, "id": "weird",
                          "metadata": {}, "outputs": [], "source": 42})
    return json.dumps(data).encode()


def write(case: Case, folder: Path) -> Path:
    made = case.make()
    path = Path(folder) / f"{case.student}.ipynb"
    if isinstance(made, bytes):
        path.write_bytes(made)
    else:
        path.write_text(nbformat.writes(made), encoding="utf-8")
    return path


def write_class(folder: Path, cases=CASES) -> list[Path]:
    Path(folder).mkdir(parents=True, exist_ok=True)
    return [write(case, folder) for case in cases]


def grades_by_student(out: Path) -> dict[str, dict]:
    """The rows of a run's grades.csv, by student."""
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}
