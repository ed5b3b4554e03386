"""Chapter notebooks keep the course's promises: readable in Colab, interactive only with a kernel."""
import re

import nbformat
import pytest

from tests.conftest import ROOT

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
IDS = [p.name for p in CHAPTERS]
# MyST syntax renders as raw text in Colab: directives, roles, targets, substitutions.
MYST_ONLY = re.compile(r"^```\{|^:::\{|\{(ref|numref|doc|eq|math|exercise|solution|dropdown|figure)\}`|^\([\w-]+\)=\s*$|\{\{",
                       re.MULTILINE)
WIDGET = re.compile(r"\binteract(ive)?\(|\bwidgets\.\w+\(|\bdisplay\(.*(Slider|Dropdown|Output)")


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_markdown_renders_in_colab_too(path):
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            assert not MYST_ONLY.search(cell.source), f"{path.name} cell {index}: MyST-only syntax"
            assert "](../" not in cell.source and ".ipynb)" not in cell.source, \
                f"{path.name} cell {index}: relative links break in Colab"


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_one_title_and_learning_objectives(path):
    nb = nbformat.read(path, as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    titles = re.findall(r"^# ", markdown, re.MULTILINE)
    assert len(titles) == 1, f"{path.name}: {len(titles)} top-level titles"
    assert re.search(r"learning objectives", markdown, re.IGNORECASE), f"{path.name}: no learning objectives"
    assert "<details>" in markdown, f"{path.name}: no exercise with a hidden solution"


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_widget_cells_are_hidden_on_the_site(path):
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and WIDGET.search(cell.source):
            assert "remove-output" in cell.metadata.get("tags", []), \
                f"{path.name} cell {index}: a widget needs a kernel; tag it remove-output and show a static figure"


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_self_contained_for_colab(path):
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not re.search(r"^\s*(from|import)\s+coursetools", code, re.MULTILINE), f"{path.name}: local import"
    assert not re.search(r"%run|open\(['\"]\.\.?/|%matplotlib widget", code), f"{path.name}: needs repository files"
