"""The labs: generated from their instructor notebooks, leak-free, self-contained, and their tests
catch the classic mistakes while accepting every valid way of writing the code.

Whole notebooks run in a fresh kernel (nbclient), one kernel per execution, in an empty
temporary folder. The mutants and valid alternatives (some 45 variants) are checked twice, as a
student sees them (the lab's own test cells, in a fresh namespace in this process) and as the
grader grades them under several seeds (``grading_inprocess``: the grader's own steps with
the cells run in this process); `test_a_mutant_in_a_real_kernel` checks the first against a
kernel, tests/grading/test_pipeline.py the second against a real grading run. The tests are
grouped in one class per lab so that `pytest -n 2 --dist loadscope` spreads them.
"""
import ast
import contextlib
import copy
import io
import re
import shutil
import sys

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from tests import grading_inprocess
from coursetools import cells, frameworks, markers, student_labs
from coursetools.grading.lab import extract
from tests.conftest import ROOT

LABS = ["lab1_scalar", "lab2_vector", "lab3_minibatch", "lab4_xor", "lab5_softmax",
        "lab6_autograd", "lab7_layers", "lab8_digits"]
FUNCTION_LABS = LABS[:3]     # the labs whose contract is four functions (the others: classes)
POINTS = re.compile(r"""with\s+graded\(\s*["']([^"']+)["']\s*,\s*points\s*=\s*(\d+)""")
# scikit-learn for lab 8's data only: its digits ship with the package (no download), and Colab
# preinstalls it.
ALLOWED_IMPORTS = {"numpy", "matplotlib", "sklearn"}
# Allowed only inside `try:` with an `except ImportError` (labs 6 and 8 compare with PyTorch where
# it is installed, as in Colab, and say so where it is not; lab 8's slider needs ipywidgets,
# which a grading kernel does not).
OPTIONAL_IMPORTS = {"torch", "ipywidgets"}
SEEDS = ["s1", "s2", "s3", "s4", "s5"]      # grading must not depend on the luck of a draw


# ----------------------------------------------------------------------------- helpers
def read(path):
    return nbformat.read(path, as_version=4)


def solution(lab):
    return read(ROOT / "solutions" / f"{lab}.ipynb")


def student(lab):
    return read(ROOT / "labs" / f"{lab}.ipynb")


def infos(nb):
    return markers.parse_notebook(nb)


def execute(nb, folder, timeout=120):
    """Run every cell in a fresh kernel whose working folder is `folder`; keep going after errors."""
    nb = copy.deepcopy(nb)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def stdout(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


def errors(cell):
    return [o.ename for o in cell.get("outputs", []) if o.output_type == "error"]


def alone(tmp_path, nb, name):
    """Copy a notebook alone into an empty folder (as Colab does): nothing else is there."""
    folder = tmp_path / "alone"
    folder.mkdir()
    nbformat.write(nb, folder / name)
    assert [p.name for p in folder.iterdir()] == [name]
    return folder


def contract(nb):
    """The names the student must define, from the notebook metadata (for the grader too)."""
    return nb.metadata["coursetools"]["contract"]


def skeleton_names(nb):
    """The names in the skeletons' messages: functions, and Class.method for each method."""
    methods = nb.metadata["coursetools"].get("methods", {})
    names = []
    for name in contract(nb):
        names += [f"{name}.{m}" for m in methods[name]] if name in methods else [name]
    return names


def points_of(nb, kinds):
    found = {}
    for info, cell in zip(infos(nb), nb.cells):
        if info.kind in kinds:
            found.update((test, int(p)) for test, p in POINTS.findall(cell.source))
    return found


# ----------------------------------------------------------------------------- (a) generated
def test_labs_are_exactly_what_the_generator_produces():
    stale = student_labs.generate(ROOT, check=True)
    assert stale == [], f"run `make labs`: out of date: {[str(p.relative_to(ROOT)) for p in stale]}"


@pytest.mark.parametrize("lab", LABS)
def test_helper_cells_are_current_collapsed_and_in_the_right_mode(lab):
    for nb, strict in ((solution(lab), True), (student(lab), False)):
        (cell,) = [nb.cells[i.index] for i in infos(nb) if i.kind == "helpers"]
        meta = nb.metadata["coursetools"]
        assert cell.source == cells.helper_source(lab, meta["contract"], meta.get("methods"),
                                                  strict=strict, diagnosis=meta.get("diagnosis"))
        assert cell.metadata["cellView"] == "form" and "hide-input" in cell.metadata["tags"]
        assert cell.metadata["jupyter"]["source_hidden"] is True


def _reaches(nb, contract):
    """For each function or class the notebook's own code cells define: the lab names it uses."""
    uses = {}
    for info, cell in zip(infos(nb), nb.cells):
        if info.kind == "code":
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name not in contract:
                    uses[node.name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    reach = {name: {c for c in names if c in contract} for name, names in uses.items()}
    for _ in uses:                                   # helpers that call helpers
        for name, names in uses.items():
            for other in names & set(uses):
                reach[name] |= reach[other]
    return reach


@pytest.mark.parametrize("lab", LABS)
def test_cells_that_run_the_students_code_wait_for_it_and_the_last_cell_checks_the_hand_in(lab):
    """In a student lab "Run all" must reach the summary and the hand-in check: every statement
    outside the tests that runs the student's functions (directly or through a helper of the
    notebook) is inside a `with needs(...)` naming every function or class of the lab it uses."""
    nb = solution(lab)
    contract = nb.metadata["coursetools"]["contract"]
    reach = _reaches(nb, contract)
    for info, cell in zip(infos(nb), nb.cells):
        if info.kind != "code":
            continue
        for stmt in ast.parse(cell.source).body:
            if isinstance(stmt, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
                continue
            inner = stmt.body if isinstance(stmt, ast.With) else [stmt]
            names = {n.id for s in inner if not isinstance(s, (ast.FunctionDef, ast.ClassDef))
                     for n in ast.walk(s) if isinstance(n, ast.Name)}
            used = {c for c in contract if c in names}
            used |= set().union(*(reach[h] for h in names & set(reach)))
            if not used:
                continue
            assert isinstance(stmt, ast.With), (lab, info.index, ast.unparse(stmt)[:60])
            call = stmt.items[0].context_expr
            named = [a.value for a in call.args]
            assert call.func.id == "needs" and used <= set(named) <= set(contract), \
                (lab, info.index, named, used)
    assert nb.cells[-1].source.strip() == "ready_to_hand_in()"


def test_toc_lists_the_student_labs_and_never_the_solutions():
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    assert "solutions" not in toc
    for lab in LABS:
        assert f"- file: labs/{lab}\n" in toc, f"{lab} is not in _toc.yml"


# ----------------------------------------------------------------------------- (b) no leaks
def _secret_lines(nb):
    """Every line of every solution region and hidden-test cell, stripped, markers excluded."""
    secret = set()
    for info, cell in zip(infos(nb), nb.cells):
        lines = cell.source.split("\n")
        if info.kind == "hidden":
            chosen = lines
        elif info.kind == "solution":
            chosen = [lines[n] for r in info.regions for n in range(r.begin + 1, r.end)]
        else:
            continue
        secret |= {line.strip() for line in chosen
                   if line.strip() and line.strip() not in markers.MARKERS}
    return secret


@pytest.mark.parametrize("lab", LABS)
def test_no_solution_or_hidden_line_in_any_student_notebook(lab):
    secret = _secret_lines(solution(lab))
    assert len(secret) > 30, "the instructor notebook should have solutions and hidden tests"
    for other in LABS:
        shown = {line.strip() for cell in student(other).cells for line in cell.source.split("\n")}
        leaked = sorted(secret & shown)
        assert not leaked, f"labs/{other}.ipynb shows lines of solutions/{lab}.ipynb: {leaked}"


@pytest.mark.parametrize("lab", LABS)
def test_one_graded_test_per_cell(lab):
    """A failing test raises and ends its cell: a second test in the same cell would never run."""
    for info in infos(solution(lab)):
        assert len(info.tests) <= 1, f"{lab} cell {info.index}: {info.tests}"


@pytest.mark.parametrize("lab", LABS)
def test_student_notebook_has_a_skeleton_for_each_function(lab):
    text = "\n".join(c.source for c in student(lab).cells if c.cell_type == "code")
    names = skeleton_names(solution(lab))
    assert set(("forward", "loss", "backward", "train")) <= set(names) or lab not in FUNCTION_LABS
    for function in names:
        assert f'raise NotImplementedError("{function}: not implemented yet")' in text


@pytest.mark.parametrize("lab", LABS)
def test_metadata_names_exactly_what_the_student_writes(lab):
    """notebook.metadata.coursetools = {"lab", "contract", "methods", "diagnosis"}: the grader reads the
    required names from it; they must be the top-level names whose code holds a solution."""
    nb = solution(lab)
    meta = dict(nb.metadata["coursetools"])
    assert meta.pop("seed"), "the grading seed is kept with the instructor notebook"
    assert meta["lab"] == lab and student(lab).metadata["coursetools"] == meta
    with_solution, methods = [], {}
    for info, cell in zip(infos(nb), nb.cells):
        if info.kind != "solution":
            continue
        for node in ast.parse(cell.source).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and any(
                    node.lineno <= r.begin + 1 <= node.end_lineno for r in info.regions):
                with_solution.append(node.name)
            if isinstance(node, ast.ClassDef):
                solved = [f.name for f in node.body if isinstance(f, ast.FunctionDef) and any(
                    f.lineno <= r.begin + 1 <= f.end_lineno for r in info.regions)]
                if solved:
                    methods[node.name] = solved
    assert meta["contract"] == with_solution
    assert meta.get("methods", {}) == methods


@pytest.mark.parametrize("lab", LABS)
def test_the_definitions_the_grader_keeps_run_on_their_own(lab):
    """E.g. `best = network` after a loop would be kept without the loop and fail."""
    namespace = {"__name__": "__main__"}
    for code in extract.extract_notebook(solution(lab), skip=cells.is_helper_cell):
        exec(compile(code.source, f"<{lab} cell {code.index}>", "exec"), namespace)
    assert set(solution(lab).metadata["coursetools"]["contract"]) <= set(namespace)


# ----------------------------------------------------------------------------- (d) imports
def _guarded_imports(tree):
    """The import statements inside a `try:` whose handlers catch ImportError."""
    guarded = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
                isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
                for h in node.handlers):
            guarded += [n for stmt in node.body for n in ast.walk(stmt)
                        if isinstance(n, (ast.Import, ast.ImportFrom))]
    return guarded


@pytest.mark.parametrize("lab", LABS)
def test_imports_only_numpy_matplotlib_and_the_standard_library(lab):
    for nb in (solution(lab), student(lab)):
        for info, cell in zip(infos(nb), nb.cells):
            if cell.cell_type != "code" or info.kind == "helpers":   # see tests/kernel/test_rule.py
                continue
            assert not re.search(r"^\s*[%!]|open\(|__import__", cell.source, re.M), cell.source
            tree = ast.parse(cell.source)
            guarded = _guarded_imports(tree)
            for node in ast.walk(tree):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module] if isinstance(node, ast.ImportFrom) else [])
                for name in names:
                    top = name.split(".")[0]
                    # PyTorch only in a try/except ImportError, or in a cell tagged as needing the
                    # frameworks (which nbval and the build skip; see coursetools/frameworks.py)
                    assert (top in ALLOWED_IMPORTS or top in sys.stdlib_module_names
                            or (top in OPTIONAL_IMPORTS and (node in guarded
                                                             or frameworks.needs_frameworks(cell)))), name


# ----------------------------------------------------------------------------- mutants
ARRAY_BACKWARD = '''
def backward(x, w1, w2, y_true):
    y1, y1_relu, y2_pred = forward(x, w1, w2)
    grad_y2_pred = {delta}
    grad_w2 = {grad_w2}
    grad_y1 = {grad_y1}
    grad_w1 = x.T @ grad_y1
    return {returned}
'''


