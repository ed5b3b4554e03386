"""Step: read the instructor notebook once; everything the other steps need from it is a ``Lab``.

The instructor notebook (``solutions/<lab>.ipynb``, or any path given with ``--instructor`` so
that hidden tests and the seed can live outside the repository) is the single source of a lab.
Its cells are classified by ``coursetools.markers`` (the vocabulary the lab generator uses);
from them the grader takes:

- the contract (``metadata.coursetools``: ``contract`` in dependency order, ``methods``), the
  lab id and the **seed** of the varied test inputs (a course's own; ``--seed`` overrides it);
- the instructor's definitions, extracted exactly like a student's: they are the *reference*
  kernel, and, statement by statement, the official versions used to grade each function on
  its own (``isolation``);
- the visible and hidden test cells with their expected values removed (in record mode the
  reference kernel's results are the expected values, so the hidden tests' values never reach
  a student's kernel), each with its *subject*: the contract name it grades;
- what identifies the lab (title, markdown) and its own code cells (never reported to a student
  as "not run");
- for a class of the contract, which of its methods each test cell is about (the methods its
  checks name in ``label="Class.method"``): such a test can run again on a copy of the
  student's class whose *other* methods are the official ones (``method_variant``), so that a
  mistake in one method is charged to that method's tests only (``score.charge_once``).
"""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import re
from pathlib import Path

import nbformat

from coursetools import cells as cellmod, markers
from coursetools.grading.lab import extract
from coursetools.grading.records import GRADEBOOK_COLUMNS
from coursetools.kernel import checks


class LabError(Exception):
    """The instructor notebook cannot be used for grading (the message says why)."""


@dataclasses.dataclass
class TestCell:
    index: int                 # index of the cell in the instructor notebook
    hidden: bool
    tests: list[str]
    source: str                # the code run while grading (expected values removed)
    subject: str | None        # the last (in contract order) of ``items``: the group it runs in
    items: list[str] = dataclasses.field(default_factory=list)      # declared: graded
    official: list[str] = dataclasses.field(default_factory=list)   # declared: official


@dataclasses.dataclass
class Lab:
    lab_id: str
    path: Path
    digest: str                            # sha256 of the instructor notebook file
    seed: str | None                       # metadata.coursetools.seed
    title: str | None
    contract: list[str]                    # in dependency order
    methods: dict[str, list[str]]
    definitions: list[extract.CellCode]
    test_cells: list[TestCell]
    markdown: frozenset[str]
    own_code: frozenset[str]               # the lab's code cells, normalised
    declared_id: str | None = None
    diagnosis: dict = dataclasses.field(default_factory=dict)   # metadata.coursetools.diagnosis
    answers: list[markers.Answer] = dataclasses.field(default_factory=list)  # graded by hand

    @property
    def test_ids(self) -> list[str]:
        return [test for cell in self.test_cells for test in cell.tests]

    def test_cell(self, test_id: str) -> TestCell:
        return next(cell for cell in self.test_cells if test_id in cell.tests)

    def is_hidden(self, test_id: str) -> bool:
        return self.test_cell(test_id).hidden

    def official_names(self, cell: TestCell) -> list[str]:
        """The contract names a test cell runs in their official versions: those it declares
        ``official``, and those the code of its graded items uses (through other contract
        names too) without grading them, in contract order. Nothing else is replaced."""
        statements = [s for code in self.definitions for s in code.statements]
        bound_by = {name: s for s in statements for name in s.binds}
        contract, graded = set(self.contract), set(cell.items)
        found, todo, seen = set(cell.official), [*cell.items, *cell.official], set()
        while todo:
            statement = bound_by.get(todo.pop())
            if statement is None or id(statement) in seen:
                continue
            seen.add(id(statement))
            for name in statement.loads:
                if name in contract and name not in graded:
                    found.add(name)
                if name in bound_by:
                    todo.append(name)
        return [name for name in self.contract if name in found]

    def about(self, cell: TestCell) -> list[str]:
        """The methods of the cell's class that its checks name (``label="Class.method"``)."""
        methods = self.methods.get(cell.subject or "", [])
        named = re.findall(rf"""label=['"]{re.escape(cell.subject or '')}\.(\w+)""", cell.source)
        return [m for m in methods if m in named]

    def method_variant(self, cell: TestCell) -> tuple[list[str], list[str]] | None:
        """(methods kept from the student, methods replaced by the official ones) for a test of
        a class that names some but not all of its methods; None for any other test."""
        about = self.about(cell)
        replaced = [m for m in self.methods.get(cell.subject or "", []) if m not in about]
        return (about, replaced) if about and replaced else None

    def variant_source(self, name: str, keep) -> str:
        """The instructor statements that define class ``name`` (and what they use, no other
        contract name), without the methods in ``keep``: the official code of the methods a
        variant is *not* about, and nothing of the ones it grades."""
        statements = _closure(self.definitions, [name], set(self.contract) - {name})
        tree = ast.parse("".join(s.source for s in statements))
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name == name:
                node.body = [item for item in node.body if not _binds_any(item, keep)] or [
                    ast.Pass()]
        return ast.unparse(tree) + "\n"

    def isolation(self, cell: TestCell) -> tuple[list[str], str]:
        """(official names, their code) for a test cell: the instructor statements that the
        official names need, and nothing that binds a contract name the cell grades."""
        names = self.official_names(cell)
        statements = _closure(self.definitions, names, set(self.contract) - set(names))
        return names, "".join(s.source for s in statements)


