"""Every committed notebook is clean: no outputs, counts or widget state; kernelspec python3."""
import nbformat
import pytest

from coursetools import notebooks
from tests.conftest import ROOT

ALL = notebooks.committed_notebooks(ROOT)


def test_there_are_notebooks():
    assert any(p.parent.name == "chapters" for p in ALL)


@pytest.mark.parametrize("path", ALL, ids=[str(p.relative_to(ROOT)) for p in ALL])
def test_committed_notebook_is_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert notebooks.problems(nb) == [], f"{path.relative_to(ROOT)}: run `make clean-notebooks`"


def _dirty_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "conda-env", "display_name": "x", "language": "python"}
    nb.metadata["widgets"] = {"state": {}}
    cell = nbformat.v4.new_code_cell("1 + 1")
    cell.execution_count = 3
    cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=3)]
    kept = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(2)")
    kept.execution_count = 4
    kept.outputs = [nbformat.v4.new_output("stream", name="stdout", text="2\n")]
    nb.cells = [cell, kept]
    return nb


def test_problems_are_found_and_clean_fixes_them():
    nb = _dirty_notebook()
    found = notebooks.problems(nb)
    assert any("kernelspec" in p for p in found)
    assert any("widget" in p for p in found)
    assert any("cell 0 has stored outputs" in p for p in found)
    assert any("cell 0 has an execution count" in p for p in found)
    assert not any("cell 1" in p for p in found), "a checked-output cell keeps its outputs"
    cleaned = notebooks.clean(nb)
    assert notebooks.problems(cleaned) == []
    assert cleaned.cells[1].outputs, "the output nbval compares must survive cleaning"


def test_clean_files_rewrites_only_dirty_files(tmp_path):
    dirty = tmp_path / "dirty.ipynb"
    nbformat.write(_dirty_notebook(), dirty)
    assert notebooks.clean_files([dirty]) == [dirty]
    assert notebooks.clean_files([dirty]) == [], "a clean notebook is left alone"


def test_a_framework_cell_keeps_its_outputs_but_not_its_count():
    """Cells that need PyTorch or Keras show on the site the outputs `make framework-outputs`
    stored (the build cannot run them): cleaning keeps those outputs and drops the counts."""
    nb = _dirty_notebook()
    framework = nbformat.v4.new_code_cell("import torch\ntorch.zeros(2)")
    framework.metadata["tags"] = ["skip-execution", "nbval-skip"]
    framework.execution_count = 5
    framework.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "tensor([0., 0.])"},
                                                execution_count=5)]
    nb.cells.append(framework)
    assert "cell 2 has an execution count" in notebooks.problems(nb)
    assert not any("cell 2 has stored outputs" in p for p in notebooks.problems(nb))
    cleaned = notebooks.clean(nb)
    assert notebooks.problems(cleaned) == []
    assert cleaned.cells[2].outputs[0]["data"]["text/plain"] == "tensor([0., 0.])"
    assert cleaned.cells[2].execution_count is None and cleaned.cells[2].outputs[0]["execution_count"] is None
    assert cleaned.cells[0].outputs == [], "an untagged cell still loses its outputs"