def array_backward(delta="2.0 * (y2_pred - y_true)", grad_w2="y1_relu.T @ grad_y2_pred",
                   grad_y1="(grad_y2_pred @ w2.T) * (y1 > 0)", returned="grad_w1, grad_w2"):
    return ARRAY_BACKWARD.format(delta=delta, grad_w2=grad_w2, grad_y1=grad_y1, returned=returned)


TRAIN = '''
def train(x, y_true, w1, w2, learning_rate, iterations):
    loss_history = []
    for t in range(iterations):
{body}
    return w1, w2, loss_history
'''


def train_with(body):
    return TRAIN.format(body="\n".join("        " + line for line in body.strip().split("\n")))


UPDATE_ORDER = train_with("""
loss_history.append(loss(forward(x, w1, w2)[2], y_true))
_, grad_w2 = backward(x, w1, w2, y_true)
w2 = w2 - learning_rate * grad_w2
grad_w1, _ = backward(x, w1, w2, y_true)   # uses the updated w2
w1 = w1 - learning_rate * grad_w1
""")
HISTORY_SHIFTED = train_with("""
grad_w1, grad_w2 = backward(x, w1, w2, y_true)
w1 = w1 - learning_rate * grad_w1
w2 = w2 - learning_rate * grad_w2
loss_history.append(loss(forward(x, w1, w2)[2], y_true))   # after the update
""")
IN_PLACE = train_with("""
loss_history.append(loss(forward(x, w1, w2)[2], y_true))
grad_w1, grad_w2 = backward(x, w1, w2, y_true)
w1 -= learning_rate * grad_w1      # changes the caller's array
w2 -= learning_rate * grad_w2
""")

ARRAY_MUTANTS = {
    "relu_mask_missing": {"backward": array_backward(grad_y1="grad_y2_pred @ w2.T")},
    "factor_2_missing": {"backward": array_backward(delta="y2_pred - y_true")},
    "sign_flipped": {"backward": array_backward(delta="2.0 * (y_true - y2_pred)")},
    "transposed_grad": {"backward": array_backward(grad_w2="grad_y2_pred.T @ y1_relu")},
    "output_relu": {
        "forward": '''
def forward(x, w1, w2):
    y1 = x @ w1
    y1_relu = np.maximum(y1, 0.0)
    return y1, y1_relu, np.maximum(y1_relu @ w2, 0.0)
''',
        "backward": array_backward(delta="2.0 * (y2_pred - y_true) * (y2_pred > 0)")},
    "mean_not_sum": {
        "loss": '''
def loss(y2_pred, y_true):
    return float(np.mean((y2_pred - y_true) ** 2))
''',
        "backward": array_backward(delta="2.0 * (y2_pred - y_true) / y_true.size")},
    "mutates_input": {"train": IN_PLACE},
    "update_order": {"train": UPDATE_ORDER},
    "history_shifted": {"train": HISTORY_SHIFTED},
    "one_output": {"backward": array_backward(returned="grad_w1")},
}

SCALAR_BACKWARD = '''
def backward(x, w1, w2, y_true):
    y1, y1_relu, y2_pred = forward(x, w1, w2)
    grad_y2_pred = {delta}
    grad_w2 = grad_y2_pred * y1_relu
    grad_y1 = {grad_y1}
    return {returned}
'''


def scalar_backward(delta="2.0 * (y2_pred - y_true)",
                    grad_y1="grad_y2_pred * w2 if y1 > 0 else 0.0", returned="grad_y1 * x, grad_w2"):
    return SCALAR_BACKWARD.format(delta=delta, grad_y1=grad_y1, returned=returned)


SCALAR_MUTANTS = {
    "relu_mask_missing": {"backward": scalar_backward(grad_y1="grad_y2_pred * w2")},
    "factor_2_missing": {"backward": scalar_backward(delta="y2_pred - y_true")},
    "sign_flipped": {"backward": scalar_backward(delta="2.0 * (y_true - y2_pred)")},
    "output_relu": {
        "forward": '''
def forward(x, w1, w2):
    y1 = x * w1
    y1_relu = max(y1, 0.0)
    return y1, y1_relu, max(y1_relu * w2, 0.0)
''',
        "backward": scalar_backward(delta="2.0 * (y2_pred - y_true) * (y2_pred > 0)")},
    "update_order": {"train": UPDATE_ORDER},
    "history_shifted": {"train": HISTORY_SHIFTED},
    "one_output": {"backward": scalar_backward(returned="grad_y1 * x")},
}
# Not applicable to scalars: a transposed gradient, a mean over one number, mutating a float.

# Which graded test catches each mutant, and with which hint (checked by the tests below).
CAUGHT_BY = {
    "lab1_scalar": {
        "relu_mask_missing": ("backward_inactive_unit", "relu_mask_missing"),
        "factor_2_missing": ("backward_active_unit", "half"),
        "sign_flipped": ("backward_active_unit", "sign"),
        "output_relu": ("forward_active_unit", "output_relu"),
        "update_order": ("train_three_steps", "update_order"),
        "history_shifted": ("train_three_steps", "history_shifted"),
        "one_output": ("backward_active_unit", "wrong_type"),
        "hard_coded": ("hidden_forward_signs", "relu_mask_wrong"),
    },
    "lab2_vector": {
        "relu_mask_missing": ("backward_inactive_unit", "relu_mask_missing"),
        "factor_2_missing": ("backward_all_active", "half"),
        "sign_flipped": ("backward_all_active", "sign"),
        "transposed_grad": ("backward_all_active", "transposed"),
        "output_relu": ("forward_one_sample", "output_relu"),
        "mean_not_sum": ("loss_one_sample", "mean_not_sum"),
        "mutates_input": ("train_one_step", "mutates_input"),
        "update_order": ("train_three_steps", "update_order"),
        "history_shifted": ("train_three_steps", "history_shifted"),
        "one_output": ("backward_all_active", "wrong_type"),
        "hard_coded": ("hidden_forward_shapes", "shape"),
    },
    "lab3_minibatch": {
        "relu_mask_missing": ("backward_batch", "relu_mask_missing"),
        "factor_2_missing": ("backward_batch", "half"),
        "sign_flipped": ("backward_batch", "sign"),
        "transposed_grad": ("backward_batch", "transposed"),
        "output_relu": ("forward_batch", "output_relu"),
        "mean_not_sum": ("loss_batch", "mean_not_sum"),
        "mutates_input": ("train_one_step", "mutates_input"),
        "update_order": ("train_three_steps", "update_order"),
        "history_shifted": ("train_three_steps", "history_shifted"),
        "one_output": ("backward_batch", "wrong_type"),
        "hard_coded": ("hidden_forward_shapes", "shape"),
    },
}

# ----------------------------------------------------------------------------- valid alternatives
ARRAY_ALTERNATIVES = {
    "dot_and_boolean_mask_copy": {
        "forward": '''
def forward(x, w1, w2):
    y1 = x.dot(w1)
    y1_relu = y1.copy()
    y1_relu[y1 < 0] = 0
    return y1, y1_relu, y1_relu.dot(w2)
''',
        "backward": '''
def backward(x, w1, w2, y_true):
    y1, y1_relu, y2_pred = forward(x, w1, w2)
    grad_y2_pred = 2.0 * (y2_pred - y_true)
    grad_w2 = y1_relu.T.dot(grad_y2_pred)
    grad_y1 = grad_y2_pred.dot(w2.T).copy()
    grad_y1[y1 < 0] = 0
    return x.T.dot(grad_y1), grad_w2
'''},
    "np_where_and_numpy_scalar_loss": {
        "loss": '''
def loss(y2_pred, y_true):
    return np.sum(np.square(y2_pred - y_true))
''',
        "backward": '''
def backward(x, w1, w2, y_true):
    y1 = x @ w1
    y2_pred = np.where(y1 > 0, y1, 0) @ w2
    delta2 = 2 * (y2_pred - y_true)
    delta1 = np.where(y1 > 0, delta2 @ w2.T, 0.0)
    return x.T @ delta1, np.where(y1 > 0, y1, 0).T @ delta2
'''},
    "per_sample_loops": {
        "forward": '''
def forward(x, w1, w2):
    y1 = np.zeros((x.shape[0], w1.shape[1]))
    y2_pred = np.zeros((x.shape[0], w2.shape[1]))
    for n in range(x.shape[0]):
        y1[n] = x[n] @ w1
        y2_pred[n] = np.maximum(y1[n], 0) @ w2
    return y1, np.maximum(y1, 0), y2_pred
''',
        "loss": '''
def loss(y2_pred, y_true):
    total = 0.0
    for row_pred, row_true in zip(y2_pred, y_true):
        for a, b in zip(row_pred, row_true):
            total += (a - b) ** 2
    return total
''',
        "backward": '''
def backward(x, w1, w2, y_true):
    grad_w1, grad_w2 = np.zeros_like(w1), np.zeros_like(w2)
    for n in range(x.shape[0]):
        u = x[n] @ w1
        z = np.maximum(u, 0)
        delta2 = 2 * (z @ w2 - y_true[n])
        grad_w2 += np.outer(z, delta2)
        grad_w1 += np.outer(x[n], (w2 @ delta2) * (u > 0))
    return grad_w1, grad_w2
'''},
    "einsum_and_copy_in_place_train": {
        "backward": '''
def backward(x, w1, w2, y_true):
    u = np.einsum("nk,kj->nj", x, w1)
    z = np.maximum(u, 0)
    delta2 = 2 * (np.einsum("nj,jm->nm", z, w2) - y_true)
    delta1 = np.einsum("nm,jm->nj", delta2, w2) * (u > 0)
    return np.einsum("nk,nj->kj", x, delta1), np.einsum("nj,nm->jm", z, delta2)
''',
        "train": '''
def train(x, y_true, w1, w2, learning_rate, iterations):
    w1, w2 = w1.copy(), w2.copy()
    history = np.zeros(iterations)
    for t in range(iterations):
        history[t] = loss(forward(x, w1, w2)[2], y_true)
        g1, g2 = backward(x, w1, w2, y_true)
        w1 -= learning_rate * g1
        w2 -= learning_rate * g2
    return [w1, w2, history]
'''},
}

SCALAR_ALTERNATIVES = {
    "numpy_scalars": {
        "forward": '''
def forward(x, w1, w2):
    y1 = np.float64(x) * np.float64(w1)
    y1_relu = np.maximum(y1, 0)
    return y1, y1_relu, y1_relu * w2
''',
        "loss": '''
def loss(y2_pred, y_true):
    return np.square(np.float64(y2_pred) - y_true)
''',
        "backward": '''
def backward(x, w1, w2, y_true):
    y1, y1_relu, y2_pred = forward(x, w1, w2)
    grad_y2_pred = 2 * (y2_pred - y_true)
    grad_y1 = np.where(y1 > 0, grad_y2_pred * w2, 0.0)      # a 0-d array
    return grad_y1 * x, grad_y2_pred * y1_relu
'''},
    "mask_by_multiplication_and_array_history": {
        "backward": '''
def backward(x, w1, w2, y_true):
    y1 = w1 * x
    relu_derivative = float(y1 > 0)
    y2_pred = w2 * y1 * relu_derivative
    delta = 2.0 * (y2_pred - y_true)
    return delta * w2 * relu_derivative * x, delta * y1 * relu_derivative
''',
        "train": '''
def train(x, y_true, w1, w2, learning_rate, iterations):
    history = np.empty(iterations)
    for t in range(iterations):
        history[t] = loss(forward(x, w1, w2)[2], y_true)
        g1, g2 = backward(x, w1, w2, y_true)
        w1, w2 = w1 - learning_rate * g1, w2 - learning_rate * g2
    return w1, w2, history
'''},
}


# ----------------------------------------------------------------------------- labs 4 and 5: classes
def edited(lab, name, *edits):
    """{name: source}: the instructor's solution cell of class or function `name`, with each
    (old, new) text edit applied exactly once (the markers are comments and may stay)."""
    nb = solution(lab)
    for info, cell in zip(infos(nb), nb.cells):
        if info.kind == "solution" and re.match(rf"(?:def|class) {name}\b", cell.source):
            source = cell.source
            for old, new in edits:
                assert source.count(old) == 1, f"{lab} {name}: {old!r} occurs {source.count(old)} times"
                source = source.replace(old, new)
            return {name: source}
    raise AssertionError(f"{lab} has no solution cell for {name}")


