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
# A Markdown link [text](target); images ![..](..) are not links.
LINK = re.compile(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)\)")
# Chapters revised in parallel on another branch: the checks of the second edition skip them until
# that branch is merged (then empty this set).
REVISED_ELSEWHERE = {"01_learning_as_minimisation.ipynb", "02_computational_graphs.ipynb",
                     "05_initialisation_variance.ipynb", "06_training_in_practice.ipynb",
                     "07_from_scratch_to_frameworks.ipynb"}
WIDGET = re.compile(r"\binteract(ive)?\(|\bwidgets\.\w+\(|\bdisplay\(.*(Slider|Dropdown|Output)")


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_markdown_renders_in_colab_too(path):
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            assert not MYST_ONLY.search(cell.source), f"{path.name} cell {index}: MyST-only syntax"


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


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_links_to_other_pages_are_relative_descriptive_and_exist(path):
    """A link to another page of the course is a relative link to its .ipynb/.md source: the site
    turns it into a link, and in Colab its text still says where to go."""
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for text, target in LINK.findall(cell.source):
            if re.match(r"[a-z]+:|#", target):
                continue
            where = f"{path.name} cell {index}: link [{text}]({target})"
            assert target.endswith((".ipynb", ".md")), f"{where} must name the .ipynb or .md source"
            assert (path.parent / target).resolve().is_file(), f"{where} points at no file"
            assert text.lower() not in {"here", "this", "link", "this page", "this chapter"}, \
                f"{where}: the link text must say where it goes"


def _code(path):
    return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")


def _second_edition(path):
    if path.name in REVISED_ELSEWHERE:
        pytest.skip("revised on another branch")


@pytest.mark.parametrize("path", [p for p in CHAPTERS if p.name[0].isdigit() or p.name == "notation.ipynb"],
                         ids=lambda p: p.name)
def test_chapter_ends_with_where_to_go_next(path):
    _second_edition(path)
    nb = nbformat.read(path, as_version=4)
    last = [c for c in nb.cells if c.cell_type == "markdown"][-1].source
    assert last.startswith("## Where to go next"), f"{path.name}: the last section is not 'Where to go next'"
    targets = [target for _, target in LINK.findall(last)]
    assert any(t.endswith(".ipynb") and not t.startswith("../") for t in targets), \
        f"{path.name}: 'Where to go next' links no chapter"
    if path.name[0].isdigit() and path.name[:2] <= "05":
        assert any(t.startswith("../labs/") for t in targets), f"{path.name}: 'Where to go next' links no lab"


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_figures_fit_a_phone_and_have_no_noise_labels(path):
    _second_edition(path)
    code = _code(path)
    for width in re.findall(r"figsize=\(\s*([\d.]+)", code):
        assert float(width) <= 5.5, f"{path.name}: a figure {width} inches wide (at most 5.5)"
    assert "dimensionless" not in code, f"{path.name}: '(dimensionless)' in a label"


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_one_relative_error(path):
    """Gradient checks use the course's relative error: norms over all entries, divided by the
    larger norm (never by a sum of norms or entry by entry)."""
    _second_edition(path)
    for match in re.finditer(r"def (rel\w*)\(.*?(?=\ndef |\n\S|\Z)", _code(path), re.DOTALL):
        body = match.group(0)
        assert "np.linalg.norm" in body and "max(" in body and "1e-12" in body, \
            f"{path.name}: {match.group(1)} is not the course's relative error"
