"""Python's reading of a notebook: the grader keeps, for every name, what Python would have.

Hypothesis writes notebooks whose cells redefine functions and classes (inside one cell and
across cells, skeletons left above the real code, decorated definitions, methods redefined in a
class body and in a subclass, definitions under ``if`` and ``try``, top-level code the grader
never runs) and gives their cells execution counts (some never run). The notebook is then read
twice: really executed, cell by cell, in the order the rule states (cells never run first, in
notebook order, then by execution count), and as the grader reads it (``extract_notebook``,
whose kept code runs cell by cell in the order it returns). Every name must behave the same.
"""
from __future__ import annotations

import nbformat
from hypothesis import HealthCheck, given, settings, strategies as st

from coursetools.grading.lab import extract
from tests import grading_inprocess, grading_submissions as subs

PREAMBLE = '''FLAG_ON = True
FLAG_OFF = False

def twice(fn):
    def wrapped(*args):
        return fn(*args) + fn(*args)
    return wrapped
'''
FUNCTIONS, CLASSES = ("f", "g", "train"), ("A", "B")


def _indent(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.rstrip("\n").split("\n"))


def _def(func: str, label: str) -> str:
    return f"def {func}(*args):\n    return {label!r}\n"


@st.composite
def definitions(draw, label: str) -> str:
    """One top-level statement that (re)binds a function or a class, or binds nothing."""
    func, cls = draw(st.sampled_from(FUNCTIONS)), draw(st.sampled_from(CLASSES))
    kind = draw(st.sampled_from(["def", "skeleton", "decorated", "class", "class_twice",
                                 "subclass", "if", "try", "alias", "noise"]))
    if kind == "def":
        return _def(func, label)
    if kind == "skeleton":
        return f'def {func}(*args):\n    """TODO."""\n    raise NotImplementedError("{func}")\n'
    if kind == "decorated":
        return "@twice\n" + _def(func, label)
    if kind == "class":
        return (f"class {cls}:\n    tag = {label!r}\n\n    def m(self):\n"
                f"        return {label!r} + 'm'\n")
    if kind == "class_twice":   # a method redefined inside the class body
        return (f"class {cls}:\n    def m(self):\n        raise NotImplementedError\n\n"
                f"    def m(self):\n        return {label!r}\n")
    if kind == "subclass":      # NameError when A is not defined yet: in both readings
        return (f"class B(A):\n    def m(self):\n        return {label!r} + super().m()\n")
    if kind == "if":
        condition = draw(st.sampled_from(["FLAG_ON", "FLAG_OFF", "True", "1 > 2"]))
        return (f"if {condition}:\n{_indent(_def(func, label))}"
                f"else:\n{_indent(_def(func, label + 'else'))}")
    if kind == "try":
        handler = draw(st.sampled_from(["ImportError", "Exception", "(ValueError, KeyError)"]))
        return f"try:\n{_indent(_def(func, label))}except {handler}:\n    pass\n"
    if kind == "alias":
        return f"{func} = twice\n"
    return f"str({label!r})\n"   # a call: Python runs it, the grader does not


@st.composite
def notebooks(draw):
    """(notebook, the order in which its code cells run: indexes into nb.cells)."""
    count = draw(st.integers(1, 5))
    sources = []
    for cell in range(count):
        size = draw(st.integers(1, 4))
        sources.append("\n".join(draw(definitions(f"c{cell}s{n}")) for n in range(size)))
    ran = draw(st.lists(st.booleans(), min_size=count, max_size=count))
    order = draw(st.permutations(range(count)))
    counts = [order[i] + 1 if ran[i] else None for i in range(count)]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A lab"), nbformat.v4.new_code_cell(PREAMBLE)]
    for source, number in zip(sources, counts):
        cell = nbformat.v4.new_code_cell(source)
        cell.execution_count = number
        nb.cells.append(cell)
    # The rule, written independently of the grader: never run first (notebook order), then
    # by increasing execution count. The preamble never ran and comes first.
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    never = [i for i in code if nb.cells[i].execution_count is None]
    ran_cells = sorted((i for i in code if nb.cells[i].execution_count is not None),
                       key=lambda i: nb.cells[i].execution_count)
    return nb, never + ran_cells


def _run(sources) -> dict:
    """Execute cells one after the other in one namespace; a cell stops at its first error."""
    namespace: dict = {}
    for source in sources:
        try:
            exec(compile(source, "<cell>", "exec"), namespace)
        except Exception:  # noqa: BLE001 - as in a notebook: the next cell still runs
            pass
    return namespace


def _behaviour(value):
    """What a name does, comparable across two namespaces."""
    def outcome(call):
        try:
            result = call()
            return ("returns", "a function" if callable(result) else result)
        except Exception as error:  # noqa: BLE001
            return ("raises", type(error).__name__)
    if isinstance(value, type):
        return ("class", [c.__name__ for c in value.__mro__], getattr(value, "tag", None),
                outcome(lambda: value().m()))
    if callable(value):
        return ("function", outcome(value))
    return ("value", repr(value))


def _observed(namespace) -> dict:
    return {name: _behaviour(value) for name, value in namespace.items()
            if not name.startswith("__")}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notebooks())
def test_the_grader_keeps_what_python_would_have(case):
    nb, order = case
    python = _observed(_run(nb.cells[i].source for i in order))
    cells = extract.extract_notebook(nb)
    assert [c.index for c in cells] == order
    grader = _observed(_run(c.source for c in cells))
    assert grader == python


def test_a_skeleton_left_above_in_the_same_cell_is_not_graded():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        'def train(x):\n    raise NotImplementedError("train: not implemented yet")\n\n'
        "def train(x):\n    return 2 * x\n")]
    cells = extract.extract_notebook(nb)
    namespace = _run(c.source for c in cells)
    assert namespace["train"](3) == 6
    statement = extract.effective(cells)["train"]
    assert not extract.is_skeleton(statement)
    (note,) = extract.redefinitions(cells, ["train"])
    assert note == ("train is defined more than once in cell 1; the last definition (the one "
                    "Python keeps) was graded.")


def test_lab1_with_the_skeleton_left_above_its_own_train_gets_full_points():
    """The case of the issue: this notebook scored 14/20 ("train is not implemented yet")."""
    case = next(c for c in subs.CASES if c.student == "skeleton_left_above")
    graded = grading_inprocess.grade(subs.LAB, case.make())
    assert sum(t.earned for t in graded.tests) == sum(t.points for t in graded.tests) == 20
    assert not any("not_implemented" in t.codes for t in graded.tests)
    assert any("train is defined more than once in cell" in note for note in graded.notes)


def test_a_contract_name_rebound_by_code_the_grader_does_not_run_gets_a_note():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("def train(x):\n    return x\n"),
                nbformat.v4.new_code_cell("train = make_trainer()\nfor forward in range(3):\n    pass\n")]
    cells = extract.extract_notebook(nb)
    assert cells[1].rebinds == ["train", "forward"]
    (note,) = extract.redefinitions(cells, ["train"])
    assert note.startswith("train is also assigned in cell 2 by code the grader does not run")
    assert extract.redefinitions(cells, ["forward"]) == [], "forward has no definition to grade"