def lab4_mutants():
    lab = "lab4_xor"
    sigmoid_back = "return grad_z * self.z * (1.0 - self.z)"
    db_line = "self.db = np.sum(grad_u, axis=0, keepdims=True)"
    return {
        "sigmoid_derivative_missing": edited(lab, "Sigmoid", (sigmoid_back, "return grad_z")),
        "sigmoid_derivative_of_input": edited(
            lab, "Sigmoid", ("self.z = 1.0 / (1.0 + np.exp(-u))",
                             "self.u = u\n        self.z = 1.0 / (1.0 + np.exp(-u))"),
            (sigmoid_back, "return grad_z * self.u * (1.0 - self.u)")),
        "sign_flipped": edited(lab, "SquaredError",
                               ("2.0 * (self.y - self.d)", "2.0 * (self.d - self.y)")),
        "factor_2_missing": edited(lab, "SquaredError",
                                   ("return 2.0 * (self.y - self.d)", "return (self.y - self.d)")),
        "sum_not_mean": edited(lab, "SquaredError",
                               ("np.sum((y - d) ** 2) / y.shape[0]", "np.sum((y - d) ** 2)"),
                               ("(self.y - self.d) / self.y.shape[0]", "(self.y - self.d)")),
        "mean_over_all_entries": edited(lab, "SquaredError",
                                        ("np.sum((y - d) ** 2) / y.shape[0]", "np.mean((y - d) ** 2)")),
        "dW_transposed": edited(lab, "Linear",
                                ("self.dW = self.x.T @ grad_u", "self.dW = grad_u.T @ self.x")),
        "db_forgotten": edited(lab, "Linear", (db_line, "self.db = np.zeros_like(self.b)")),
        "db_without_keepdims": edited(lab, "Linear", (db_line, "self.db = np.sum(grad_u, axis=0)")),
        "bias_missing_in_forward": edited(lab, "Linear",
                                          ("return x @ self.W + self.b", "return x @ self.W")),
        "init_not_from_rng": edited(lab, "Linear", ("rng.standard_normal((n_in, n_out))",
                                                    "np.random.standard_normal((n_in, n_out))")),
        "relu_mask_missing": edited(lab, "ReLU", ("return grad_z * (self.u > 0)", "return grad_z")),
        "bias_not_updated": edited(lab, "Network", (
            "                layer.b = layer.b - learning_rate * layer.db\n", "")),
        "backward_not_reversed": edited(lab, "Network", ("for layer in reversed(self.layers):",
                                                         "for layer in self.layers:")),
        "mutates_input": edited(lab, "Sigmoid", (sigmoid_back, "grad_z *= self.z * (1.0 - self.z)\n"
                                                               "        return grad_z")),
        "history_shifted": edited(lab, "train", (
            "        loss_history.append(loss.forward(network.forward(x), d))\n"
            "        network.backward(loss.backward())\n"
            "        network.step(learning_rate)\n",
            "        loss.forward(network.forward(x), d)\n"
            "        network.backward(loss.backward())\n"
            "        network.step(learning_rate)\n"
            "        loss_history.append(loss.forward(network.forward(x), d))   # after the update\n")),
    }


def lab5_mutants():
    lab = "lab5_softmax"
    shift = "shifted = u - np.max(u, axis=1, keepdims=True)"
    delta = "return (self.y - self.d) / self.y.shape[0]"
    he_line = "self.W = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))"
    velocities = ("layer.vW = momentum * layer.vW - learning_rate * layer.dW\n"
                  "                layer.vb = momentum * layer.vb - learning_rate * layer.db\n")
    weights = ("                layer.W = layer.W + layer.vW\n"
               "                layer.b = layer.b + layer.vb\n")
    return {
        "unstable_softmax": edited(lab, "softmax", (shift, "shifted = u")),
        "softmax_over_the_batch": edited(lab, "softmax", (shift, "shifted = u - np.max(u)"),
                                         ("np.sum(e, axis=1, keepdims=True)", "np.sum(e, axis=0)")),
        "unstable_cross_entropy": edited(lab, "SoftmaxCrossEntropy", (shift, "shifted = u")),
        "log_of_softmax": edited(lab, "SoftmaxCrossEntropy", (
            "log_y = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))",
            "log_y = np.log(softmax(u))")),
        "sign_flipped": edited(lab, "SoftmaxCrossEntropy",
                               (delta, "return (self.d - self.y) / self.y.shape[0]")),
        "sum_not_mean": edited(lab, "SoftmaxCrossEntropy",
                               ("-np.sum(d * log_y) / u.shape[0]", "-np.sum(d * log_y)"),
                               (delta, "return self.y - self.d")),
        "delta_without_1_over_N": edited(lab, "SoftmaxCrossEntropy",
                                         (delta, "return self.y - self.d")),
        "he_with_fan_out": edited(lab, "Linear", (he_line, he_line.replace("/ n_in", "/ n_out"))),
        "standard_normal_init": edited(lab, "Linear", (he_line, he_line.replace("np.sqrt(2.0 / n_in)",
                                                                                "1.0"))),
        "dW_transposed": edited(lab, "Linear",
                                ("self.dW = self.x.T @ grad_u", "self.dW = grad_u.T @ self.x")),
        "mutates_input": edited(lab, "ReLU", ("return grad_z * (self.u > 0)",
                                              "grad_z[self.u <= 0] = 0.0\n        return grad_z")),
        "momentum_update_order": edited(lab, "Network", (velocities + weights,
                                                         weights.lstrip(" ") + "                "
                                                         + velocities)),
        "momentum_sign": edited(lab, "Network", ("- learning_rate * layer.dW",
                                                 "+ learning_rate * layer.dW")),
        "no_shuffle": edited(lab, "train", ("order = rng.permutation(x.shape[0])",
                                            "order = np.arange(x.shape[0])")),
    }


CLASS_CAUGHT_BY = {
    "lab4_xor": {
        "sigmoid_derivative_missing": ("sigmoid_backward", "derivative_missing"),
        "sigmoid_derivative_of_input": ("sigmoid_backward", "nonzero_where_zero"),  # worded for it
        "sign_flipped": ("squared_error_backward", "sign"),
        "factor_2_missing": ("squared_error_backward", "half"),
        "sum_not_mean": ("squared_error_forward", "mean_not_sum"),
        "mean_over_all_entries": ("squared_error_forward", "mean_not_sum"),
        "dW_transposed": ("linear_backward", "transposed"),
        "db_forgotten": ("linear_backward", "zeros"),
        "db_without_keepdims": ("linear_backward", "shape"),
        "bias_missing_in_forward": ("linear_forward", "bias_missing"),
        "init_not_from_rng": ("linear_init", "values"),
        "relu_mask_missing": ("relu_forward_backward", "derivative_missing"),
        "bias_not_updated": ("network_step", "unchanged"),
        "backward_not_reversed": ("network_backward", "exception"),
        "mutates_input": ("sigmoid_backward", "mutates_input"),
        "history_shifted": ("train_three_epochs", "history_shifted"),
    },
    "lab5_softmax": {
        "unstable_softmax": ("softmax_large_logits", "not_finite"),
        "softmax_over_the_batch": ("softmax_values", "values"),
        "unstable_cross_entropy": ("cross_entropy_large_logits", "not_finite"),
        "log_of_softmax": ("cross_entropy_large_logits", "not_finite"),
        "sign_flipped": ("cross_entropy_backward", "sign"),
        "sum_not_mean": ("cross_entropy_forward", "mean_not_sum"),
        "delta_without_1_over_N": ("cross_entropy_backward", "mean_not_sum"),
        "he_with_fan_out": ("linear_init_he", "values"),
        "standard_normal_init": ("linear_init_he", "values"),
        "dW_transposed": ("linear_forward_backward", "transposed"),
        "mutates_input": ("relu_forward_backward", "mutates_input"),
        "momentum_update_order": ("network_step_from_rest", "unchanged"),
        "momentum_sign": ("network_step_momentum", "values"),
        "no_shuffle": ("train_two_epochs", "values"),
    },
}
CAUGHT_BY.update(CLASS_CAUGHT_BY)
CLASS_MUTANTS = {"lab4_xor": lab4_mutants, "lab5_softmax": lab5_mutants}

CLASS_ALTERNATIVES = {
    "lab4_xor": {
        "einsum_stable_sigmoid_in_place_step": {
            "Linear": '''
class Linear:
    def __init__(self, n_in, n_out, rng):
        self.W = rng.normal(0.0, 1.0, size=(n_in, n_out))
        self.b = np.zeros(n_out).reshape(1, -1)

    def forward(self, x):
        self.x = x.copy()
        return np.dot(x, self.W) + self.b

    def backward(self, grad_u):
        self.dW = np.einsum("ni,nj->ij", self.x, grad_u)
        self.db = grad_u.sum(axis=0)[np.newaxis, :]
        return np.dot(grad_u, self.W.T)
''',
            "Sigmoid": '''
class Sigmoid:
    def forward(self, u):
        self.u = u
        return np.exp(-np.logaddexp(0.0, -u))

    def backward(self, grad_z):
        s = np.exp(-np.logaddexp(0.0, -self.u))
        return grad_z * s * (1 - s)
''',
            "ReLU": '''
class ReLU:
    def forward(self, u):
        self.mask = u > 0
        return np.where(self.mask, u, 0.0)

    def backward(self, grad_z):
        out = grad_z.copy()
        out[~self.mask] = 0
        return out
''',
            "SquaredError": '''
class SquaredError:
    def forward(self, y, d):
        self.diff = y - d
        return np.mean(np.sum(self.diff ** 2, axis=1))

    def backward(self):
        return 2 * self.diff / len(self.diff)
''',
            "Network": '''
class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        out = x
        for i in range(len(self.layers)):
            out = self.layers[i].forward(out)
        return out

    def backward(self, grad_y):
        g = grad_y
        for layer in self.layers[::-1]:
            g = layer.backward(g)
        return g

    def step(self, learning_rate):
        for layer in self.layers:
            if isinstance(layer, Linear):
                layer.W -= learning_rate * layer.dW      # in place: the layer's own array
                layer.b -= learning_rate * layer.db
''',
            "train": '''
def train(network, x, d, learning_rate, epochs):
    criterion = SquaredError()
    history = np.zeros(epochs)
    for t in range(epochs):
        history[t] = criterion.forward(network.forward(x), d)
        network.backward(criterion.backward())
        network.step(learning_rate)
    return history
''',
            "accuracy": '''
def accuracy(y, d):
    return np.count_nonzero((y >= 0.5) == (d == 1)) / d.size
'''},
        "tanh_sigmoid_and_loops": {
            "Sigmoid": '''
class Sigmoid:
    def forward(self, u):
        self.out = 0.5 * (1.0 + np.tanh(0.5 * u))
        return self.out

    def backward(self, grad_z):
        return np.multiply(grad_z, self.out - self.out ** 2)
''',
            "SquaredError": '''
class SquaredError:
    def forward(self, y, d):
        self.y, self.d = y, d
        return sum(float(np.sum((row_y - row_d) ** 2)) for row_y, row_d in zip(y, d)) / len(y)

    def backward(self):
        return (self.y - self.d) * (2.0 / len(self.y))
'''},
    },
    "lab5_softmax": {
        "labels_and_log_softmax": {
            "softmax": '''
def softmax(u):
    z = u - u.max(axis=-1, keepdims=True)
    return np.exp(z - np.log(np.exp(z).sum(axis=-1, keepdims=True)))
''',
            "SoftmaxCrossEntropy": '''
class SoftmaxCrossEntropy:
    def forward(self, u, d):
        self.labels = np.argmax(d, axis=1)
        self.y = softmax(u)
        z = u - u.max(axis=1, keepdims=True)
        log_y = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return -np.mean(log_y[np.arange(len(u)), self.labels])

    def backward(self):
        grad = self.y.copy()
        grad[np.arange(len(grad)), self.labels] -= 1.0
        return grad / len(grad)
''',
            "Linear": '''
class Linear:
    def __init__(self, n_in, n_out, rng):
        self.W = np.sqrt(2.0 / n_in) * rng.standard_normal((n_in, n_out))
        self.b = np.zeros((1, n_out))
        self.vW, self.vb = np.zeros_like(self.W), np.zeros_like(self.b)

    def forward(self, x):
        self.x = x
        return np.einsum("ni,ij->nj", x, self.W) + self.b

    def backward(self, grad_u):
        self.dW = np.einsum("ni,nj->ij", self.x, grad_u)
        self.db = grad_u.sum(axis=0, keepdims=True)
        return np.einsum("nj,ij->ni", grad_u, self.W)
''',
            "Network": '''
class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_y):
        for layer in self.layers[::-1]:
            grad_y = layer.backward(grad_y)
        return grad_y

    def step(self, learning_rate, momentum):
        for layer in self.layers:
            if isinstance(layer, Linear):
                for p, v, g in (("W", "vW", "dW"), ("b", "vb", "db")):
                    setattr(layer, v, momentum * getattr(layer, v) - learning_rate * getattr(layer, g))
                    setattr(layer, p, getattr(layer, p) + getattr(layer, v))
''',
            "train": '''
def train(network, x, d, learning_rate, momentum, batch_size, epochs, rng):
    criterion = SoftmaxCrossEntropy()
    history = []
    n = len(x)
    for _ in range(epochs):
        perm = rng.permutation(n)
        xs, ds = x[perm], d[perm]
        for i in range(0, n, batch_size):
            history.append(criterion.forward(network.forward(xs[i:i + batch_size]),
                                             ds[i:i + batch_size]))
            network.backward(criterion.backward())
            network.step(learning_rate, momentum)
    return np.array(history)
''',
            "accuracy": '''
def accuracy(u, d):
    return np.sum(u.argmax(1) == d.argmax(1)) / len(u)
'''},
    },
}


