"""The grading notebook: what nbval executes for one submission (and for the reference).

Grading never executes the student's notebook itself. For each submission it writes a new
notebook, in a folder of its own (the kernel's working directory), made of:

1. ``setup``: the guard (``guard.py`` inlined: audit hook, memory and time limits), before any
   student code;
2. ``checks``: the official test helpers, from the instructor notebook;
3. ``definitions``: one cell per student code cell that kept something (``extract``), so a
   cell that fails to define costs only what it defines;
4. ``recording``: ``enable_recording(nonce)``: from here on ``check`` varies its inputs and
   emits results instead of asserting;
5. ``test``: the instructor's visible and hidden test cells, expected values removed.

The reference notebook is built the same way from the instructor's own definitions. Each cell
carries ``metadata.coursetools.role`` (and the index of the cell it comes from), which is how
the pytest plugin tells a test cell's results from anything else a cell might display.
"""
from __future__ import annotations

import inspect
import site
import sysconfig

import nbformat
from nbformat import v4

from coursetools.grading import extract, guard
from coursetools.grading.lab import Lab

META = "coursetools"
# Modules whose import reads caches outside the Python installation (matplotlib's font list):
# imported by the setup cell before the audit hook, when the student's code imports them.
PRELOAD = ("numpy", "matplotlib", "matplotlib.pyplot", "sympy", "ipywidgets", "scipy")


def python_roots() -> list[str]:
    """The folders of the Python installation the kernel may read (stdlib, site-packages)."""
    paths = sysconfig.get_paths()
    roots = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots.update(site.getsitepackages())
    return sorted(roots)


def preload_for(definitions: list[extract.CellCode]) -> list[str]:
    """The PRELOAD modules that the kept code imports, in PRELOAD order (numpy always)."""
    text = "\n".join(cell.source for cell in definitions)
    wanted = ["numpy"]
    for name in PRELOAD[1:]:
        top = name.split(".")[0]
        if f"import {top}" in text or f"from {top}" in text:
            wanted.append(name)
    return wanted


def setup_cell(private_dir: str, memory_bytes: int, cell_seconds: float, preload) -> str:
    """The source of the first cell: the guard, installed, leaving no names behind."""
    call = (f"install({python_roots()!r}, {private_dir!r}, {int(memory_bytes)}, "
            f"{float(cell_seconds)!r}, preload={list(preload)!r})")
    return f"{inspect.getsource(guard)}\n{call}\ndel install, GUARD_PREFIX\n"


def _cell(source: str, role: str, **info):
    cell = v4.new_code_cell(source)
    cell.metadata[META] = {"role": role, **info}
    return cell


def grading_notebook(lab: Lab, definitions: list[extract.CellCode], *, nonce: str,
                     private_dir: str, memory_bytes: int, cell_seconds: float):
    """The notebook that grades one set of definitions (a student's or the instructor's)."""
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    cells = [_cell(setup_cell(private_dir, memory_bytes, cell_seconds, preload_for(definitions)),
                   "setup"),
             _cell(lab.checks_source, "checks")]
    for code in definitions:
        if code.source.strip():
            cells.append(_cell(code.source, "definitions", cell=code.index))
    cells.append(_cell(f"enable_recording({nonce!r})", "recording"))
    for test in lab.test_cells:
        cells.append(_cell(test.source, "test", cell=test.index, hidden=test.hidden,
                           tests=test.tests))
    nb.cells = cells
    return nb


def write(nb, path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(nbformat.writes(nb))
