"""What the grader needs from the instructor notebook: one parse, shared by every submission.

The instructor notebook (``solutions/<lab>.ipynb``, or any path given with ``--instructor`` so
that hidden tests can live outside the repository) is the single source of the lab. Its cells
are classified by ``coursetools.markers`` (the same vocabulary the student-lab generator uses);
from them the grader takes:

- the checks cell (the official test helpers: the student's copy is never used);
- the instructor's own definitions, extracted exactly like a student's (``extract``): running
  them is the *reference* kernel whose results every student is compared with;
- the contract functions (the functions that hold ``### BEGIN SOLUTION``), to report a missing
  or misnamed one by name;
- the visible and hidden test cells, in order, with their expected values removed (in record
  mode the grader compares with the reference kernel's results instead, so the expected values
  of the hidden tests never reach a student's kernel);
- a fingerprint (title and markdown cells) to recognise a notebook of another lab.
"""
from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import nbformat

from coursetools import markers
from coursetools.grading import extract


class LabError(Exception):
    """The instructor notebook cannot be used for grading (the message says why)."""


@dataclasses.dataclass
class TestCell:
    index: int      # index of the cell in the instructor notebook
    hidden: bool
    tests: list[str]
    source: str     # the code run while grading (expected values removed)


@dataclasses.dataclass
class Lab:
    lab_id: str
    path: Path
    title: str | None
    checks_source: str
    definitions: list[extract.CellCode]
    functions: list[str]             # the contract: top-level names the student must define
    methods: dict[str, list[str]]    # for classes of the contract: methods they must have
    test_cells: list[TestCell]
    reserved: frozenset[str]
    markdown: frozenset[str]
    declared_id: str | None = None   # metadata.coursetools.lab of the instructor notebook

    @property
    def test_ids(self) -> list[str]:
        return [test for cell in self.test_cells for test in cell.tests]

    def is_hidden(self, test_id: str) -> bool:
        return any(test_id in cell.tests and cell.hidden for cell in self.test_cells)


def _text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def title(nb) -> str | None:
    """The notebook's title: the first ``# `` heading of its markdown cells."""
    for cell in nb.cells:
        if cell.get("cell_type") != "markdown":
            continue
        for line in _text(cell).splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return None


def markdown_fingerprint(nb) -> frozenset[str]:
    """The markdown cells, whitespace-normalised: a student rarely edits all of them."""
    return frozenset(" ".join(_text(c).split()) for c in nb.cells
                     if c.get("cell_type") == "markdown" and _text(c).strip())


# ------------------------------------------------------------------ expected values, removed
def _loaded_names(nodes) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


class _DropExpect(ast.NodeTransformer):
    """``check(f, args, expect, ...)``: the expected value becomes ``None``."""

    def __init__(self):
        self.removed: list[ast.expr] = []

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name != "check":
            return node
        if len(node.args) >= 3:
            self.removed.append(node.args[2])
            node.args[2] = ast.Constant(value=None)
        for keyword in node.keywords:
            if keyword.arg == "expect":
                self.removed.append(keyword.value)
                keyword.value = ast.Constant(value=None)
        return node