# ----------------------------------------------------------------------------- lab 6: autograd
def _without_methods(lab, name, methods):
    """{name: source}: the solution cell of class `name` with the given methods left out."""
    (source,) = edited(lab, name).values()
    for method_name in methods:
        match = re.search(rf"\n    def {method_name}\(.*?(?=\n    def |\Z)", source, re.S)
        assert match, f"{lab} {name} has no method {method_name}"
        source = source[:match.start()] + source[match.end():]
    return {name: source}


def lab6_mutants():
    lab = "lab6_autograd"
    add_rule = "            self.grad += out.grad\n            other.grad += out.grad"
    mul_rule = ("            self.grad += other.data * out.grad\n"
                "            other.grad += self.data * out.grad")
    pow_rule = "self.grad += exponent * self.data ** (exponent - 1) * out.grad"
    topological = ("        order, visited, stack = [], set(), [(self, False)]\n"
                   "        while stack:                  # a depth-first search without recursion\n"
                   "            node, parents_done = stack.pop()\n"
                   "            if parents_done:\n"
                   "                order.append(node)    # after all its parents: a topological order\n"
                   "            elif node not in visited:\n"
                   "                visited.add(node)\n"
                   "                stack.append((node, True))\n"
                   "                stack.extend((parent, False) for parent in node.parents)\n"
                   "        self.grad = grad\n"
                   "        for node in reversed(order):  # every node after all its users\n"
                   "            node._backward()")
    recursive = ("        order, visited = [], set()\n\n        def visit(node):\n"
                 "            if node not in visited:\n                visited.add(node)\n"
                 "                for parent in node.parents:\n                    visit(parent)\n"
                 "                order.append(node)\n"
                 "        visit(self)\n        self.grad = grad\n"
                 "        for node in reversed(order):\n"
                 "            node._backward()")
    breadth_first = ("        self.grad = grad\n        queue, seen = [self], {self}\n"
                     "        while queue:                  # nearest nodes first: wrong order\n"
                     "            node = queue.pop(0)\n            node._backward()\n"
                     "            for parent in node.parents:\n"
                     "                if parent not in seen:\n"
                     "                    seen.add(parent)\n"
                     "                    queue.append(parent)")
    unbroadcast = ("            for operand in (self, other):\n                grad = out.grad\n"
                   "                while grad.ndim > operand.data.ndim:   # axes that broadcasting put in front\n"
                   "                    grad = grad.sum(axis=0)\n"
                   "                for axis, size in enumerate(operand.data.shape):\n"
                   "                    if size == 1:                       # axes of length 1 that were stretched\n"
                   "                        grad = grad.sum(axis=axis, keepdims=True)\n"
                   "                operand.grad += grad\n")
    return {
        "overwrite_not_accumulate": edited(
            lab, "Value", (add_rule, add_rule.replace("+=", "=")),
            (mul_rule, mul_rule.replace("+=", "="))),
        "topological_order_not_reversed": edited(lab, "Value", ("for node in reversed(order):",
                                                                "for node in order:")),
        "breadth_first_order": edited(lab, "Value", (topological, breadth_first)),
        "recursive_topological_order": edited(lab, "Value", (topological, recursive)),
        "mul_derivative_swapped": edited(lab, "Value", (mul_rule, mul_rule.replace(
            "other.data * out", "@").replace("self.data * out", "other.data * out").replace(
            "@", "self.data * out"))),
        "mul_derivative_missing": edited(lab, "Value", (mul_rule, add_rule)),
        "pow_derivative_missing": edited(lab, "Value", (pow_rule, "self.grad += out.grad")),
        "pow_derivative_wrong": edited(lab, "Value", (pow_rule, pow_rule.replace(
            "(exponent - 1)", "exponent"))),
        "tanh_derivative_of_input": edited(lab, "Value", ("(1.0 - out.data ** 2)",
                                                          "(1.0 - self.data ** 2)")),
        "relu_mask_on_gradient": edited(lab, "Value", ("self.grad += (self.data > 0) * out.grad",
                                                       "self.grad += (out.grad > 0) * out.grad")),
        "reflected_operators_missing": _without_methods(
            lab, "Value", ["__radd__", "__rmul__", "__rsub__", "__rtruediv__"]),
        "rsub_reversed": edited(lab, "Value", ("return (-self) + other", "return self - other")),
        "zero_grad_does_nothing": edited(lab, "zero_grad", (
            "    for p in parameters:\n        p.grad = 0.0",
            "    for grad in [p.grad for p in parameters]:\n        grad = 0.0")),
        "train_without_zero_grad": edited(lab, "train", ("        zero_grad(parameters)\n", "")),
        "mse_mean_over_all_entries": edited(lab, "mean_squared_error", (
            "return total / len(outputs)", "return total / (len(outputs) * len(outputs[0]))")),
        "broadcast_axis_not_summed": edited(lab, "Tensor", (
            unbroadcast, "            for operand in (self, other):\n"
                         "                operand.grad = operand.grad + out.grad\n")),
        "matmul_grad_transposed": edited(lab, "Tensor", ("other.grad += self.data.T @ out.grad",
                                                         "other.grad = out.grad.T @ self.data")),
        "tensor_relu_mask_on_gradient": edited(lab, "Tensor", (
            "self.grad += out.grad * (self.data > 0)", "self.grad += out.grad * (out.grad > 0)")),
        "tensor_relu_in_place": edited(lab, "Tensor", (
            "self.grad += out.grad * (self.data > 0)",
            "out.grad[self.data <= 0] = 0.0\n            self.grad += out.grad")),
        "sign_flipped": edited(lab, "Tensor", ("self.grad += out.grad * 2.0 * diff / n",
                                               "self.grad += out.grad * 2.0 * (-diff) / n")),
    }


LAB6_CAUGHT_BY = {
    "overwrite_not_accumulate": ("value_used_twice", "half"),
    "topological_order_not_reversed": ("backward_order", "zero_where_nonzero"),  # worded for it
    "breadth_first_order": ("backward_order", "half"),
    "recursive_topological_order": ("backward_long_graph", "exception"),          # RecursionError
    "mul_derivative_swapped": ("value_mul", "unchanged"),
    "mul_derivative_missing": ("value_local_derivatives", "derivative_missing"),
    "pow_derivative_missing": ("value_local_derivatives", "derivative_missing"),
    "pow_derivative_wrong": ("value_pow", "values"),
    "tanh_derivative_of_input": ("value_exp_log_tanh", "values"),
    "relu_mask_on_gradient": ("value_relu", "relu_mask_wrong"),
    "reflected_operators_missing": ("value_reflected", "exception"),
    "rsub_reversed": ("value_reflected", "sign"),
    "zero_grad_does_nothing": ("zero_grad", "nonzero_where_zero"),               # worded for it
    "train_without_zero_grad": ("train_four_epochs", "update_order"),           # worded for it
    "mse_mean_over_all_entries": ("mean_squared_error", "mean_not_sum"),
    "broadcast_axis_not_summed": ("tensor_add_broadcast", "shape"),
    "matmul_grad_transposed": ("tensor_matmul_backward", "transposed"),
    "tensor_relu_mask_on_gradient": ("tensor_relu_backward", "relu_mask_missing"),
    "tensor_relu_in_place": ("tensor_relu_backward", "mutates_input"),
    "sign_flipped": ("tensor_mse_backward", "sign"),
}