def normalise(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def title(nb) -> str | None:
    """The notebook's title: the first ``# `` heading of its markdown cells."""
    for cell in nb.get("cells", []):
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            for line in extract.cell_text(cell).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return None


def markdown_fingerprint(nb) -> frozenset[str]:
    """The markdown cells, whitespace-normalised: a student rarely edits all of them."""
    return frozenset(" ".join(extract.cell_text(c).split()) for c in nb.get("cells", [])
                     if isinstance(c, dict) and c.get("cell_type") == "markdown"
                     and extract.cell_text(c).strip())


def _binds_any(node, names) -> bool:
    """Whether a class-body statement defines one of ``names`` (a def, or ``x = y``)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return node.name in names
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id in names for t in node.targets)
    return False


def _closure(definitions, names, forbidden) -> list[extract.Statement]:
    """The statements that bind ``names`` and what they use, never one binding ``forbidden``."""
    statements = [s for cell in definitions for s in cell.statements]
    bound_by = {name: s for s in statements for name in s.binds}
    chosen, todo = [], list(names)
    while todo:
        statement = bound_by.get(todo.pop())
        if statement is None or statement in chosen or forbidden & set(statement.binds):
            continue
        chosen.append(statement)
        todo += [name for name in statement.loads if name in bound_by]
    return [s for s in statements if s in chosen]


def _check_dependency_order(definitions, contract) -> None:
    for position, name in enumerate(contract):
        later = set(contract[position + 1:])
        statements = [s for cell in definitions for s in cell.statements]
        bound_by = {n: s for s in statements for n in s.binds}
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            statement = bound_by.get(current)
            if statement is None or id(statement) in seen:
                continue
            seen.add(id(statement))
            uses = [n for n in statement.loads if n in later]
            if uses:
                raise LabError(f"metadata contract is not in dependency order: {name} uses "
                               f"{uses[0]}, which comes after it")
            todo += [n for n in statement.loads if n in bound_by]


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


def _drop_dead_assignments(trees, candidates) -> list[ast.expr]:
    loaded = set().union(*(_loaded_names([t]) for t in trees)) if trees else set()
    removed = []
    for tree in trees:
        for body in _statement_lists(tree):
            for stmt in list(body):
                if not isinstance(stmt, ast.Assign):
                    continue
                targets = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
                if len(targets) == len(stmt.targets) and all(
                        t in candidates and t not in loaded for t in targets):
                    body.remove(stmt)
                    removed.append(stmt.value)
            if not body:
                body.append(ast.Pass())
    return removed


def strip_expectations(sources: list[str]) -> list[str]:
    """The test cells without their expected values (and the assignments only they used).

    The reference kernel and every student kernel run the same stripped cells, so the result
    of each ``check`` call depends only on the function under test.
    """
    trees, removed = [], []
    for source in sources:
        dropper = _DropExpect()
        trees.append(dropper.visit(ast.parse(extract.python_source(source))))
        removed += dropper.removed
    candidates = _loaded_names(removed)
    while True:
        dead = _drop_dead_assignments(trees, candidates)
        if not dead:
            break
        candidates |= _loaded_names(dead)
    return [ast.unparse(ast.fix_missing_locations(tree)) + "\n" for tree in trees]


def subject_of(source: str, contract: list[str]) -> str | None:
    """The contract name a test cell's tests run under: the last (in contract order) it grades,
    from its declaration (``graded(..., grades=[...])``)."""
    items = declared(source)[0]
    found = [name for name in contract if name in items]
    return found[-1] if found else None


DECLARATIONS = ("grades", "official")


def _string_list(node, what: str) -> list[str]:
    if isinstance(node, (ast.List, ast.Tuple)) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return [e.value for e in node.elts]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    raise LabError(f"{what} must be a literal list of names, e.g. {what}=[\"forward\"]")


def declared(source: str) -> tuple[list[str], list[str]]:
    """(grades, official): what the ``graded(...)`` call of a test cell declares."""
    grades, official = [], []
    for node in ast.walk(ast.parse(extract.python_source(source))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "graded":
            for keyword in node.keywords:
                if keyword.arg == "grades":
                    grades += _string_list(keyword.value, "grades")
                elif keyword.arg == "official":
                    official += _string_list(keyword.value, "official")
    return grades, official


def attribution_problems(source: str, contract: list[str], definitions, methods) -> list[str]:
    """Why a test cell's declaration disagrees with what it calls (empty: it agrees).

    The rule (``coursetools/README.md``, *Attribution*): a test cell declares in ``grades`` the
    contract items whose student versions it runs and is charged to, and in ``official`` the
    ones it only uses to build its inputs (they run in their official versions). Every contract
    item the cell names is in exactly one of the two; every declared item is named by the cell;
    a graded class whose base class is a contract item runs the student's base too (Python binds
    a base when the class is defined), so that base is graded as well.
    """
    grades, official = declared(source)
    named = _loaded_names([ast.parse(extract.python_source(source))])
    if not grades:
        calls = [n for n in contract if n in named]
        return ["declares no graded item: write graded(..., grades=[...]) with the contract "
                "items it grades" + (f" (it calls {', '.join(calls)})" if calls else "")]
    problems = []
    unknown = [n for n in grades + official if n not in contract]
    if unknown:
        problems.append(f"declares {', '.join(unknown)}, not in the contract ({', '.join(contract)})")
    both = [n for n in grades if n in official]
    if both:
        problems.append(f"declares {', '.join(both)} both graded and official")
    undeclared = [n for n in contract if n in named and n not in grades and n not in official]
    if undeclared:
        problems.append(f"calls {', '.join(undeclared)} without declaring it: add it to grades=[...] "
                        "(the test grades it too) or to official=[...] (the test runs the official "
                        "version to build its inputs)")
    statements = {n: s for code in definitions for s in code.statements for n in s.binds}
    inherited = {b for name in grades for b in getattr(statements.get(name), "bases", [])}
    unused = [n for n in grades + official if n in contract and n not in named
              and n not in inherited]
    if unused:
        problems.append(f"declares {', '.join(unused)} but never calls it")
    for name in grades:
        bases = [b for b in getattr(statements.get(name), "bases", []) if b in contract]
        missing = [b for b in bases if b not in grades]
        if missing:
            problems.append(f"grades {name}, a subclass of {', '.join(missing)}: the student's "
                            f"{name} inherits from the student's {', '.join(missing)}, so grade "
                            f"{'it' if len(missing) == 1 else 'them'} too")
    return problems


# ------------------------------------------------------------------ loading
def _read(path: Path, lab_id: str):
    if not path.is_file():
        raise LabError(f"no instructor notebook for lab {lab_id!r}: {path} does not exist")
    try:
        data = path.read_bytes()
        return nbformat.reads(data.decode("utf-8"), as_version=4), hashlib.sha256(data).hexdigest()
    except Exception as error:  # noqa: BLE001 - any reading problem means the same thing
        raise LabError(f"{path} is not a readable notebook: {error}") from None


def _test_cells(nb, infos, contract, path, definitions=(), methods=None) -> list[TestCell]:
    tests = [info for info in infos if info.kind in ("test", "hidden")]
    if not tests:
        raise LabError(f"{path} has no graded test cell (`with graded(...)`)")
    try:
        sources = [extract.cell_text(nb.cells[i.index]) for i in tests]
        stripped = strip_expectations(sources)
    except SyntaxError as error:
        raise LabError(f"a test cell of {path} does not parse: {error}") from None
    problems = [f"cell {i.index} ({', '.join(i.tests)}) {problem}"
                for i, original in zip(tests, sources)
                for problem in attribution_problems(original, contract, definitions, methods)]
    if problems:
        raise LabError(f"{path}: tests whose declarations and calls disagree (see 'Attribution' "
                       "in coursetools/README.md):\n  " + "\n  ".join(problems))
    found = []
    for i, source, original in zip(tests, stripped, sources):
        grades, official = declared(original)
        found.append(TestCell(i.index, i.kind == "hidden", list(i.tests), source,
                              subject_of(original, contract),
                              [n for n in contract if n in grades],
                              [n for n in contract if n in official]))
    return found


def load(path: Path, lab_id: str) -> Lab:
    """Parse the instructor notebook at ``path``; raises LabError with a clear reason."""
    path = Path(path)
    nb, digest = _read(path, lab_id)
    try:
        infos = markers.parse_notebook(nb, path=path)
        helper = next(extract.cell_text(nb.cells[i.index]) for i in infos if i.kind == "helpers")
        cellmod.require_current(helper, str(path))
    except (markers.MarkerError, cellmod.OutdatedCell) as error:
        raise LabError(f"the instructor notebook cannot be used: {error}") from None
    meta = nb.metadata.get(markers.METADATA, {})
    contract = list(meta.get("contract") or [])
    if not contract:
        raise LabError(f"{path} has no metadata.coursetools.contract (the names students write)")
    reserved, known = frozenset(checks.PUBLIC), set(checks.PUBLIC)
    definitions = [extract.extract_cell(extract.cell_text(nb.cells[i.index]), i.index, reserved, known)
                   for i in infos if i.kind in ("solution", "code")]
    _check_dependency_order(definitions, contract)
    ids = {t for i in infos for t in i.tests} | {i.answer.id for i in infos if i.answer}
    columns = sorted(ids & set(GRADEBOOK_COLUMNS))
    if columns:
        raise LabError(f"{path}: {', '.join(columns)}: a test or answer id that is also a fixed "
                       f"column of grades.csv ({', '.join(GRADEBOOK_COLUMNS)}); rename it")
    own = frozenset(normalise(extract.cell_text(nb.cells[i.index])) for i in infos
                    if i.kind in ("code", "test") and extract.cell_text(nb.cells[i.index]).strip())
    return Lab(lab_id=lab_id, path=path, digest=digest, seed=meta.get("seed"), title=title(nb),
               contract=contract,
               methods={str(k): list(v) for k, v in dict(meta.get("methods") or {}).items()},
               definitions=definitions,
               test_cells=_test_cells(nb, infos, contract, path, definitions, meta.get("methods")),
               markdown=markdown_fingerprint(nb), own_code=own, declared_id=meta.get("lab"),
               diagnosis=dict(meta.get("diagnosis") or {}),
               answers=[i.answer for i in infos if i.answer is not None])


LAB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def instructor_path(root: Path, lab_id: str, instructor: Path | None = None) -> Path:
    """``--instructor`` if given, else ``solutions/<lab>.ipynb`` of the repository."""
    if instructor is not None:
        return Path(instructor)
    if not LAB_ID.match(lab_id):
        raise LabError(f"{lab_id!r} is not a lab id (e.g. lab1_scalar)")
    path = Path(root) / "solutions" / f"{lab_id}.ipynb"
    if not path.is_file():
        known = sorted(p.stem for p in (Path(root) / "solutions").glob("*.ipynb"))
        raise LabError(f"unknown lab {lab_id!r}: {path} does not exist"
                       + (f" (known labs: {', '.join(known)})" if known else ""))
    return path


def other_labs(root: Path, lab: Lab) -> dict[str, tuple[str | None, frozenset[str]]]:
    """Title and markdown fingerprint of every other lab of the course (to spot a wrong lab)."""
    found = {}
    for folder in ("solutions", "labs"):
        for path in sorted((Path(root) / folder).glob("*.ipynb")):
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
    (its metadata, its title, a title "Lab <n>" with another number, or more shared markdown
    cells with another lab than with this one).
    """
    meta = nb.get("metadata", {}).get(markers.METADATA) if isinstance(nb.get("metadata"), dict) \
        else None
    declared = meta.get("lab") if isinstance(meta, dict) else None
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
