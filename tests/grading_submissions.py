"""Submissions of lab 1, built in code from the lab's student and instructor notebooks.

Used by ``tests/test_grading.py`` (one folder with honest, cheating and broken submissions,
each with what grading must make of it) and by ``benchmarks/grading.py`` (a class of 100).
A submission starts from the student notebook ``labs/<lab>.ipynb`` (what the student
downloads), with the instructor's solution pasted into the cells of chosen functions, and then
a change: a bug, a cheat or a fault.
"""
from __future__ import annotations

import copy
import dataclasses
import re
import textwrap
from pathlib import Path

import nbformat
from nbformat import v4

from coursetools import markers

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
    status: str = "ok"             # exact status expected (a prefix with '...' at the end)
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
    Case("skeleton", lambda: submission(solved=()), 0, codes=("not_implemented",)),
    Case("partial_forward_loss", lambda: submission(solved=("forward", "loss")), 6,
         codes=("not_implemented",)),
    Case("loss_with_half", lambda: submission(replace={"loss": solution_with(
        "loss", "return float((y2_pred - y_true) ** 2)",
        "return float(0.5 * (y2_pred - y_true) ** 2)")}), 12, codes=("half",)),
    Case("backward_sign_flipped", lambda: submission(replace={"backward": solution_with(
        "backward", "2.0 * (y2_pred - y_true)", "2.0 * (y_true - y2_pred)")}), None,
         codes=("sign",)),
    Case("colab_download", lambda: _colab(submission()), 20),
    Case("heavy_top_level", lambda: submission(append=(
        "for step in range(10**12):\n    w1_run = train(1.0, 2.0, 0.5, 1.0, 0.1, 10)",
        "while True:\n    pass",
        "import time\ntime.sleep(10**6)",
        "name = input('your name: ')",
        "big = np.ones((10**6, 10**6))",
        "plt.plot([1, 2, 3]); plt.title('loss'); plt.show()",
        "import sys\nsys.exit('done')")), 20),
    # ---------------------------------------------------------------- cheating (each alone)
    Case("cheat_edited_tests", lambda: _edited_tests(submission(solved=())), 0,
         kind="cheat"),
    Case("cheat_redefined_helpers", _cheat('''
        def check(*args, **kwargs):
            print("\\u2713 passed")
        class graded:
            def __init__(self, *args, **kwargs): pass
            def __enter__(self): return self
            def __exit__(self, *exc): return True
        def enable_recording(*args, **kwargs): pass
        compare = diagnose = None
        '''), 0, kind="cheat"),
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
    Case("cheat_reads_files", lambda: submission(solved=(), replace={"forward": '''
        def forward(x, w1, w2):
            import glob, os
            for path in ("grade.ipynb", "../instructor/grade.ipynb",
                         os.path.expanduser("~/.bash_history"), "/etc/passwd"):
                try:
                    open(path).read()
                except OSError:
                    pass
            found = glob.glob("*.ipynb") + glob.glob("../*/*.ipynb")
            return len(open("grade.ipynb").read()), 0.0, 0.0
        '''}), 0, status="blocked by the guard", kind="cheat"),
    Case("cheat_reaches_out", lambda: submission(solved=(), replace={"forward": '''
        def forward(x, w1, w2):
            import os, signal, socket, subprocess
            for attempt in (lambda: os.kill(os.getppid(), signal.SIGKILL),
                            lambda: subprocess.run(["cat", "grade.ipynb"]),
                            lambda: os.system("cat grade.ipynb"),
                            lambda: socket.create_connection(("127.0.0.1", 22))):
                try:
                    attempt()
                except Exception:
                    pass
            return 0.0, 0.0, 0.0
        '''}), 0, status="blocked by the guard", kind="cheat"),
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
        '''}), 12, status="exit called", kind="fault"),
    Case("fault_os_exit", lambda: submission(replace={"backward": '''
        def backward(x, w1, w2, y_true):
            import os
            os._exit(3)
        '''}), 6, status="kernel died", codes=("crash",), kind="fault"),
    Case("fault_segfault", lambda: submission(replace={"train": '''
        def train(x, y_true, w1, w2, learning_rate, iterations):
            import faulthandler
            faulthandler._sigsegv()
        '''}), 14, status="kernel died", codes=("crash",), kind="fault"),
    Case("fault_huge_memory", lambda: submission(replace={"train": '''
        def train(x, y_true, w1, w2, learning_rate, iterations):
            history = np.ones((100_000, 100_000))
            return w1, w2, history
        '''}), 14, status="memory limit", kind="fault"),
    Case("fault_syntax_error", lambda: submission(replace={"backward": '''
        def backward(x, w1, w2, y_true):
            y1, y1_relu, y2_pred = forward(x, w1, w2
            return 0.0, 0.0
        '''}), 6, status="syntax error; missing function backward", kind="fault"),
    Case("fault_misnamed_function", lambda: submission(replace={"backward": solution_with(
        "backward", "def backward(", "def backprop(")}), 6,
         status="missing function backward", codes=("missing_function",), kind="fault"),
    Case("fault_empty_file", lambda: b"", 0, status="empty file", kind="fault"),
    Case("fault_corrupt_file", lambda: nbformat.writes(submission()).encode()[:5000], 0,
         status="not a notebook", kind="fault"),
    Case("fault_other_lab", lambda: _other_lab(), 0, status="wrong lab", kind="fault"),
]


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
        elif cell.source.startswith(markers.CHECKS_HEADER):
            cell.source = (markers.CHECKS_HEADER + "\n"
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