# Valid designs: local derivatives stored next to the parents and an explicit stack instead of
# closures and recursion; Kahn's algorithm (count the users); a Tensor on its own or inheriting;
# zero_grad as a loop, a comprehension or grad *= 0; other compositions of the operations.
LAB6_ALTERNATIVES = {
    "local_derivatives_explicit_stack_own_tensor": {
        "Value": '''
class Value:
    def __init__(self, data, parents=(), local=()):
        self.data = float(data)
        self.grad = 0.0
        self.parents = tuple(parents)
        self.local = tuple(local)        # d self / d parent, one per parent

    @staticmethod
    def lift(v):
        return v if isinstance(v, Value) else Value(v)

    def __add__(self, other):
        other = Value.lift(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    __radd__ = __add__

    def __mul__(self, other):
        other = Value.lift(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    __rmul__ = __mul__

    def __pow__(self, n):
        return Value(self.data ** n, (self,), (n * self.data ** (n - 1),))

    def exp(self):
        e = math.exp(self.data)
        return Value(e, (self,), (e,))

    def log(self):
        return Value(math.log(self.data), (self,), (1.0 / self.data,))

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (1.0 - t * t,))

    def relu(self):
        on = self.data > 0
        return Value(self.data if on else 0.0, (self,), (1.0 if on else 0.0,))

    def __neg__(self):
        return Value(-self.data, (self,), (-1.0,))

    def __sub__(self, other):
        return self + (-Value.lift(other))

    def __rsub__(self, other):
        return Value.lift(other) - self

    def __truediv__(self, other):
        other = Value.lift(other)
        return Value(self.data / other.data, (self, other),
                     (1.0 / other.data, -self.data / other.data ** 2))

    def __rtruediv__(self, other):
        return Value.lift(other) / self

    def backward(self, grad=1.0):
        order, done, stack = [], set(), [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif node not in done:
                done.add(node)
                stack.append((node, True))
                stack.extend((parent, False) for parent in node.parents)
        self.grad = grad
        for node in order[::-1]:
            for parent, local in zip(node.parents, node.local):
                parent.grad += local * node.grad
''',
        "sigmoid": '''
def sigmoid(v):
    return 0.5 * (0.5 * v).tanh() + 0.5
''',
        "zero_grad": '''
def zero_grad(parameters):
    [setattr(p, "grad", 0.0) for p in parameters]
''',
        "Neuron": '''
class Neuron:
    def __init__(self, n_in, rng, activation=None):
        self.w = list(map(Value, rng.standard_normal(n_in)))
        self.b = Value(0)
        self.activation = activation

    def __call__(self, x):
        u = sum((w_i * x_i for w_i, x_i in zip(self.w, x)), self.b)
        return self.activation(u) if self.activation else u

    def parameters(self):
        return [*self.w, self.b]
''',
        "Layer": '''
class Layer:
    def __init__(self, n_in, n_out, rng, activation=None):
        self.neurons = []
        for _ in range(n_out):
            self.neurons.append(Neuron(n_in, rng, activation))

    def __call__(self, x):
        return list(map(lambda neuron: neuron(x), self.neurons))

    def parameters(self):
        return sum((neuron.parameters() for neuron in self.neurons), [])
''',
        "MLP": '''
class MLP:
    def __init__(self, sizes, rng):
        functions = [Value.tanh] * (len(sizes) - 2) + [sigmoid]
        self.layers = [Layer(a, b, rng, f) for a, b, f in zip(sizes, sizes[1:], functions)]

    def __call__(self, x):
        out = list(x)
        for layer in self.layers:
            out = layer(out)
        return out

    def parameters(self):
        found = []
        for layer in self.layers:
            found.extend(layer.parameters())
        return found
''',
        "mean_squared_error": '''
def mean_squared_error(outputs, targets):
    return sum((y - d) ** 2 for y_n, d_n in zip(outputs, targets) for y, d in zip(y_n, d_n)) \\
        * (1.0 / len(outputs))
''',
        "train": '''
def train(network, x, d, learning_rate, epochs):
    params = network.parameters()
    history = np.zeros(epochs)
    for t in range(epochs):
        E = mean_squared_error(list(map(network, x)), d)
        history[t] = E.data
        zero_grad(params)
        E.backward()
        for p in params:
            p.data = p.data - learning_rate * p.grad
    return history
''',
        "Tensor": '''
class Tensor:
    def __init__(self, data, parents=()):
        self.data = np.array(data, dtype=float)
        self.grad = np.zeros_like(self.data)
        self.parents = tuple(parents)
        self._backward = lambda: None

    @staticmethod
    def unbroadcast(grad, shape):
        grad = np.asarray(grad)
        while grad.ndim > len(shape):
            grad = grad.sum(axis=0)
        axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
        return grad.sum(axis=axes, keepdims=True) if axes else grad

    def __matmul__(self, other):
        out = Tensor(np.matmul(self.data, other.data), (self, other))

        def _backward():
            self.grad = self.grad + np.einsum("nj,ij->ni", out.grad, other.data)
            other.grad = other.grad + np.einsum("ni,nj->ij", self.data, out.grad)
        out._backward = _backward
        return out

    def __add__(self, other):
        out = Tensor(self.data + other.data, (self, other))

        def _backward():
            self.grad = self.grad + Tensor.unbroadcast(out.grad, self.data.shape)
            other.grad = other.grad + Tensor.unbroadcast(out.grad, other.data.shape)
        out._backward = _backward
        return out

    def relu(self):
        mask = self.data > 0
        out = Tensor(np.where(mask, self.data, 0.0), (self,))

        def _backward():
            self.grad = self.grad + np.where(mask, out.grad, 0.0)
        out._backward = _backward
        return out

    def mean_squared_error(self, targets):
        err = self.data - targets
        out = Tensor(np.mean(np.sum(err ** 2, axis=1)), (self,))

        def _backward():
            self.grad = self.grad + out.grad * err * (2.0 / len(err))
        out._backward = _backward
        return out

    def backward(self, grad=1.0):
        users, stack, seen = {}, [self], {self}
        while stack:                       # count the users of every node (Kahn's algorithm)
            node = stack.pop()
            for parent in node.parents:
                users[parent] = users.get(parent, 0) + 1
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        self.grad = grad
        ready = [self]
        while ready:
            node = ready.pop()
            node._backward()
            for parent in node.parents:
                users[parent] -= 1
                if users[parent] == 0:
                    ready.append(parent)
'''},
    "closures_kahn_order_own_rules": {
        "Value": '''
class Value:
    def __init__(self, data, parents=()):
        self.data = float(data)
        self.grad = 0.0
        self.parents = tuple(parents)
        self._backward = lambda: None

    def _result(self, data, parents, rule):
        out = Value(data, parents)
        out._backward = lambda: rule(out.grad)
        return out

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)

        def rule(g):
            self.grad += g
            other.grad += g
        return self._result(self.data + other.data, (self, other), rule)

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)

        def rule(g):
            self.grad += g * other.data
            other.grad += g * self.data
        return self._result(self.data * other.data, (self, other), rule)

    def __pow__(self, exponent):
        def rule(g):
            self.grad += g * exponent * self.data ** (exponent - 1)
        return self._result(self.data ** exponent, (self,), rule)

    def exp(self):
        e = math.exp(self.data)

        def rule(g):
            self.grad += g * e
        return self._result(e, (self,), rule)

    def log(self):
        def rule(g):
            self.grad += g / self.data
        return self._result(math.log(self.data), (self,), rule)

    def tanh(self):
        t = math.tanh(self.data)

        def rule(g):
            self.grad += g * (1 - t) * (1 + t)
        return self._result(t, (self,), rule)

    def relu(self):
        def rule(g):
            if self.data > 0:
                self.grad += g
        return self._result(max(0.0, self.data), (self,), rule)

    def __neg__(self):
        def rule(g):
            self.grad -= g
        return self._result(-self.data, (self,), rule)

    def __sub__(self, other):
        other = other if isinstance(other, Value) else Value(other)

        def rule(g):
            self.grad += g
            other.grad -= g
        return self._result(self.data - other.data, (self, other), rule)

    def __truediv__(self, other):
        other = other if isinstance(other, Value) else Value(other)

        def rule(g):
            self.grad += g / other.data
            other.grad -= g * self.data / other.data ** 2
        return self._result(self.data / other.data, (self, other), rule)

    def __radd__(self, other):
        return Value(other) + self

    def __rmul__(self, other):
        return Value(other) * self

    def __rsub__(self, other):
        return Value(other) - self

    def __rtruediv__(self, other):
        return Value(other) / self

    def backward(self, grad=1.0):
        users, todo, seen = {}, [self], {self}
        while todo:
            node = todo.pop()
            for parent in node.parents:
                users[parent] = users.get(parent, 0) + 1
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        self.grad = grad
        ready = [self]
        while ready:
            node = ready.pop()
            node._backward()
            for parent in node.parents:
                users[parent] -= 1
                if not users[parent]:
                    ready.append(parent)
''',
        "sigmoid": '''
def sigmoid(v):
    e = v.exp()
    return e / (e + 1)
''',
        "zero_grad": '''
def zero_grad(parameters):
    for p in parameters:
        p.grad *= 0.0
''',
        "train": '''
def train(network, x, d, learning_rate, epochs):
    parameters = list(network.parameters())
    loss_history, t = [], 0
    while t < epochs:
        E = mean_squared_error([network(row) for row in x], d)
        zero_grad(parameters)
        E.backward()
        loss_history.append(float(E.data))
        for p in parameters:
            p.data += -learning_rate * p.grad
        t += 1
    return loss_history
''',
        "Tensor": '''
class Tensor(Value):
    def __init__(self, data, parents=()):
        super().__init__(0.0, parents)
        self.data = np.array(data, dtype=float)
        self.grad = np.zeros_like(self.data)

    def __matmul__(self, other):
        out = Tensor(np.dot(self.data, other.data), (self, other))

        def _backward():
            self.grad = self.grad + np.dot(out.grad, other.data.T)
            other.grad = other.grad + np.dot(self.data.T, out.grad)
        out._backward = _backward
        return out

    def __add__(self, other):
        out = Tensor(np.add(self.data, other.data), (self, other))

        def _backward():
            for operand in (self, other):
                shape = (1,) * (out.grad.ndim - operand.data.ndim) + operand.data.shape
                axes = tuple(i for i, (a, b) in enumerate(zip(shape, out.grad.shape)) if a != b)
                operand.grad = operand.grad + np.add.reduce(
                    out.grad, axis=axes, keepdims=True).reshape(operand.data.shape)
        out._backward = _backward
        return out

    def relu(self):
        out = Tensor(np.where(self.data > 0, self.data, 0.0), (self,))

        def _backward():
            self.grad = self.grad + np.where(self.data > 0, out.grad, 0.0)
        out._backward = _backward
        return out

    def mean_squared_error(self, targets):
        n = self.data.shape[0]
        out = Tensor(np.sum(np.square(self.data - targets)) / n, (self,))

        def _backward():
            self.grad = self.grad + 2.0 * out.grad * (self.data - targets) / n
        out._backward = _backward
        return out
'''},
}

CAUGHT_BY["lab6_autograd"] = LAB6_CAUGHT_BY
CLASS_MUTANTS["lab6_autograd"] = lab6_mutants
CLASS_ALTERNATIVES["lab6_autograd"] = LAB6_ALTERNATIVES


# ----------------------------------------------------------------------------- lab 7: layers
def lab7_mutants():
    lab = "lab7_layers"
    bn_grad_x = "g_x = inv_std * (g_hat - g_hat.mean(axis=0) - x_hat * (g_hat * x_hat).mean(axis=0))"
    attention_grads = "return g_scores @ K.data * scale, g_scores.T @ Q.data * scale, A.T @ g"
    return {
        "col2im_overwrites": edited(lab, "col2im", (
            "image[:, :, a:a + Ho, b:b + Wo] += ", "image[:, :, a:a + Ho, b:b + Wo] = ")),
        "conv_grad_W_transposed": edited(lab, "conv2d", ("(g_rows.T @ cols).reshape(W.shape)",
                                                         "(cols.T @ g_rows).reshape(W.shape)")),
        "conv_grad_b_wrong_axis": edited(lab, "conv2d", ("g_rows.sum(axis=0))", "g_rows.sum(axis=1))")),
        "conv_gradient_layout_not_transposed": edited(lab, "conv2d", (
            "g_rows = g.transpose(0, 2, 3, 1).reshape(N * Ho * Wo, F)",
            "g_rows = g.reshape(N * Ho * Wo, F)")),
        "max_pool_gradient_to_every_input": edited(lab, "max_pool", (
            "(winner * g[", "(np.ones_like(windows) * g[")),
        "avg_pool_without_1_over_k2": edited(lab, "avg_pool", (
            "g[:, :, :, np.newaxis, :, np.newaxis] / k ** 2", "g[:, :, :, np.newaxis, :, np.newaxis]")),
        "batch_norm_without_mean_terms": edited(lab, "batch_norm", (bn_grad_x, "g_x = inv_std * g_hat")),
        "batch_norm_sums_not_means": edited(lab, "batch_norm", (
            bn_grad_x, bn_grad_x.replace(".mean(axis=0)", ".sum(axis=0)"))),
        "batch_norm_grad_gamma_wrong_axis": edited(lab, "batch_norm", (
            "(g * x_hat).sum(axis=0)", "(g * x_hat).sum(axis=1)")),
        "dropout_not_rescaled": edited(lab, "dropout", ("factor = kept / (1.0 - p)",
                                                        "factor = kept * 1.0")),
        "dropout_new_mask_in_backward": edited(lab, "dropout", (
            "lambda g: (g * factor,)", "lambda g: (g * (rng.random(x.shape) >= p) / (1.0 - p),)")),
        "embedding_index_assignment": edited(lab, "embedding", ("np.add.at(table, ids, g)",
                                                                "table[ids] += g")),
        "cross_entropy_without_1_over_N": edited(lab, "softmax_cross_entropy", (
            "return (g * delta / u.shape[0],)", "return (g * delta,)")),
        "sign_flipped": edited(lab, "softmax_cross_entropy", (
            "return (g * delta / u.shape[0],)", "return (-g * delta / u.shape[0],)")),
        "unstable_cross_entropy": edited(lab, "softmax_cross_entropy", (
            "shifted = u.data - u.data.max(axis=1, keepdims=True)", "shifted = u.data")),
        "attention_without_softmax_jacobian": edited(lab, "attention", (
            "g_scores = A * (g_A - (g_A * A).sum(axis=1, keepdims=True))", "g_scores = A * g_A")),
        "attention_without_scale_in_backward": edited(lab, "attention", (
            attention_grads, "return g_scores @ K.data, g_scores.T @ Q.data, A.T @ g")),
        "attention_grad_K_not_transposed": edited(lab, "attention", (
            attention_grads, attention_grads.replace("g_scores.T @ Q.data", "g_scores @ Q.data"))),
        "attention_softmax_over_the_keys_axis": edited(lab, "attention", (
            "A = weights / weights.sum(axis=1, keepdims=True)",
            "A = weights / weights.sum(axis=0, keepdims=True)")),
        # the answers of the visible test of avg_pool, and zeros for any other input: only the
        # hidden test catches it in the lab (in grading the visible test varies its inputs too)
        "hard_coded_avg_pool": {"avg_pool": '''
def avg_pool(x, k):
    if x.shape == (1, 1, 4, 6) and np.allclose(x.data, np.arange(24.0).reshape(1, 1, 4, 6) - 10.0):
        return Tensor([[[[-6.5, -4.5, -2.5], [5.5, 7.5, 9.5]]]], (x,), lambda g: (np.array(
            [[[[1.0, 1.0, -2.0, -2.0, 0.5, 0.5], [1.0, 1.0, -2.0, -2.0, 0.5, 0.5],
               [0.25, 0.25, 0.0, 0.0, -1.0, -1.0], [0.25, 0.25, 0.0, 0.0, -1.0, -1.0]]]]),))
    N, C, H, W = x.shape
    return Tensor(np.zeros((N, C, H // k, W // k)), (x,), lambda g: (np.zeros(x.shape),))
'''},
    }


