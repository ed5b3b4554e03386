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
WIDGET = re.compile(r"\binteract(ive)?\(|\bwidgets\.\w+\(|\bdisplay\(.*(Slider|Dropdown|Output)")


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_markdown_renders_in_colab_too(path):
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            assert not MYST_ONLY.search(cell.source), f"{path.name} cell {index}: MyST-only syntax"


# A relative Markdown link to another page: [descriptive text](file.ipynb) or (../labs/x.ipynb).
PAGE_LINK = re.compile(r"\[([^\]]+)\]\(((?!https?:)[^)\s#]+\.(?:ipynb|md))(?:#[^)]*)?\)")


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_links_to_other_pages_resolve_and_say_where_they_go(path):
    # The site turns relative links into links; in Colab they stay text, so the text must name
    # the page (never "here" or "this chapter").
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for text, target in PAGE_LINK.findall(cell.source):
            assert (path.parent / target).resolve().is_file(), f"{path.name} cell {index}: {target} missing"
            assert text.strip().lower() not in {"here", "this", "link", "this chapter", "this lab"}, \
                f"{path.name} cell {index}: link text {text!r} does not say where it goes"


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


# Every chapter follows the second edition's figure and navigation rules (issues 14 and 15).
REVISED = CHAPTERS
FIGSIZE = re.compile(r"figsize=\(\s*([\d.]+)\s*,")
SUBPLOTS = re.compile(r"subplots\(\s*(\d+)\s*,\s*(\d+)")
FONTSIZE = re.compile(r"fontsize=([\d.]+)")
RC_FONTSIZE = re.compile(r"rcParams\[[\"']font\.size[\"']\]\s*=\s*([\d.]+)")


@pytest.mark.parametrize("path", REVISED, ids=[p.name for p in REVISED])
def test_figures_are_readable_on_a_phone(path):
    # At most 5.5 inches wide at the default dpi, font size 10 pt (the default) or larger, at most two
    # panels side by side: labels stay at least 9 px tall on a 390 px screen.
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"{path.name} cell {index}"
        for width in FIGSIZE.findall(cell.source):
            assert float(width) <= 5.5, f"{where}: figure {width} inches wide (at most 5.5)"
        for rows, cols in SUBPLOTS.findall(cell.source):
            assert int(cols) <= 2, f"{where}: {cols} panels side by side (at most 2: use more rows)"
        for size in FONTSIZE.findall(cell.source):
            assert float(size) >= 10, f"{where}: font size {size} below the default 10 pt"
        assert not re.search(r"rcParams\[[\"']figure\.dpi", cell.source), f"{where}: keep the default dpi"
        for size in RC_FONTSIZE.findall(cell.source):
            assert float(size) >= 10, f"{where}: rcParams font size {size} below the default 10 pt"
        assert "dimensionless" not in cell.source, f"{where}: no '(dimensionless)' on an axis"


@pytest.mark.parametrize("path", REVISED, ids=[p.name for p in REVISED])
def test_ends_with_where_to_go_next(path):
    nb = nbformat.read(path, as_version=4)
    last = nb.cells[-1]
    assert last.cell_type == "markdown" and last.source.startswith("## Where to go next"), \
        f"{path.name}: the last cell is not a 'Where to go next' section"
    links = [target for _, target in PAGE_LINK.findall(last.source)]
    assert links, f"{path.name}: 'Where to go next' links no page"


def test_no_words_only_the_authors_understand():
    for path in REVISED:
        text = path.read_text(encoding="utf-8").lower()
        for phrase in ("original lecture", "lecture code", "the seed", "the slides"):
            assert phrase not in text, f"{path.name}: '{phrase}' means nothing to a reader"


def _code(path):
    return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")


@pytest.mark.parametrize("path", [p for p in CHAPTERS if p.name[0].isdigit() or p.name == "notation.ipynb"],
                         ids=lambda p: p.name)
def test_chapter_ends_with_where_to_go_next(path):
    nb = nbformat.read(path, as_version=4)
    last = [c for c in nb.cells if c.cell_type == "markdown"][-1].source
    assert last.startswith("## Where to go next"), f"{path.name}: the last section is not 'Where to go next'"
    targets = [target for _, target in LINK.findall(last)]
    assert any(t.endswith(".ipynb") and not t.startswith("../") for t in targets), \
        f"{path.name}: 'Where to go next' links no chapter"
    if path.name[0].isdigit() and path.name[:2] <= "05":
        assert any(t.startswith("../labs/") for t in targets), f"{path.name}: 'Where to go next' links no lab"


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_one_relative_error(path):
    """Gradient checks use the course's relative error: norms over all entries, divided by the
    larger norm (never by a sum of norms or entry by entry)."""
    for match in re.finditer(r"def (rel\w*)\(.*?(?=\ndef |\n\S|\Z)", _code(path), re.DOTALL):
        body = match.group(0)
        assert "np.linalg.norm" in body and "max(" in body and "1e-12" in body, \
            f"{path.name}: {match.group(1)} is not the course's relative error"


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_every_widget_has_a_static_version_right_after_it(path):
    """Widgets render nothing on the offline site: the next code cell shows the same story without
    a kernel (a figure, or an animation embedded in the page) and is not hidden there."""
    code = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    for index, cell in enumerate(code):
        if not WIDGET.search(cell.source):
            continue
        assert index + 1 < len(code), f"{path.name}: a widget ends the notebook"
        static = code[index + 1]
        assert not WIDGET.search(static.source) and "remove-output" not in static.metadata.get("tags", []), \
            f"{path.name} code cell {index + 1}: not a static version of the widget before it"
        assert re.search(r"\bplt\.|\bdisplay\(", static.source), \
            f"{path.name} code cell {index + 1}: the static version draws nothing"
