"""The cells that need PyTorch or Keras (`coursetools.frameworks`).

The first tests run everywhere (`make test-fast`): the tags are consistent and the chapter
shows an output for every framework cell. The tests marked ``frameworks`` execute those cells
and run only in `make test-frameworks`, in the environment that has PyTorch and Keras.
"""
import os

import nbformat
import pytest

from coursetools import frameworks
from tests.conftest import ROOT

NOTEBOOKS = [ROOT / path for path in frameworks.FRAMEWORK_NOTEBOOKS]
IDS = [str(path.relative_to(ROOT)) for path in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_framework_cells_are_tagged_for_both_tools(path):
    nb = nbformat.read(path, as_version=4)
    assert frameworks.framework_cells(nb), f"{path.name} has no framework cell"
    assert frameworks.tag_problems(nb) == []


def test_only_the_listed_notebooks_have_framework_cells():
    """`make test-frameworks` executes FRAMEWORK_NOTEBOOKS; a framework cell elsewhere would run
    nowhere."""
    for path in sorted(ROOT.glob("chapters/*.ipynb")) + sorted(ROOT.glob("solutions/*.ipynb")):
        if path not in NOTEBOOKS:
            assert not frameworks.framework_cells(nbformat.read(path, as_version=4)), path.name


def test_the_chapter_shows_an_output_for_every_framework_cell():
    """The site cannot run these cells: it shows what `make framework-outputs` stored."""
    for path in NOTEBOOKS:
        if path.parent.name != "chapters":
            continue
        nb = nbformat.read(path, as_version=4)
        empty = [i for i in frameworks.framework_cells(nb) if not nb.cells[i].get("outputs")]
        assert empty == [], f"{path.name} cells {empty}: run `make framework-outputs`"
        errors = [i for i in frameworks.framework_cells(nb)
                  if any(o.get("output_type") == "error" for o in nb.cells[i].outputs)]
        assert errors == []


def test_tag_problems_finds_a_cell_with_one_tag_only():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import torch")]
    nb.cells[0].metadata["tags"] = ["skip-execution"]
    assert frameworks.tag_problems(nb) == [
        "cell 0 has only one of the tags 'skip-execution', 'nbval-skip'"]


def test_store_outputs_copies_framework_outputs_only():
    source = nbformat.v4.new_notebook()
    source.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("import torch")]
    source.cells[1].metadata["tags"] = ["skip-execution", "nbval-skip"]
    executed = nbformat.reads(nbformat.writes(source), as_version=4)
    executed.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="plain\n")]
    executed.cells[1].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "7"},
                                                        execution_count=2)]
    executed.cells[1].execution_count = 2
    assert frameworks.store_outputs(source, executed) == [1]
    assert source.cells[0].outputs == []
    assert source.cells[1].outputs[0]["data"]["text/plain"] == "7"
    assert source.cells[1].execution_count is None and source.cells[1].outputs[0]["execution_count"] is None


@pytest.mark.frameworks
@pytest.mark.kernel
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_cell_runs_with_the_frameworks(path):
    """Every cell, the framework cells included, runs without an error, so their asserts hold
    (PyTorch and Keras agree with numpy, checkpoints load what was saved, ...)."""
    import keras
    import torch

    assert os.environ.get("KERAS_BACKEND") == "jax" == keras.backend.backend()
    executed = frameworks.execute_all(path)
    ran = [i for i in frameworks.framework_cells(executed) if executed.cells[i].outputs]
    assert ran == frameworks.framework_cells(executed), "every framework cell prints what it checked"
    assert torch.__version__.startswith("2.")