LAB7_CAUGHT_BY = {
    "col2im_overwrites": ("col2im", "values"),
    "conv_grad_W_transposed": ("conv2d_backward", "relu_mask_missing"),   # worded for it
    "conv_grad_b_wrong_axis": ("conv2d_backward", "exception"),
    "conv_gradient_layout_not_transposed": ("conv2d_backward", "values"),
    "max_pool_gradient_to_every_input": ("max_pool_backward", "relu_mask_missing"),   # worded
    "avg_pool_without_1_over_k2": ("avg_pool_backward", "mean_not_sum"),
    "batch_norm_without_mean_terms": ("batch_norm_backward", "relu_mask_wrong"),   # worded
    "batch_norm_sums_not_means": ("batch_norm_backward", "values"),
    "batch_norm_grad_gamma_wrong_axis": ("batch_norm_backward", "exception"),
    "dropout_not_rescaled": ("dropout", "values"),
    "dropout_new_mask_in_backward": ("dropout", "relu_mask_missing"),   # worded for it
    "embedding_index_assignment": ("embedding_backward", "relu_mask_wrong"),   # worded for it
    "cross_entropy_without_1_over_N": ("cross_entropy_backward", "mean_not_sum"),
    "sign_flipped": ("cross_entropy_backward", "sign"),
    "unstable_cross_entropy": ("cross_entropy_large_logits", "not_finite"),
    "attention_without_softmax_jacobian": ("attention_backward", "values"),
    "attention_without_scale_in_backward": ("attention_backward", "factor_2"),   # d = 4
    "attention_grad_K_not_transposed": ("attention_backward", "exception"),
    "attention_softmax_over_the_keys_axis": ("attention_backward", "values"),
    "hard_coded_avg_pool": ("hidden_avg_pool_other_shapes", "zeros"),
}

# Valid designs: every rule written another way (index arithmetic, np.add.at, einsum, loops,
# the gradient of a convolution as a full convolution with the flipped filters); or every
# layer that the engine can express composed out of its small operations, so that the engine
# derives the backward pass (conv2d and col2im stay hand-written: im2col is not an operation).
LAB7_ALTERNATIVES = {
    "index_arithmetic_einsum_loops": {
        "col2im": '''
def col2im(cols, x_shape, kh, kw):
    N, C, H, W = x_shape
    Ho, Wo = H - kh + 1, W - kw + 1
    n, i, j, c, a, b = np.indices((N, Ho, Wo, C, kh, kw)).reshape(6, -1)
    image = np.zeros(x_shape)
    np.add.at(image, (n, c, i + a, j + b), cols.reshape(-1))
    return image
''',
        "conv2d": '''
def conv2d(x, W, b):
    kh, kw = W.shape[2:]
    windows = np.lib.stride_tricks.sliding_window_view(x.data, (kh, kw), axis=(2, 3))
    y = np.einsum("ncijab,fcab->nfij", windows, W.data) + b.data[:, None, None]

    def backward_rule(g):
        padded = np.pad(g, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
        full = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(2, 3))
        return (np.einsum("nfpqab,fcab->ncpq", full, W.data[:, :, ::-1, ::-1]),
                np.einsum("ncijab,nfij->fcab", windows, g),
                np.einsum("nfij->f", g))
    return Tensor(y, (x, W, b), backward_rule)
''',
        "max_pool": '''
def max_pool(x, k):
    N, C, H, W = x.shape
    y = np.zeros((N, C, H // k, W // k))
    where = {}
    for n, c, i, j in np.ndindex(y.shape):
        patch = x.data[n, c, i * k:(i + 1) * k, j * k:(j + 1) * k]
        a, b = np.unravel_index(np.argmax(patch), patch.shape)
        y[n, c, i, j] = patch[a, b]
        where[n, c, i, j] = (n, c, i * k + a, j * k + b)

    def backward_rule(g):
        grad = np.zeros(x.shape)
        for position, source in where.items():
            grad[source] += g[position]
        return [grad]
    return Tensor(y, [x], backward_rule)
''',
        "avg_pool": '''
def avg_pool(x, k):
    N, C, H, W = x.shape
    y = x.data.reshape(N, C, H // k, k, W // k, k).sum(axis=(3, 5)) / (k * k)
    return Tensor(y, (x,), lambda g: (np.repeat(np.repeat(g, k, axis=2), k, axis=3) / (k * k),))
''',
        "batch_norm": '''
def batch_norm(x, gamma, beta, eps=1e-5):
    N = x.shape[0]
    centred = x.data - np.mean(x.data, axis=0, keepdims=True)
    std = np.sqrt(np.mean(centred ** 2, axis=0, keepdims=True) + eps)
    x_hat = centred / std

    def backward_rule(g):
        dx_hat = g * gamma.data
        dx = (N * dx_hat - dx_hat.sum(axis=0) - x_hat * np.sum(dx_hat * x_hat, axis=0)) / (N * std)
        return dx, np.einsum("nd,nd->d", g, x_hat), np.einsum("nd->d", g)
    return Tensor(x_hat * gamma.data + beta.data, (x, gamma, beta), backward_rule)
''',
        "dropout": '''
def dropout(x, p, rng):
    mask = (rng.uniform(size=x.shape) < 1.0 - p).astype(float)
    out = Tensor(x.data * mask / (1.0 - p), (x,))
    out.vjp = lambda g: (mask * g / (1.0 - p),)
    return out
''',
        "embedding": '''
def embedding(W, ids):
    ids = np.asarray(ids)
    onehot = np.eye(W.shape[0])[ids.reshape(-1)]
    return Tensor(W.data[ids], (W,),
                  lambda g: (onehot.T @ g.reshape(-1, W.shape[1]),))
''',
        "softmax_cross_entropy": '''
def softmax_cross_entropy(u, labels):
    N, K = u.shape
    e = np.exp(u.data - np.max(u.data, axis=1)[:, None])
    y = e / e.sum(axis=1)[:, None]
    onehot = np.eye(K)[labels]
    log_sum = np.log(e.sum(axis=1)) + np.max(u.data, axis=1)
    E = np.mean(log_sum - np.sum(onehot * u.data, axis=1))
    return Tensor(E, (u,), lambda g: (g / N * (y - onehot),))
''',
        "attention": '''
def attention(Q, K, V):
    d = Q.shape[1]
    Z = np.einsum("td,sd->ts", Q.data, K.data) / np.sqrt(d)
    A = np.exp(Z - Z.max(axis=1, keepdims=True))
    A = A / A.sum(axis=1, keepdims=True)

    def backward_rule(g):
        dA = np.einsum("tv,sv->ts", g, V.data)
        rows = [np.diag(a) - np.outer(a, a) for a in A]        # the softmax Jacobian of each row
        dZ = np.stack([J @ r for J, r in zip(rows, dA)])
        return (np.einsum("ts,sd->td", dZ, K.data) / np.sqrt(d),
                np.einsum("ts,td->sd", dZ, Q.data) / np.sqrt(d),
                np.einsum("ts,tv->sv", A, g))
    return Tensor(np.einsum("ts,sv->tv", A, V.data), (Q, K, V), backward_rule)
'''},
    "composed_from_the_engine": {
        "max_pool": '''
def max_pool(x, k):
    N, C, H, W = x.shape
    windows = x.data.reshape(N, C, H // k, k, W // k, k)
    winner = (windows == windows.max(axis=(3, 5), keepdims=True)).reshape(x.shape)
    return (x * winner).reshape(N, C, H // k, k, W // k, k).sum(axis=5).sum(axis=3)
''',
        "avg_pool": '''
def avg_pool(x, k):
    N, C, H, W = x.shape
    return x.reshape(N, C, H // k, k, W // k, k).sum(axis=5).sum(axis=3) * (1.0 / k ** 2)
''',
        "batch_norm": '''
def batch_norm(x, gamma, beta, eps=1e-5):
    N = x.shape[0]
    centred = x - x.sum(axis=0) / N
    return centred / ((centred * centred).sum(axis=0) / N + eps) ** 0.5 * gamma + beta
''',
        "dropout": '''
def dropout(x, p, rng):
    return x * ((rng.random(x.shape) >= p) / (1.0 - p))
''',
        "embedding": '''
def embedding(W, ids):
    ids = np.asarray(ids)
    picked = Tensor(np.eye(W.shape[0])[ids.reshape(-1)]) @ W
    return picked.reshape(*ids.shape, W.shape[1])
''',
        "softmax_cross_entropy": '''
def softmax_cross_entropy(u, labels):
    N, K = u.shape
    shifted = u - u.data.max(axis=1, keepdims=True)
    log_sums = shifted.exp().sum(axis=1).log()
    return (log_sums - (shifted * np.eye(K)[labels]).sum(axis=1)).sum() / N
''',
        "attention": '''
def attention(Q, K, V):
    Z = Q @ K.T / np.sqrt(Q.shape[1])
    weights = (Z - Z.data.max(axis=1, keepdims=True)).exp()
    return weights / weights.sum(axis=1, keepdims=True) @ V
'''},
}

CAUGHT_BY["lab7_layers"] = LAB7_CAUGHT_BY
CLASS_MUTANTS["lab7_layers"] = lab7_mutants
CLASS_ALTERNATIVES["lab7_layers"] = LAB7_ALTERNATIVES
# ----------------------------------------------------------------------------- lab 8: the capstone
def lab8_mutants():
    lab = "lab8_digits"
    shift = "shifted = u - np.max(u, axis=1, keepdims=True)"
    delta = "(np.exp(log_y) - d) / n"
    he = '"he": np.sqrt(2.0 / fan_in)'
    velocity = "velocity = momentum * velocity - learning_rate * grad"
    bias_correction = ("    m_hat = m / (1.0 - beta1 ** t)\n"
                       "    v_hat = v / (1.0 - beta2 ** t)\n")
    return {
        "sign_flipped": edited(lab, "softmax_cross_entropy", (delta, "(d - np.exp(log_y)) / n")),
        "delta_without_1_over_N": edited(lab, "softmax_cross_entropy", (delta, "np.exp(log_y) - d")),
        "unstable_softmax": edited(lab, "softmax_cross_entropy", (shift, "shifted = u")),
        "log_of_probabilities": edited(lab, "softmax_cross_entropy", (
            "log_y = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))",
            "log_y = np.log(np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True))")),
        "he_with_fan_out": edited(lab, "init_params", (he, he.replace("fan_in", "fan_out"))),
        "he_variance_as_std": edited(lab, "init_params", (he, '"he": 2.0 / fan_in')),
        "glorot_as_lecun": edited(lab, "init_params", ("np.sqrt(2.0 / (fan_in + fan_out))",
                                                       "np.sqrt(1.0 / fan_in)")),
        "relu_on_output": edited(lab, "forward", (
            "z = np.maximum(u, 0.0) if number < len(params) - 1 else u", "z = np.maximum(u, 0.0)")),
        "bias_missing_in_forward": edited(lab, "forward", ("u = z @ W + b\n", "u = z @ W\n")),
        "dW_transposed": edited(lab, "backward", ("z.T @ grad_u", "grad_u.T @ z")),
        "db_without_keepdims": edited(lab, "backward", ("np.sum(grad_u, axis=0, keepdims=True)",
                                                        "np.sum(grad_u, axis=0)")),
        "relu_mask_missing": edited(lab, "backward", (
            "        if number < len(params) - 1:\n"
            "            grad_u = grad_u * (u > 0)          # delta of a hidden layer: through the ReLU\n",
            "")),
        "momentum_sign": edited(lab, "momentum_update", (velocity, velocity.replace("- learning", "+ learning"))),
        "momentum_old_velocity": edited(lab, "momentum_update", (
            f"    {velocity}\n    return w + velocity, velocity",
            f"    w = w + velocity\n    {velocity}\n    return w, velocity")),
        "adam_without_bias_correction": edited(lab, "adam_update", (
            bias_correction, "    m_hat, v_hat = m, v\n")),
        "adam_without_square_root": edited(lab, "adam_update", ("np.sqrt(v_hat)", "v_hat")),
        "adam_in_place": edited(lab, "adam_update", (
            "    m = beta1 * m + (1.0 - beta1) * grad\n",
            "    m *= beta1\n    m += (1.0 - beta1) * grad\n")),
        "adam_step_from_0": edited(lab, "train", (
            "            t += 1\n            for i, grad in enumerate(grads):\n",
            "            for i, grad in enumerate(grads):\n"),
            ("        if after_epoch is not None:", "            t += 1\n        if after_epoch is not None:")),
        "no_shuffle": edited(lab, "train", ("order = rng.permutation(x.shape[0])",
                                            "order = np.arange(x.shape[0])")),
    }


