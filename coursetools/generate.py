"""Student labs from instructor notebooks: ``python -m coursetools labs`` (``make labs``).

For every ``solutions/<lab>.ipynb`` this

1. refreshes its checks cell (the cell starting with ``markers.CHECKS_HEADER``) from
   ``coursetools/checks.py``, so the notebook carries the current test helpers verbatim;
2. writes ``labs/<lab>.ipynb``: the same notebook with each solution region replaced by a
   ``TODO`` line and ``raise NotImplementedError(...)``, and the hidden-test cells removed.
   Nothing else changes (markdown, other code, metadata and cell ids are kept).

``--check`` writes nothing and fails if a file is out of date.
"""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from coursetools import markers, notebooks

CHECKS_MODULE = Path(__file__).with_name("checks.py")


def checks_cell_source() -> str:
    """The source of the checks cell: the header line, then coursetools/checks.py verbatim."""
    return markers.CHECKS_HEADER + "\n" + CHECKS_MODULE.read_text(encoding="utf-8").rstrip("\n")


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


def student_notebook(nb, path=None):
    """The student version of an instructor notebook (a new object; ``nb`` is unchanged)."""
    infos = markers.parse_notebook(nb, path)
    student = copy.deepcopy(nb)
    cells = []
    for info, cell in zip(infos, student.cells):
        if info.kind == "hidden":
            continue
        if info.kind == "solution":
            cell.source = student_source(cell.source, info.regions)
        cells.append(cell)
    student.cells = cells
    return notebooks.clean(student)


def refresh_checks_cell(nb, path=None) -> bool:
    """Put the current checks.py into the notebook's checks cell; True if it changed."""
    infos = markers.parse_notebook(nb, path)
    cell = next(nb.cells[i.index] for i in infos if i.kind == "checks")
    source = checks_cell_source()
    if cell.source == source:
        return False
    cell.source = source
    return True


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
    """Refresh solutions' checks cells and regenerate labs/; returns the files out of date.

    With ``check=True`` nothing is written. A generated lab without an instructor notebook is
    reported as out of date too (delete it, or restore its source).
    """
    root = Path(root)
    stale = []
    sources = sorted((root / "solutions").glob("*.ipynb"))
    for source in sources:
        name = source.relative_to(root)
        nb = nbformat.reads(source.read_text(encoding="utf-8"), as_version=4)
        refresh_checks_cell(nb, name)
        notebooks.clean(nb)
        if _update(source, serialise(nb), check):
            stale.append(source)
        target = root / "labs" / source.name
        if _update(target, serialise(student_notebook(nb, name)), check):
            stale.append(target)
    expected = {s.name for s in sources}
    stale += [p for p in sorted((root / "labs").glob("*.ipynb")) if p.name not in expected]
    return stale
