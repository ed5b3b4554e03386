"""The cells that need PyTorch or Keras: run them where the frameworks are, show their outputs.

The course's own environment (``.venv``) has neither PyTorch (several GB with its CUDA
libraries) nor Keras. A code cell that needs one of them carries two tags:

- ``skip-execution``: the book build (myst-nb, through nbclient) does not execute it and shows
  the outputs stored in the notebook;
- ``nbval-skip``: nbval in ``make test`` does not execute it either.

``make test-frameworks`` sets up a second environment, ``.venv-frameworks``, with PyTorch (CPU)
and Keras on the JAX backend, and runs ``tests/test_frameworks.py``: every cell of each notebook
of ``FRAMEWORK_NOTEBOOKS``, the tagged ones included, is executed in one kernel, so their
asserts (agreement with numpy, loaded weights equal to the saved ones, ...) are checked.
``make framework-outputs`` executes the chapters the same way and stores the outputs of their
tagged cells in the notebook: the one kind of committed output besides nbval's compared cells,
kept by ``coursetools.notebooks.clean``. Outputs of instructor notebooks (``solutions/``) are
never stored: the site shows only the student labs, unexecuted.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

FRAMEWORK_TAG = "skip-execution"
NBVAL_SKIP_TAG = "nbval-skip"
FRAMEWORK_NOTEBOOKS = ("chapters/10_from_scratch_to_frameworks.ipynb", "solutions/lab6_autograd.ipynb")
# nbclient skips the cells tagged ``skip_cells_with_tag``; no cell of the course has this tag.
_RUN_EVERY_CELL = "coursetools-no-cell-has-this-tag"


def needs_frameworks(cell) -> bool:
    """True for a code cell that needs PyTorch or Keras (tagged ``skip-execution``)."""
    return cell.get("cell_type") == "code" and FRAMEWORK_TAG in cell.get("metadata", {}).get("tags", [])


def framework_cells(nb) -> list[int]:
    """The indices of the cells of ``nb`` that need the frameworks."""
    return [index for index, cell in enumerate(nb.cells) if needs_frameworks(cell)]


def tag_problems(nb) -> list[str]:
    """A framework cell must carry both tags: without ``nbval-skip``, ``make test`` would run it
    where the frameworks are missing; without ``skip-execution`` the book build would."""
    found = []
    for index, cell in enumerate(nb.cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type == "code" and len(tags & {FRAMEWORK_TAG, NBVAL_SKIP_TAG}) == 1:
            found.append(f"cell {index} has only one of the tags {FRAMEWORK_TAG!r}, {NBVAL_SKIP_TAG!r}")
    return found


def execute_all(path: Path, timeout: int = 900) -> "nbformat.NotebookNode":
    """Execute every cell of the notebook at ``path``, the tagged ones included, in its folder;
    raise nbclient's ``CellExecutionError`` at the first cell that fails."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", skip_cells_with_tag=_RUN_EVERY_CELL,
                   resources={"metadata": {"path": str(Path(path).resolve().parent)}}).execute()
    return nb


def store_outputs(source, executed) -> list[int]:
    """Copy the outputs of the framework cells of ``executed`` into ``source`` (the same
    notebook, not executed), without execution counts or timing metadata; returns their indices."""
    indices = framework_cells(source)
    assert indices == framework_cells(executed), "not the same notebook"
    for index in indices:
        outputs = []
        for output in executed.cells[index].outputs:
            output = nbformat.from_dict(dict(output))
            if output.get("output_type") == "execute_result":
                output["execution_count"] = None
            outputs.append(output)
        source.cells[index].outputs = outputs
        source.cells[index].execution_count = None
    return indices


def write_outputs(path: Path) -> list[int]:
    """Execute the notebook at ``path`` and store the outputs of its framework cells in it."""
    executed = execute_all(path)
    source = nbformat.read(path, as_version=4)
    indices = store_outputs(source, executed)
    nbformat.write(source, path)
    return indices