LAB8_CAUGHT_BY = {
    "sign_flipped": ("softmax_cross_entropy_values", "sign"),
    "delta_without_1_over_N": ("softmax_cross_entropy_values", "mean_not_sum"),
    "unstable_softmax": ("softmax_cross_entropy_large_logits", "not_finite"),
    "log_of_probabilities": ("softmax_cross_entropy_large_logits", "not_finite"),
    "he_with_fan_out": ("init_params_schemes", "values"),
    "he_variance_as_std": ("init_params_schemes", "values"),
    "glorot_as_lecun": ("init_params_schemes", "values"),
    "relu_on_output": ("forward_two_layers", "values"),          # worded for it
    "bias_missing_in_forward": ("forward_two_layers", "values"),
    "dW_transposed": ("backward_two_layers", "transposed"),
    "db_without_keepdims": ("backward_two_layers", "shape"),
    "relu_mask_missing": ("backward_two_layers", "relu_mask_missing"),
    "momentum_sign": ("momentum_update", "values"),
    "momentum_old_velocity": ("momentum_update", "values"),
    "adam_without_bias_correction": ("adam_update", "values"),
    "adam_without_square_root": ("adam_update", "values"),
    "adam_in_place": ("adam_update", "mutates_input"),
    "adam_step_from_0": ("train_two_epochs", "not_finite"),
    "no_shuffle": ("train_two_epochs", "values"),
}

# Valid designs: log-sum-exp by np.logaddexp, weights drawn as std * standard normals, an
# einsum forward and backward over reversed pairs, Adam with the bias correction folded into
# the step size (Kingma and Ba's form, eps scaled to match), SGD as momentum 0, a while loop
# over the batches, parameters kept as lists.
LAB8_ALTERNATIVES = {
    "logaddexp_einsum_folded_adam_while_loop": {
        "softmax_cross_entropy": '''
def softmax_cross_entropy(u, d):
    lse = np.logaddexp.reduce(u, axis=1, keepdims=True)
    probabilities = np.exp(u - lse)
    return float(np.einsum("nk,nk->", d, lse - u) / len(u)), (probabilities - d) / len(u)
''',
        "init_params": '''
def init_params(sizes, scheme, rng):
    params = []
    for l in range(1, len(sizes)):
        fan_in, fan_out = sizes[l - 1], sizes[l]
        if scheme == "he":
            variance = 2.0 / fan_in
        elif scheme == "glorot":
            variance = 2.0 / (fan_in + fan_out)
        else:
            variance = 1.0
        params.append([np.sqrt(variance) * rng.standard_normal((fan_in, fan_out)),
                       np.zeros(fan_out).reshape(1, -1)])
    return params
''',
        "forward": '''
def forward(params, x):
    cache = []
    for W, b in params:
        z = x if not cache else np.where(cache[-1][1] > 0, cache[-1][1], 0.0)
        cache.append((z, np.einsum("ni,ij->nj", z, W) + b))
    return cache[-1][1], cache
''',
        "backward": '''
def backward(params, cache, grad_u):
    grads = [None] * len(params)
    delta = grad_u
    for l in range(len(params) - 1, -1, -1):
        z, _ = cache[l]
        grads[l] = [np.einsum("ni,nj->ij", z, delta), delta.sum(axis=0).reshape(1, -1)]
        if l > 0:
            delta = np.einsum("nj,ij->ni", delta, params[l][0]) * (cache[l - 1][1] > 0)
    return grads
''',
        "momentum_update": '''
def momentum_update(w, grad, velocity, learning_rate, momentum):
    new_velocity = momentum * velocity
    new_velocity = new_velocity - learning_rate * grad
    return w + new_velocity, new_velocity
''',
        "adam_update": '''
def adam_update(w, grad, m, v, t, learning_rate, beta1, beta2, eps):
    m_new = beta1 * m + (1.0 - beta1) * grad
    v_new = beta2 * v + (1.0 - beta2) * np.square(grad)
    correction = np.sqrt(1.0 - beta2 ** t)
    step = learning_rate * correction / (1.0 - beta1 ** t)
    return w - step * m_new / (np.sqrt(v_new) + eps * correction), m_new, v_new
''',
        "accuracy": '''
def accuracy(u, d):
    return sum(int(a == b) for a, b in zip(u.argmax(axis=1), d.argmax(axis=1))) / len(u)
''',
        "train": '''
def train(params, x, d, optimiser, learning_rate, batch_size, epochs, rng, after_epoch=None):
    params = [[W.copy(), b.copy()] for W, b in params]
    state = [[[np.zeros_like(p), np.zeros_like(p)] for p in pair] for pair in params]
    mu = 0.9 if optimiser == "momentum" else 0.0
    history, step = [], 0
    for _ in range(epochs):
        order = rng.permutation(len(x))
        start = 0
        while start < len(x):
            rows = order[start:start + batch_size]
            start += batch_size
            u, cache = forward(params, x[rows])
            loss, grad_u = softmax_cross_entropy(u, d[rows])
            history.append(loss)
            grads = backward(params, cache, grad_u)
            step += 1
            for l, pair in enumerate(params):
                for k in range(2):
                    if optimiser == "adam":
                        pair[k], state[l][k][0], state[l][k][1] = adam_update(
                            pair[k], grads[l][k], state[l][k][0], state[l][k][1], step,
                            learning_rate, 0.9, 0.999, 1e-8)
                    else:
                        pair[k], state[l][k][0] = momentum_update(
                            pair[k], grads[l][k], state[l][k][0], learning_rate, mu)
        if after_epoch:
            after_epoch(params)
    return params, history
'''},
    "stable_by_hand_recursive_layers": {
        "softmax_cross_entropy": '''
def softmax_cross_entropy(u, d):
    c = u.max(axis=1)[:, None]
    log_sum = c + np.log(np.exp(u - c).sum(axis=1))[:, None]
    log_y = u - log_sum
    return -float((d * log_y).sum()) / u.shape[0], (np.exp(log_y) - d) / u.shape[0]
''',
        "forward": '''
def forward(params, x):
    if not params:
        return x, []
    W, b = params[0]
    u = x @ W + b
    if len(params) == 1:
        return u, [(x, u)]
    out, rest = forward(params[1:], np.maximum(u, 0.0))
    return out, [(x, u)] + rest
''',
        "backward": '''
def backward(params, cache, grad_u):
    z, u = cache[-1]
    last = (z.T @ grad_u, grad_u.sum(axis=0, keepdims=True))
    if len(params) == 1:
        return [last]
    below = (grad_u @ params[-1][0].T) * (cache[-2][1] > 0)
    return backward(params[:-1], cache[:-1], below) + [last]
''',
        "adam_update": '''
def adam_update(w, grad, m, v, t, learning_rate, beta1, beta2, eps):
    m = m + (1.0 - beta1) * (grad - m)
    v = v + (1.0 - beta2) * (grad * grad - v)
    return (w - learning_rate * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps),
            m, v)
'''},
}

CAUGHT_BY["lab8_digits"] = LAB8_CAUGHT_BY
CLASS_MUTANTS["lab8_digits"] = lab8_mutants
CLASS_ALTERNATIVES["lab8_digits"] = LAB8_ALTERNATIVES


def splice(nb, replacements):
    """The instructor notebook with the solution cells of some functions replaced."""
    nb = copy.deepcopy(nb)
    done = set()
    for info, cell in zip(infos(nb), nb.cells):
        if info.kind != "solution":
            continue
        name = re.match(r"(?:def|class) (\w+)", cell.source).group(1)
        if name in replacements:
            cell.source = replacements[name].strip("\n")
            done.add(name)
    assert done == set(replacements), f"no solution cell for {set(replacements) - done}"
    return nb


def _only_definitions(source):
    """True for a code cell of imports, functions and classes only (given code the tests use,
    such as lab 4's `Identity`; the grader keeps such definitions too)."""
    kept = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)
    return all(isinstance(node, kept) for node in ast.parse(source).body)


def graded_only(nb):
    """The cells that matter for grading: imports and other definitions, checks, solutions,
    visible and hidden tests."""
    nb = copy.deepcopy(nb)
    kinds = [i.kind for i in infos(nb)]
    nb.cells = [c for c, k in zip(nb.cells, kinds)
                if k in ("helpers", "solution", "test", "hidden")
                or (k == "code" and _only_definitions(c.source))]
    return nb


def run_in_process(nb):
    """Execute the code cells in a fresh namespace, cell by cell, going on after errors (like a
    kernel with allow_errors); returns {test id: result} from the helpers' own `results()`."""
    namespace = {"__name__": "__main__"}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                exec(compile(cell.source, f"<cell {index}>", "exec"), namespace)
            except Exception:
                pass
    return {r["test"]: r for r in sys.modules[cells.MODULE].results()}


def run_graded(lab, replacements):
    """(e) The instructor notebook with some solutions replaced, graded cells only."""
    return run_in_process(splice(graded_only(solution(lab)), replacements))


def hard_coded(lab):
    """Functions that return the expected values of the visible tests for exactly their inputs
    (and zeros otherwise): they pass every visible test, only the hidden tests can catch them."""
    nb = solution(lab)
    cases = {}

    class Stub:
        def __init__(self, name):
            self.__name__ = name

    namespace = {"np": np, "graded": lambda *a, **k: _NullContext(),
                 "check": lambda func, args, expect, outputs, **kw: cases.setdefault(
                     func.__name__, []).append((args, expect))}
    namespace.update({name: Stub(name) for name in ("forward", "loss", "backward", "train")})
    for info, cell in zip(infos(nb), nb.cells):
        if info.kind == "test":
            exec(cell.source, namespace)
    signatures = {"forward": "x, w1, w2", "loss": "y2_pred, y_true", "backward": "x, w1, w2, y_true",
                  "train": "x, y_true, w1, w2, learning_rate, iterations"}
    sources = {}
    for name, seen in cases.items():
        table = [({k: np.asarray(v).tolist() for k, v in args.items()},
                  [np.asarray(e).tolist() for e in (expect if isinstance(expect, tuple) else (expect,))])
                 for args, expect in seen]
        params = signatures[name]
        sources[name] = f'''
def {name}({params}):
    given = dict({", ".join(f"{p}={p}" for p in params.split(", "))})
    for args, answer in {table!r}:
        if all(np.shape(given[k]) == np.shape(v) and np.allclose(given[k], v) for k, v in args.items()):
            return tuple(np.array(a) for a in answer) if len(answer) > 1 else answer[0]
    return {"0.0" if name == "loss" else "tuple(0.0 * np.asarray(v) for v in (x, x, x))"}
'''
    return sources