def _statement_lists(tree):
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            value = getattr(node, field, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                yield value


def strip_expectations(sources: list[str]) -> list[str]:
    """The test cells without their expected values (and the assignments only they used).

    The reference kernel and every student kernel run the same stripped cells, so the result
    of each ``check`` call depends only on the function under test.
    """
    trees, removed = [], []
    for source in sources:
        tree = ast.parse(extract.python_source(source))
        dropper = _DropExpect()
        trees.append(dropper.visit(tree))
        removed += dropper.removed
    candidates = _loaded_names(removed)
    while True:
        loaded = set().union(*(_loaded_names([t]) for t in trees)) if trees else set()
        dead_removed = []
        for tree in trees:
            for body in _statement_lists(tree):
                for stmt in list(body):
                    if not isinstance(stmt, ast.Assign):
                        continue
                    targets = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
                    if len(targets) != len(stmt.targets):
                        continue
                    if all(t in candidates and t not in loaded for t in targets):
                        body.remove(stmt)
                        dead_removed.append(stmt.value)
                if not body:
                    body.append(ast.Pass())
        if not dead_removed:
            break
        candidates |= _loaded_names(dead_removed)
    return [ast.unparse(ast.fix_missing_locations(tree)) + "\n" for tree in trees]


# ------------------------------------------------------------------ loading
def load(path: Path, lab_id: str) -> Lab:
    """Parse the instructor notebook at ``path``; raises LabError with a clear reason."""
    path = Path(path)
    if not path.is_file():
        raise LabError(f"no instructor notebook for lab {lab_id!r}: {path} does not exist")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # noqa: BLE001 - any reading problem means the same thing
        raise LabError(f"{path} is not a readable notebook: {error}") from None
    try:
        infos = markers.parse_notebook(nb, path=path)
    except markers.MarkerError as error:
        raise LabError(f"the instructor notebook has a marker problem: {error}") from None
    checks_source = next(_text(nb.cells[i.index]) for i in infos if i.kind == "checks")
    reserved = frozenset(extract.top_level_names(checks_source))
    meta = nb.metadata.get("coursetools", {})
    functions = list(meta.get("contract") or [])
    methods = {str(k): list(v) for k, v in dict(meta.get("methods") or {}).items()}
    if not functions:  # no contract in the metadata: the functions holding solution code
        for info in infos:
            for region in info.regions:
                name = (region.function or "").split(".")[0]
                if name and name not in functions:
                    functions.append(name)
    definitions, known = [], set(reserved)
    for info in infos:
        if info.kind in ("solution", "code"):
            definitions.append(extract.extract_cell(_text(nb.cells[info.index]), info.index,
                                                    reserved, known))
    tests = [info for info in infos if info.kind in ("test", "hidden")]
    if not tests:
        raise LabError(f"{path} has no graded test cell (`with graded(...)`)")
    try:
        stripped = strip_expectations([_text(nb.cells[i.index]) for i in tests])
    except SyntaxError as error:
        raise LabError(f"a test cell of {path} does not parse: {error}") from None
    test_cells = [TestCell(i.index, i.kind == "hidden", list(i.tests), source)
                  for i, source in zip(tests, stripped)]
    return Lab(lab_id=lab_id, path=path, title=title(nb), checks_source=checks_source,
               definitions=definitions, functions=functions, methods=methods,
               test_cells=test_cells,
               reserved=reserved, markdown=markdown_fingerprint(nb),
               declared_id=meta.get("lab"))


LAB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def instructor_path(root: Path, lab_id: str, instructor: Path | None = None) -> Path:
    """``--instructor`` if given, else ``solutions/<lab>.ipynb`` of the repository."""
    if instructor is not None:
        return Path(instructor)
    if not LAB_ID.match(lab_id):
        raise LabError(f"{lab_id!r} is not a lab id (e.g. lab1_scalar)")
    path = root / "solutions" / f"{lab_id}.ipynb"
    if not path.is_file():
        known = sorted(p.stem for p in (root / "solutions").glob("*.ipynb"))
        raise LabError(f"unknown lab {lab_id!r}: {path} does not exist"
                       + (f" (known labs: {', '.join(known)})" if known else ""))
    return path


def other_labs(root: Path, lab: Lab) -> dict[str, tuple[str | None, frozenset[str]]]:
    """Title and markdown fingerprint of every other lab of the course (to spot a wrong lab)."""
    found = {}
    for folder in ("solutions", "labs"):
        for path in sorted((root / folder).glob("*.ipynb")):
            if path.stem == lab.lab_id or path.resolve() == lab.path.resolve():
                continue
            try:
                nb = nbformat.read(path, as_version=4)
            except Exception:  # noqa: BLE001 - a broken other lab is not this lab's business
                continue
            known_title, markdown = found.get(path.stem, (None, frozenset()))
            found[path.stem] = (known_title or title(nb), markdown | markdown_fingerprint(nb))
    return found


_NUMBERED = re.compile(r"^\s*lab\s*(\d+)\b", re.IGNORECASE)


def _lab_number(text: str | None) -> int | None:
    match = _NUMBERED.match(text or "")
    return int(match.group(1)) if match else None


def wrong_lab(nb, lab: Lab, others) -> str | None:
    """The id of the other lab this notebook belongs to, or None if it may be this lab.

    A renamed title alone does not make a wrong lab: the notebook must look like another lab
    (its title, a title "Lab <n>" with another number, or more shared markdown cells with
    another lab than with this one).
    """
    declared = nb.metadata.get("coursetools", {}).get("lab") if isinstance(
        nb.metadata.get("coursetools"), dict) else None
    if declared:   # the lab's own metadata, kept by Colab and Jupyter
        return None if declared in (lab.declared_id, lab.lab_id) else str(declared)
    student_title = title(nb)
    if student_title and lab.title and student_title == lab.title:
        return None
    for other_id, (other_title, _) in others.items():
        if student_title and student_title == other_title:
            return other_id
    number, mine_number = _lab_number(student_title), _lab_number(lab.title)
    if number is not None and mine_number is not None and number != mine_number:
        return f"Lab {number}"
    markdown = markdown_fingerprint(nb)
    mine = len(markdown & lab.markdown)
    shared, best = max(((len(markdown & other), other_id)
                        for other_id, (_, other) in others.items()), default=(0, None))
    return best if shared > mine else None
