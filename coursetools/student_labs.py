"""Student labs from instructor notebooks: ``coursetools labs`` (``make labs``).

For every ``solutions/<lab>.ipynb`` this

1. refreshes its test-helper cell (``cells.helper_source``, strict: a failing test fails nbval)
   with the lab id, contract and methods of the notebook's ``metadata.coursetools``;
2. writes ``labs/<lab>.ipynb``: the same notebook with each solution region replaced by a
   ``TODO`` line and ``raise NotImplementedError(...)``, the hidden-test cells removed, and the
   helper cell in student mode (a failing test prints its message and "Run all" goes on), and
   each written answer reduced to its marker line and ``markers.ANSWER_PLACEHOLDER`` (the model
   answer and the rubric stay with the instructor). Nothing else changes (markdown, other code, cell ids and metadata are kept, except the
   grading seed, which stays with the instructor).

It also refreshes the figure cells (``cells.refresh_figure_cells``) of the instructor notebooks
and of ``chapters/``: one source module, no hand-kept copies. ``--check`` writes nothing and fails
if a file is out of date.
"""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from coursetools import cells, markers, notebooks


def student_source(source: str, regions: list[markers.Region]) -> str:
    """A code cell's source with its solution regions replaced by the student's TODO."""
    lines = source.split("\n")
    for region in sorted(regions, key=lambda r: r.begin, reverse=True):
        name = region.qualname or region.function
        what = f"{name}: not implemented yet" if name else "not implemented yet"
        lines[region.begin: region.end + 1] = [
            region.indent + markers.TODO_LINE,
            region.indent + f'raise NotImplementedError("{what}")']
    return "\n".join(lines)


def student_answer(answer: markers.Answer) -> str:
    """The student's copy of a written-answer cell: the marker line and the placeholder."""
    return f"{answer.marker}\n{markers.ANSWER_PLACEHOLDER}"


def _set_helpers(nb, infos, strict: bool) -> bool:
    """Put the current helper cell (source and metadata) into ``nb``; True if it changed."""
    meta = nb.metadata.get(markers.METADATA, {})
    cell = next(nb.cells[i.index] for i in infos if i.kind == "helpers")
    source = cells.helper_source(meta.get("lab"), meta.get("contract", []), meta.get("methods"),
                                 strict=strict, diagnosis=meta.get("diagnosis"))
    metadata = {**cell.metadata, **copy.deepcopy(cells.HELPER_METADATA)}
    if cell.source == source and cell.metadata == metadata:
        return False
    cell.source, cell.metadata = source, metadata
    return True


def student_notebook(nb, path=None):
    """The student version of an instructor notebook (a new object; ``nb`` is unchanged)."""
    infos = markers.parse_notebook(nb, path)
    student = copy.deepcopy(nb)
    student.metadata.get(markers.METADATA, {}).pop("seed", None)   # the instructor's, for grading
    _set_helpers(student, infos, strict=False)
    kept = []
    for info, cell in zip(infos, student.cells):
        if info.kind == "hidden":
            continue
        if info.kind == "solution":
            cell.source = student_source(cell.source, info.regions)
        if info.kind == "answer":
            cell.source = student_answer(info.answer)
        kept.append(cell)
    student.cells = kept
    return notebooks.clean(student)


def refresh_helper_cell(nb, path=None) -> bool:
    """Put the current helpers into the instructor notebook's helper cell; True if it changed."""
    return _set_helpers(nb, markers.parse_notebook(nb, path), strict=True)


def serialise(nb) -> str:
    """The text of a notebook as committed (the same form as ``clean-notebooks`` writes)."""
    return nbformat.writes(nb) + "\n"


def _update(path: Path, text: str, check: bool) -> bool:
    """Write ``text`` to ``path`` unless it is already there; True if it was out of date."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    if not check:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return True


def generate(root: Path, check: bool = False) -> list[Path]:
    """Refresh solutions' helper cells and the figure cells of solutions/ and chapters/, and
    regenerate labs/; returns the files out of date.

    With ``check=True`` nothing is written. A generated lab without an instructor notebook is
    reported as out of date too (delete it, or restore its source).
    """
    root = Path(root)
    stale = []
    sources = sorted((root / "solutions").glob("*.ipynb"))
    for source in sources:
        name = source.relative_to(root)
        nb = nbformat.reads(source.read_text(encoding="utf-8"), as_version=4)
        refresh_helper_cell(nb, name)
        cells.refresh_figure_cells(nb)
        notebooks.clean(nb)
        if _update(source, serialise(nb), check):
            stale.append(source)
        target = root / "labs" / source.name
        if _update(target, serialise(student_notebook(nb, name)), check):
            stale.append(target)
    for chapter in sorted((root / "chapters").glob("*.ipynb")):
        text = chapter.read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
        if cells.refresh_figure_cells(nb) and _update(chapter, serialise(notebooks.clean(nb)), check):
            stale.append(chapter)
    expected = {s.name for s in sources}
    stale += [p for p in sorted((root / "labs").glob("*.ipynb")) if p.name not in expected]
    return stale