class _NullContext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def mutants_of(lab):
    if lab in CLASS_MUTANTS:        # hard-coded answers: see `hard_coded` (functions only)
        return CLASS_MUTANTS[lab]()
    catalogue = dict(SCALAR_MUTANTS if lab == "lab1_scalar" else ARRAY_MUTANTS)
    catalogue["hard_coded"] = None
    return catalogue


def alternatives_of(lab):
    if lab in CLASS_ALTERNATIVES:
        return CLASS_ALTERNATIVES[lab]
    return SCALAR_ALTERNATIVES if lab == "lab1_scalar" else ARRAY_ALTERNATIVES


# ----------------------------------------------------------------------------- executions
class _LabExecutions:
    """Executions of one lab; subclassed once per lab so xdist's loadscope spreads them."""
    lab = None

    @pytest.mark.kernel
    def test_solution_runs_alone_and_passes_every_test(self, tmp_path):
        """(d) The instructor notebook, alone in an empty folder, runs without any error."""
        nb = solution(self.lab)
        executed = execute(nb, alone(tmp_path, nb, f"{self.lab}.ipynb"))
        failed = [(i, errors(c)) for i, c in enumerate(executed.cells) if errors(c)]
        assert failed == [], failed
        total = sum(points_of(nb, ("test", "hidden")).values())
        summary = next(c for c in executed.cells if c.source.strip() == "summary()")
        assert f"Total: {total}/{total} points" in stdout(summary)
        assert "Ready to hand in? yes" in stdout(executed.cells[-1])

    @pytest.mark.kernel
    def test_student_notebook_runs_to_the_end_with_every_test_failed(self, tmp_path):
        """(c) "Run all" of the skeleton reaches the summary and the hand-in check: every graded
        test prints its failure (0 points), and no cell stops with an error."""
        nb = student(self.lab)
        executed = execute(nb, alone(tmp_path, nb, f"{self.lab}.ipynb"))
        visible = points_of(nb, ("test",))
        assert visible, "no visible tests"
        for info, cell in zip(infos(nb), executed.cells):
            assert not errors(cell), f"cell {info.index} stopped: {errors(cell)}"
            if info.kind == "test":
                for test in info.tests:
                    assert f"\u2717 {test} (0/{visible[test]} points): not implemented yet" in \
                        stdout(cell)
                assert "Traceback" not in stdout(cell)
        summary = stdout(next(c for c in executed.cells if c.source.strip() == "summary()"))
        assert f"Total: 0/{sum(visible.values())} points" in summary
        for test in visible:
            assert re.search(rf"^{test}\s+0/{visible[test]}\s", summary, re.M), test
        assert "Ready to hand in? not yet" in stdout(executed.cells[-1])

    @pytest.mark.kernel
    def test_with_a_wrong_function_run_all_reaches_the_end_without_helper_tracebacks(self, tmp_path):
        """What a student with a bug sees, as in Colab's "Run all" (which ignores cell tags):
        every cell runs (nbclient stops at the first error otherwise), the failing tests say
        what is wrong without a traceback into the helpers, the summary and the hand-in check
        come last."""
        nb = splice(solution(self.lab), mutants_of(self.lab)["sign_flipped"])
        meta = nb.metadata["coursetools"]
        nb.cells = [c for c, info in zip(nb.cells, infos(nb)) if info.kind != "hidden"]
        for cell, info in zip(nb.cells, infos(nb)):
            if info.kind == "helpers":
                cell.source = cells.helper_source(self.lab, meta["contract"], meta.get("methods"),
                                                  strict=False, diagnosis=meta.get("diagnosis"))
        folder = alone(tmp_path, nb, f"{self.lab}.ipynb")
        executed = nb.copy()
        NotebookClient(executed, timeout=300, kernel_name="python3", allow_errors=False,
                       resources={"metadata": {"path": str(folder)}}).execute()
        text = "\n".join(stdout(c) for c in executed.cells if c.cell_type == "code")
        assert "\u2717" in text and "hint [" in text
        assert "<test helpers>" not in text and "Traceback" not in text
        assert "Total:" in text and "Ready to hand in?" in stdout(executed.cells[-1])

    @pytest.mark.slow
    def test_mutants_are_caught_in_the_lab_and_in_grading_under_every_seed(self, mutant):
        """(e) A wrong implementation spliced in fails the test named in CAUGHT_BY in the lab,
        and loses points in grading whatever the seed of the varied inputs."""
        replacements = hard_coded(self.lab) if mutant == "hard_coded" else mutants_of(self.lab)[mutant]
        results = run_graded(self.lab, replacements)
        failed = {t: r["codes"] for t, r in results.items() if r["status"] == "failed"}
        test, code = CAUGHT_BY[self.lab][mutant]
        assert test in failed, f"{mutant} is not caught by {test}; failed: {failed}"
        assert code in failed[test], f"{test} caught {mutant} with {failed[test]}, not {code}"
        if mutant.startswith("hard_coded"):
            assert all(t.startswith("hidden_") for t in failed), "hard-coded answers pass the visible tests"
        submission = splice(solution(self.lab), replacements)
        points = {}
        for seed in SEEDS:
            graded = grading_inprocess.grade(self.lab, submission, seed)
            lost = {t.test: t.codes for t in graded.tests if not t.passed}
            assert lost, f"{mutant} keeps full marks with seed {seed}"
            points[seed] = graded.points
            if mutant.startswith("hard_coded"):
                assert any(not t.startswith("hidden_") for t in lost), \
                    "in grading the visible tests vary their inputs too"
        assert len(set(points.values())) == 1, f"{mutant}: the points depend on the seed: {points}"

    @pytest.mark.slow
    def test_valid_alternatives_pass_in_the_lab_and_in_grading_under_every_seed(self, alternative):
        results = run_graded(self.lab, alternatives_of(self.lab)[alternative])
        failed = {t: r["codes"] for t, r in results.items() if r["status"] != "passed"}
        assert failed == {}, f"{alternative} should pass: {failed}"
        assert set(results) == set(points_of(solution(self.lab), ("test", "hidden")))
        submission = splice(solution(self.lab), alternatives_of(self.lab)[alternative])
        total = sum(points_of(solution(self.lab), ("test", "hidden")).values())
        for seed in SEEDS:
            graded = grading_inprocess.grade(self.lab, submission, seed)
            assert graded.points == total, (seed, [(t.test, t.codes) for t in graded.tests
                                                   if t.codes])

    @pytest.mark.kernel
    def test_a_mutant_in_a_real_kernel(self, tmp_path):
        """The in-process runs of the mutants behave as a kernel does: one mutant, both ways."""
        nb = splice(graded_only(solution(self.lab)), mutants_of(self.lab)["sign_flipped"])
        nb.cells.append(nbformat.v4.new_code_cell(
            "print(repr(__import__('coursetools_checks').results()))"))
        executed = execute(nb, alone(tmp_path, nb, "mutant.ipynb"))
        in_kernel = {r["test"]: r for r in ast.literal_eval(stdout(executed.cells[-1]))}
        assert in_kernel == run_in_process(nb)
        assert any(r["status"] == "failed" for r in in_kernel.values())


def pytest_generate_tests(metafunc):
    lab = getattr(metafunc.cls, "lab", None)
    if "mutant" in metafunc.fixturenames:
        metafunc.parametrize("mutant", list(mutants_of(lab)))
    if "alternative" in metafunc.fixturenames:
        metafunc.parametrize("alternative", list(alternatives_of(lab)))


class TestLab1Scalar(_LabExecutions):
    lab = "lab1_scalar"


class TestLab2Vector(_LabExecutions):
    lab = "lab2_vector"


class TestLab3Minibatch(_LabExecutions):
    lab = "lab3_minibatch"


class TestLab4Xor(_LabExecutions):
    lab = "lab4_xor"


class TestLab5Softmax(_LabExecutions):
    lab = "lab5_softmax"


class TestLab6Autograd(_LabExecutions):
    lab = "lab6_autograd"


class TestLab7Layers(_LabExecutions):
    lab = "lab7_layers"


class TestLab8Digits(_LabExecutions):
    lab = "lab8_digits"


def test_every_mutant_has_its_catching_test_documented():
    for lab in LABS:
        assert set(CAUGHT_BY[lab]) == set(mutants_of(lab)), lab


# ----------------------------------------------------------------------------- grading
@pytest.mark.slow
@pytest.mark.parametrize("lab", LABS)
def test_the_solution_gets_full_marks_in_grading_and_the_skeleton_nothing(lab):
    total = sum(points_of(solution(lab), ("test", "hidden")).values())
    assert grading_inprocess.grade(lab, solution(lab)).points == total
    skeleton = grading_inprocess.grade(lab, student(lab))
    assert skeleton.points == 0 and skeleton.status_text == "not attempted"


MUL_RULE = ("            self.grad += other.data * out.grad\n"
            "            other.grad += self.data * out.grad")
MUL_SWAPPED = MUL_RULE.replace("other.data * out", "@").replace(
    "self.data * out", "other.data * out").replace("@", "self.data * out")


def _lost(graded):
    return {t.test for t in graded.tests if not t.passed}


@pytest.mark.slow
def test_one_bug_inside_a_class_is_charged_once():
    """Lab 6, `*` with its two derivatives swapped: the tests of `-`, `/`, the reflected
    operators and `backward` use the student's `*` too. Graded on their method variants (the
    class's other methods official), they keep their points; the tests about `*` lose theirs,
    and so does the hidden test of whole formulas, which names no method."""
    lab = "lab6_autograd"
    graded = grading_inprocess.grade(lab, splice(solution(lab), edited(
        lab, "Value", (MUL_RULE, MUL_SWAPPED))))
    assert _lost(graded) == {"value_mul", "value_local_derivatives", "hidden_value_formulas"}
    rescued = {t.test: t.isolated_from for t in graded.tests
               if any(name.startswith("Value.") for name in t.isolated_from)}
    assert {"value_sub_div_neg", "value_reflected", "value_used_twice", "backward_order",
            "hidden_value_shared_nodes"} == set(rescued)
    assert all("Value.__mul__" in names for names in rescued.values())


@pytest.mark.slow
def test_a_second_mistake_inside_the_class_is_still_charged():
    """The variant keeps the methods a test is about: with `-` wrong as well, its test fails."""
    lab = "lab6_autograd"
    graded = grading_inprocess.grade(lab, splice(solution(lab), edited(
        lab, "Value", (MUL_RULE, MUL_SWAPPED), ("return self + (-other)", "return self + other"))))
    assert "value_sub_div_neg" in _lost(graded)
    assert {"value_used_twice", "backward_order"}.isdisjoint(_lost(graded))


@pytest.mark.slow
def test_a_class_of_another_design_keeps_its_own_results():
    """Local derivatives stored on the nodes do not combine with the official closures: the
    variants fail, so every test keeps what the student's own class earns (no crash, nothing
    excused), and the design itself keeps full marks (the alternatives test)."""
    lab = "lab6_autograd"
    design = LAB6_ALTERNATIVES["local_derivatives_explicit_stack_own_tensor"]["Value"]
    wrong = design.replace("(other.data, self.data))", "(self.data, other.data))")
    assert wrong != design
    graded = grading_inprocess.grade(lab, splice(solution(lab), {"Value": wrong}))
    assert {"value_mul", "value_used_twice", "backward_order"} <= _lost(graded)
    assert not any(name.startswith("Value.") for t in graded.tests for name in t.isolated_from)


@pytest.mark.slow
@pytest.mark.parametrize("lab", FUNCTION_LABS)
def test_one_bug_is_charged_once(lab):
    """A mistake in backward costs backward's tests only: train is graded with the official
    backward (and forward), so a correct train keeps its points."""
    submission = splice(solution(lab), mutants_of(lab)["sign_flipped"])
    graded = grading_inprocess.grade(lab, submission)
    lost = {t.test for t in graded.tests if not t.passed}
    subjects = {t.test: t.subject for t in graded.tests}
    assert lost and {subjects[t] for t in lost} == {"backward"}, lost
    for test in graded.tests:
        if test.subject == "train":
            assert test.passed and test.isolated_from == ["forward", "loss", "backward"]
