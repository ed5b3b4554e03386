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

from tests import grading_inprocess, lab_fixtures
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
def test_every_lab_words_its_mistakes(lab):
    """Each lab has a diagnosis vocabulary whose names its tests use: without ``batch`` a missing
    1/N is only "wrong values"; a name no check uses words nothing (``batch``: a visible test's)."""
    nb = solution(lab)
    vocabulary = nb.metadata["coursetools"].get("diagnosis")
    assert vocabulary and vocabulary.get("batch"), f"{lab}: no diagnosis vocabulary with batch arguments"
    visible = "\n".join(c.source for c, info in zip(nb.cells, infos(nb)) if info.kind == "test")
    for name in vocabulary["batch"]:
        assert re.search(rf"\b{re.escape(name)}\s*=", visible), f"{lab}: no visible test passes {name}="
    tests = "\n".join(c.source for c in nb.cells if c.cell_type == "code" and not cells.is_helper_cell(c.source))
    for name in [*vocabulary.get("output_layer", []), *vocabulary.get("relu", [])]:
        assert name.rstrip(".") in tests, f"{lab}: {name} names no output or function of a check"


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


# ----------------------------------------------------------------------------- mutants, alternatives
# Wrong implementations and valid alternatives are fixture files, shared with the mutation audit:
# tests/files/labs/<lab>/{mutants,alternatives}/<name>.py (see tests/lab_fixtures.py). A lab
# without that folder may still write them here as code, in the older style:
#   CLASS_MUTANTS[lab] = lambda: {name: {definition: source}}, CAUGHT_BY[lab] = {name: (test, code)},
#   CLASS_ALTERNATIVES[lab] = {name: {definition: source}}
# and `python -m tests.lab_fixtures LAB` moves them into files.
CAUGHT_BY = {}
CLASS_MUTANTS = {}
CLASS_ALTERNATIVES = {}
# Hard-coded answers to the visible tests (`hard_coded`) are made at test time, for the labs
# whose contract is functions: only hidden tests can catch them.
HARD_CODED_CAUGHT_BY = {"lab1_scalar": ("hidden_forward_signs", "relu_mask_wrong"),
                        "lab2_vector": ("hidden_forward_shapes", "shape"),
                        "lab3_minibatch": ("hidden_forward_shapes", "shape")}


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


def code_mutants(lab):
    """The mutants a lab still writes as code (the older style), with `hard_coded`."""
    catalogue = dict(CLASS_MUTANTS[lab]()) if lab in CLASS_MUTANTS else {}
    if lab in HARD_CODED_CAUGHT_BY:
        catalogue["hard_coded"] = None
    return catalogue


def code_alternatives(lab):
    return CLASS_ALTERNATIVES.get(lab, {})


def mutants_of(lab):
    """{name: {definition: source}} (None for `hard_coded`): the fixture files of the lab, or
    its mutants written as code."""
    if not lab_fixtures.has_fixtures(lab):
        return code_mutants(lab)
    catalogue = lab_fixtures.read(lab, "mutants")
    if lab in HARD_CODED_CAUGHT_BY:
        catalogue["hard_coded"] = None
    return catalogue


def alternatives_of(lab):
    if not lab_fixtures.has_fixtures(lab):
        return code_alternatives(lab)
    return lab_fixtures.read(lab, "alternatives")


def caught_by(lab):
    """{mutant: (test, code)}: the graded test that must catch each mutant, and its code."""
    found = dict(lab_fixtures.caught_by(lab)) if lab_fixtures.has_fixtures(lab) else dict(
        CAUGHT_BY.get(lab, {}))
    if lab in HARD_CODED_CAUGHT_BY:
        found["hard_coded"] = HARD_CODED_CAUGHT_BY[lab]
    return found


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
        test, code = caught_by(self.lab)[mutant]
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
        assert set(caught_by(lab)) == set(mutants_of(lab)), lab


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
            "backward_long_graph", "hidden_value_shared_nodes"} == set(rescued)
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
    design = alternatives_of(lab)["local_derivatives_explicit_stack_own_tensor"]["Value"]
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
