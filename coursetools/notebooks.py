"""Committed notebooks are sources, not results: this module keeps them clean.

A notebook in the repository carries no outputs, execution counts or widget state, and its
kernelspec is ``python3``. Outputs belong to the build (the site executes every chapter) and to
nbval (which executes every notebook in CI); committed outputs would go stale without anyone
noticing, and widget state bloats diffs. Two exceptions keep their outputs: a code cell whose
stored output nbval compares (the ``nbval-check-output`` tag or the ``# NBVAL_CHECK_OUTPUT``
marker), and a cell that needs PyTorch or Keras (the ``skip-execution`` tag, see
``coursetools.frameworks``): the site shows the outputs ``make framework-outputs`` stored, since
the build cannot run it. Those keep no execution count.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from coursetools.frameworks import needs_frameworks

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
CHECK_OUTPUT_TAG = "nbval-check-output"
CHECK_OUTPUT_MARKER = "# NBVAL_CHECK_OUTPUT"
NOTEBOOK_DIRS = ("chapters", "labs", "solutions")


def keeps_outputs(cell) -> bool:
    """True for a code cell whose stored output nbval compares (and so must stay committed)."""
    tags = cell.get("metadata", {}).get("tags", [])
    return CHECK_OUTPUT_TAG in tags or cell.get("source", "").lstrip().startswith(CHECK_OUTPUT_MARKER)


def clean(nb) -> "nbformat.NotebookNode":
    """Strip what execution leaves behind; returns the same notebook object, cleaned."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.setdefault("language_info", {"name": "python"})
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
        if cell.cell_type != "code":
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
            continue
        if needs_frameworks(cell):
            cell.execution_count = None
            for output in cell.get("outputs", []):
                if output.get("output_type") == "execute_result":
                    output["execution_count"] = None
        elif not keeps_outputs(cell):
            cell.outputs = []
            cell.execution_count = None
    return nb


def problems(nb) -> list[str]:
    """What makes a notebook unfit to commit; an empty list means it is clean."""
    found = []
    kernelspec = nb.metadata.get("kernelspec", {})
    if kernelspec.get("name") != "python3":
        found.append(f"kernelspec is {kernelspec.get('name')!r}, not 'python3'")
    if "widgets" in nb.metadata:
        found.append("notebook metadata stores widget state")
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or keeps_outputs(cell):
            continue
        if needs_frameworks(cell):
            if cell.get("execution_count") is not None:
                found.append(f"cell {index} has an execution count")
            continue
        if cell.get("outputs"):
            found.append(f"cell {index} has stored outputs")
        if cell.get("execution_count") is not None:
            found.append(f"cell {index} has an execution count")
    return found


def notebooks_under(folder: Path) -> list[Path]:
    """The notebooks in a folder and its subfolders (Jupyter's checkpoints left out), sorted."""
    return sorted(p for p in Path(folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def committed_notebooks(root: Path) -> list[Path]:
    """Every notebook of the course (chapters, labs, solutions), sorted."""
    return sorted(p for d in NOTEBOOK_DIRS for p in notebooks_under(Path(root) / d))


def clean_files(paths: list[Path]) -> list[Path]:
    """Clean notebooks in place; returns those that changed."""
    changed = []
    for path in paths:
        before = path.read_text(encoding="utf-8")
        nb = clean(nbformat.reads(before, as_version=4))
        after = nbformat.writes(nb) + "\n"
        if after != before:
            path.write_text(after, encoding="utf-8")
            changed.append(path)
    return changed
