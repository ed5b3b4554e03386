"""The marker vocabulary of instructor notebooks, in one place: what each code cell is.

An instructor notebook (``solutions/<lab>.ipynb``) is the single source of a lab. Its code cells
use these markers (the README of this package documents them for authors):

- ``### BEGIN SOLUTION`` / ``### END SOLUTION`` on lines of their own: the lines between them are
  the solution. The student copy shows ``# TODO: your code here`` and
  ``raise NotImplementedError("<function>: not implemented yet")`` instead, at the marker's
  indentation (``<function>`` is the enclosing ``def``, as ``Class.method`` inside a class).
- A cell whose first line is ``### BEGIN HIDDEN TESTS`` and whose last line is
  ``### END HIDDEN TESTS`` holds hidden tests: the student copy does not have it.
- Any other line starting with ``###`` in a code cell is an unknown marker, and unbalanced or
  nested markers are errors (``MarkerError`` names the file, the cell index and the line).
- A **Markdown** cell whose first line is ``<!-- answer: ID points=N -->`` is a written answer
  graded by hand (``ID`` a snake_case identifier unique in the lab, ``N`` its points), and the
  Markdown cell before it is its question. The lines after the marker are the model answer; a
  rubric may follow, from a line ``<!-- rubric`` to a line ``-->``, one ``- k: criterion`` line
  per level (k from 0 to N). The student copy keeps the marker line and shows
  ``ANSWER_PLACEHOLDER`` instead of the model answer and the rubric.

The cell kinds derived from them (``cell_kind``) are used by the generator and the grader alike.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from coursetools import cells

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
MARKERS = (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN)

TODO_LINE = "# TODO: your code here"
# The key of an instructor notebook's (and its student lab's) metadata: lab, contract, methods, seed.
METADATA = "coursetools"

_GRADED = re.compile(r"""^\s*with\s+graded\(\s*(["'])(?P<id>[^"']+)\1""", re.M)
_DEF = re.compile(r"^(?P<indent>\s*)def\s+(?P<name>\w+)\s*\(")
_CLASS = re.compile(r"^(?P<indent>\s*)class\s+(?P<name>\w+)\s*[(:]")

KINDS = ("markdown", "answer", "raw", "helpers", "hidden", "solution", "test", "code")

ANSWER_PLACEHOLDER = "_Write your answer here (double-click to edit)._"
ANSWER_START = "<!-- answer"
RUBRIC_START, RUBRIC_END = "<!-- rubric", "-->"
_ANSWER = re.compile(r"^<!-- answer: (?P<id>[a-z][a-z0-9_]*) points=(?P<points>\d+(\.\d+)?) -->$")
_LEVEL = re.compile(r"^- (?P<level>\d+(\.\d+)?): (?P<criterion>\S.*)$")


class MarkerError(ValueError):
    """A marker problem, located by file, cell index (0-based, all cells) and line (1-based)."""

    def __init__(self, message: str, path=None, cell: int | None = None, line: int | None = None):
        self.message, self.path, self.cell, self.line = message, path, cell, line
        where = ", ".join(part for part in (
            str(path) if path is not None else "",
            f"cell {cell}" if cell is not None else "",
            f"line {line}" if line is not None else "") if part)
        super().__init__(f"{where}: {message}" if where else message)

    def located(self, path=None, cell=None) -> "MarkerError":
        return MarkerError(self.message, path if path is not None else self.path,
                           cell if cell is not None else self.cell, self.line)


@dataclass
class Region:
    """One solution region: marker lines ``begin`` and ``end`` (0-based line indices).

    ``function`` is the name of the enclosing ``def``; ``qualname`` is ``Class.method`` when
    that ``def`` is a method, else the same as ``function``.
    """
    begin: int
    end: int
    indent: str
    function: str | None
    qualname: str | None = None


@dataclass(frozen=True)
class Answer:
    """A written answer of an instructor notebook: what the grader and the question pages need."""
    id: str
    points: float
    model: str                                   # the model answer (Markdown)
    rubric: tuple[tuple[float, str], ...] = ()   # (points, criterion), as written
    question: str = ""                           # the Markdown cell before the answer cell

    @property
    def marker(self) -> str:
        """The first line of the cell, the same in the instructor's and the student's copy."""
        points = int(self.points) if float(self.points).is_integer() else self.points
        return f"<!-- answer: {self.id} points={points} -->"

    def secret_lines(self) -> list[str]:
        """Every line of the model answer and of the rubric (what no student copy may show)."""
        return [line for line in self.model.split("\n") if line.strip()] + [
            f"- {level:g}: {criterion}" for level, criterion in self.rubric]


@dataclass
class CellInfo:
    index: int
    kind: str
    regions: list[Region] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    answer: Answer | None = None


def _marker_lines(lines: list[str]) -> list[tuple[int, str, str]]:
    """(line index, stripped marker, indentation) of every ``###`` line; unknown ones raise."""
    found = []
    for number, line in enumerate(lines):
        stripped = line.strip()
        if not stripped.startswith("###"):
            continue
        if stripped not in MARKERS:
            raise MarkerError(f"unknown marker {stripped!r} (known: {', '.join(MARKERS)})",
                              line=number + 1)
        found.append((number, stripped, line[: len(line) - len(line.lstrip())]))
    return found


def _enclosing_function(lines: list[str], begin: int, indent: str) -> str | None:
    for line in reversed(lines[:begin]):
        match = _DEF.match(line)
        if match and len(match["indent"]) < len(indent):
            return match["name"]
    return None


def _qualified_name(lines: list[str], begin: int, indent: str) -> str | None:
    """``Class.method`` for a region in a method, the function's name otherwise."""
    for number in range(begin - 1, -1, -1):
        match = _DEF.match(lines[number])
        if match and len(match["indent"]) < len(indent):
            for line in reversed(lines[:number]):
                outer = _CLASS.match(line) or _DEF.match(line)
                if outer and len(outer["indent"]) < len(match["indent"]):
                    if _CLASS.match(line):
                        return f"{outer['name']}.{match['name']}"
                    break
            return match["name"]
    return None


def solution_regions(source: str) -> list[Region]:
    """The solution regions of a code cell's source (no hidden-test markers allowed)."""
    lines = source.split("\n")
    regions, open_at = [], None
    for number, marker, indent in _marker_lines(lines):
        if marker in (BEGIN_HIDDEN, END_HIDDEN):
            raise MarkerError(f"{marker!r} must be the first/last line of a hidden-test cell",
                              line=number + 1)
        if marker == BEGIN_SOLUTION:
            if open_at is not None:
                raise MarkerError(f"nested {BEGIN_SOLUTION!r} (the one on line {open_at[0] + 1} "
                                  "is not closed)", line=number + 1)
            open_at = (number, indent)
        else:
            if open_at is None:
                raise MarkerError(f"{END_SOLUTION!r} without {BEGIN_SOLUTION!r}", line=number + 1)
            if indent != open_at[1]:
                raise MarkerError(f"{END_SOLUTION!r} is not indented like its {BEGIN_SOLUTION!r}",
                                  line=number + 1)
            regions.append(Region(open_at[0], number, open_at[1],
                                  _enclosing_function(lines, open_at[0], open_at[1]),
                                  _qualified_name(lines, open_at[0], open_at[1])))
            open_at = None
    if open_at is not None:
        raise MarkerError(f"{BEGIN_SOLUTION!r} is never closed", line=open_at[0] + 1)
    return regions


def is_hidden(source: str) -> bool:
    """True for a hidden-test cell (validated: markers only on the first and last line)."""
    lines = source.strip("\n").split("\n")
    if not lines or lines[0].strip() != BEGIN_HIDDEN:
        return False
    if lines[-1].strip() != END_HIDDEN or len(lines) < 2:
        raise MarkerError(f"a hidden-test cell must end with the line {END_HIDDEN!r}",
                          line=len(lines))
    for number, marker, _ in _marker_lines(lines[1:-1]):
        raise MarkerError(f"{marker!r} inside a hidden-test cell", line=number + 2)
    return True


def graded_ids(source: str) -> list[str]:
    """The ids of the ``with graded("id", ...)`` blocks of a cell, in order."""
    return [match["id"] for match in _GRADED.finditer(source)]


def is_answer_marker(line: str) -> bool:
    """Whether ``line`` looks like an answer marker (valid or not): it starts with ``<!-- answer``."""
    return line.strip().startswith(ANSWER_START)


def parse_answer(source: str, question: str = "") -> Answer | None:
    """The written answer of a Markdown cell, or None if its first line is not an answer marker.

    Raises MarkerError for a malformed marker, a rubric that is not closed or has a line that is
    not ``- k: criterion`` with k between 0 and the points, or an answer without a model answer.
    """
    lines = source.split("\n")
    if not lines or not is_answer_marker(lines[0]):
        return None
    found = _ANSWER.match(lines[0].strip())
    if not found:
        raise MarkerError(f"malformed answer marker {lines[0].strip()!r}: write "
                          "'<!-- answer: some_id points=N -->' (a snake_case id, N >= 0)", line=1)
    points, model, rubric, number = float(found["points"]), [], [], 1
    while number < len(lines) and lines[number].strip() != RUBRIC_START:
        if is_answer_marker(lines[number]) or lines[number].strip().startswith(RUBRIC_START):
            raise MarkerError(f"unexpected {lines[number].strip()!r} in the model answer "
                              f"(a rubric starts with a line {RUBRIC_START!r} of its own)",
                              line=number + 1)
        model.append(lines[number])
        number += 1
    if number < len(lines):            # the rubric
        start, number = number, number + 1
        while number < len(lines) and lines[number].strip() != RUBRIC_END:
            level = _LEVEL.match(lines[number].strip())
            if lines[number].strip() and not level:
                raise MarkerError(f"rubric line {lines[number].strip()!r} is not "
                                  "'- k: criterion'", line=number + 1)
            if level:
                if not 0 <= float(level["level"]) <= points:
                    raise MarkerError(f"rubric level {level['level']} outside 0..{found['points']}",
                                      line=number + 1)
                rubric.append((float(level["level"]), level["criterion"].strip()))
            number += 1
        if number == len(lines):
            raise MarkerError(f"the rubric is never closed (a line {RUBRIC_END!r})",
                              line=start + 1)
        if any(line.strip() for line in lines[number + 1:]):
            raise MarkerError("text after the rubric: the rubric ends the answer cell",
                              line=number + 2)
        if not rubric:
            raise MarkerError("an empty rubric", line=start + 1)
    text = "\n".join(model).strip("\n")
    if not text.strip():
        raise MarkerError(f"the answer {found['id']!r} has no model answer", line=2)
    return Answer(found["id"], points, text, tuple(rubric), question)


def cell_info(cell, index: int = 0, question: str = "") -> CellInfo:
    """What a cell is: its kind, solution regions, graded test ids, or written answer."""
    if cell.get("cell_type") == "markdown":
        try:
            answer = parse_answer(cell.get("source", ""), question)
        except MarkerError as error:
            raise error.located(cell=index) from None
        return CellInfo(index, "answer", answer=answer) if answer else CellInfo(index, "markdown")
    if cell.get("cell_type") != "code":
        return CellInfo(index, "raw")
    source = cell.get("source", "")
    try:
        if cells.is_helper_cell(source):
            return CellInfo(index, "helpers")
        hidden = is_hidden(source)
        regions = [] if hidden else solution_regions(source)
    except MarkerError as error:
        raise error.located(cell=index) from None
    tests = graded_ids(source)
    if regions and tests:
        raise MarkerError("a cell holds either solution code or graded tests, not both", cell=index)
    if hidden:
        if not tests:
            raise MarkerError("a hidden-test cell without any `with graded(...)` test", cell=index)
        return CellInfo(index, "hidden", tests=tests)
    if regions:
        return CellInfo(index, "solution", regions=regions)
    return CellInfo(index, "test" if tests else "code", tests=tests)


def cell_kind(cell) -> str:
    """One of KINDS: markdown, answer (a written answer), raw, helpers, hidden, solution, test
    (visible graded tests), code."""
    return cell_info(cell).kind


def parse_notebook(nb, path=None) -> list[CellInfo]:
    """Validate every cell's markers and return one CellInfo per cell.

    Also checks that test ids and answer ids are unique, that every answer follows its question
    (a Markdown cell), and that there is exactly one test-helper cell.
    """
    infos, seen, answers = [], {}, {}
    for index, cell in enumerate(nb.cells):
        before = nb.cells[index - 1] if index else None
        question = before.get("source", "") if before is not None and \
            before.get("cell_type") == "markdown" else None
        try:
            info = cell_info(cell, index, question or "")
        except MarkerError as error:
            raise error.located(path=path) from None
        if info.answer is not None:
            if question is None or (infos and infos[-1].kind == "answer"):
                raise MarkerError(f"the answer {info.answer.id!r} must follow its question, a "
                                  "Markdown cell", path=path, cell=index)
            if info.answer.id in answers:
                raise MarkerError(f"answer id {info.answer.id!r} is used twice (also in cell "
                                  f"{answers[info.answer.id]})", path=path, cell=index)
            answers[info.answer.id] = index
        for test in info.tests:
            if test in seen:
                raise MarkerError(f"test id {test!r} is used twice (also in cell {seen[test]})",
                                  path=path, cell=index)
            seen[test] = index
        infos.append(info)
    clash = set(answers) & set(seen)
    if clash:
        raise MarkerError(f"{', '.join(sorted(clash))}: the same id for a test and an answer "
                          "(they are columns of one gradebook)", path=path)
    helpers = [info.index for info in infos if info.kind == "helpers"]
    if len(helpers) != 1:
        raise MarkerError(f"expected exactly one test-helper cell (starting with "
                          f"{cells.HELPER_TITLE!r}), found {len(helpers)}", path=path)
    return infos


def answers(nb, path=None) -> list[Answer]:
    """The written answers of an instructor notebook, in order (validated)."""
    return [info.answer for info in parse_notebook(nb, path) if info.answer is not None]
