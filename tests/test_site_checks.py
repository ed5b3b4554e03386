"""The site checks find what they claim to find, on small hand-made sites."""
from pathlib import Path

from coursetools import site_checks as site

CONFIG = "repository:\n  url: https://github.com/someone/course\n  branch: main\n"
TOC = "format: jb-book\nroot: intro\nparts:\n  - caption: C\n    chapters:\n      - file: chapters/a\n      - file: chapters/b\n"


def make_book(tmp_path: Path, page_a: str, page_b: str = "<p>b</p>") -> tuple[Path, Path]:
    root = tmp_path / "book"
    (root / "chapters").mkdir(parents=True)
    (root / "_config.yml").write_text(CONFIG)
    (root / "_toc.yml").write_text(TOC)
    (root / "intro.md").write_text("# Intro\n")
    (root / "chapters" / "a.ipynb").write_text('{"cells": [{"cell_type": "markdown", "source": "$x^2$"},'
                                               ' {"cell_type": "code", "source": "print(\'$5 and $6\')"}]}')
    (root / "chapters" / "b.md").write_text("# B\n")
    html = root / "_build" / "html"
    (html / "chapters").mkdir(parents=True)
    (html / "intro.html").write_text("<p>intro</p>")
    (html / "chapters" / "a.html").write_text(page_a)
    (html / "chapters" / "b.html").write_text(page_b)
    return root, html


GOOD_A = ('<span class="math">x^2</span><a href="b.html">b</a>'
          '<a href="https://colab.research.google.com/github/someone/course/blob/main/chapters/a.ipynb">colab</a>')


def test_a_good_site_passes(tmp_path):
    root, html = make_book(tmp_path, GOOD_A)
    assert site.toc_files(root / "_toc.yml") == ["intro", "chapters/a", "chapters/b"]
    assert site.missing_pages(root, html) == []
    assert site.broken_local_references(html) == []
    assert site.pages_without_math(root, html) == []
    assert site.bad_colab_links(root, html) == []
    assert site.solution_leaks(html, ["w1 -= learning_rate"]) == []


def test_missing_page_is_found(tmp_path):
    root, html = make_book(tmp_path, GOOD_A)
    (html / "chapters" / "b.html").unlink()
    assert site.missing_pages(root, html) == ["chapters/b: listed in _toc.yml but chapters/b.html was not built"]


def test_broken_link_and_image_are_found(tmp_path):
    root, html = make_book(tmp_path, GOOD_A + '<a href="gone.html#x">x</a><img src="../_images/none.png">')
    problems = site.broken_local_references(html)
    assert len(problems) == 2 and "gone.html" in problems[0] and "none.png" in problems[1]


def test_math_left_as_dollars_is_found(tmp_path):
    root, html = make_book(tmp_path, GOOD_A.replace('class="math"', 'class="text"'))
    assert site.pages_without_math(root, html) == ["chapters/a: source has $…$ math but the page has no math markup"]


def test_dollars_in_code_are_not_math(tmp_path):
    root, html = make_book(tmp_path, GOOD_A, page_b="<p>b</p>")
    (root / "chapters" / "b.md").write_text("# B\n\nRun `echo $HOME and $PATH`.\n\n```bash\necho $A $B\n```\n")
    assert site.pages_without_math(root, html) == []
    (root / "chapters" / "b.md").write_text("# B\n\nThe rate $\\eta$.\n")
    assert site.pages_without_math(root, html) == ["chapters/b: source has $…$ math but the page has no math markup"]


def test_wrong_or_missing_colab_links_are_found(tmp_path):
    root, html = make_book(tmp_path, GOOD_A.replace("chapters/a.ipynb", "solutions/a.ipynb"),
                           page_b='<a href="https://colab.research.google.com/github/someone/course/blob/main/chapters/b.md">c</a>')
    problems = site.bad_colab_links(root, html)
    assert any("is not https://colab.research.google.com/github/someone/course/blob/main/chapters/a.ipynb" in p for p in problems)
    assert any("solutions/a.ipynb, which is not a file" in p for p in problems)
    assert any("Markdown page links to Colab" in p for p in problems)
    root2, html2 = make_book(tmp_path / "2", "<p>no links</p>")
    assert site.bad_colab_links(root2, html2) == ["chapters/a: notebook page has no 'open in Colab' link"]


def test_solution_text_and_files_are_found(tmp_path):
    root, html = make_book(tmp_path, GOOD_A + "<pre>w1 -= learning_rate * grad_w1</pre>")
    (html / "_sources" / "solutions").mkdir(parents=True)
    (html / "_sources" / "solutions" / "lab.ipynb").write_text("{}")
    problems = site.solution_leaks(html, ["w1 -= learning_rate * grad_w1"])
    assert any("a file built from solutions/" in p for p in problems)
    assert any("instructor-only line" in p for p in problems)


def test_instructor_only_lines_leave_out_public_lines(tmp_path):
    import nbformat

    for folder, source in (("solutions", "y1 = x @ w1\ngrad_w1 = x.T @ grad_y1\nassert secret_hidden_value == 3"),
                           ("labs", "y1 = x @ w1\nraise NotImplementedError()"),
                           ("chapters", "grad_w1 = x.T @ grad_y1")):
        (tmp_path / folder).mkdir()
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        nbformat.write(nb, tmp_path / folder / "lab.ipynb")
    lines = site.instructor_only_lines(tmp_path)
    assert "assert secret_hidden_value == 3" in lines
    assert "y1 = x @ w1" not in lines and "grad_w1 = x.T @ grad_y1" not in lines


def test_lines_shown_on_a_markdown_page_are_public(tmp_path):
    import nbformat

    (tmp_path / "solutions").mkdir()
    (tmp_path / "chapters").mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("y2_pred = y1_relu @ w2\nsecret_line_here = 42")])
    nbformat.write(nb, tmp_path / "solutions" / "lab.ipynb")
    (tmp_path / "chapters" / "notation.md").write_text("| `y2_pred = y1_relu @ w2` | output |")
    lines = site.instructor_only_lines(tmp_path)
    assert "secret_line_here = 42" in lines and "y2_pred = y1_relu @ w2" not in lines


def test_smallest_font_of_a_figure_cell():
    assert site.inline_backend_font_pt() == 10.0  # matplotlib's default: the inline backend keeps it
    assert site.smallest_font_pt("plt.plot(x, y)") == 10.0
    assert site.smallest_font_pt('ax.legend(fontsize=8)\nax.set_title("t", fontsize=14)') == 8.0
    assert site.smallest_font_pt("ax.tick_params(labelsize='small')") == 10.0 * 0.833
    assert site.smallest_font_pt("rng.normal(size=3)") == 10.0  # an array size is not a font size
    page = 'plt.rcParams["font.size"] = 12\n...\nax.plot(x)'
    assert site.smallest_font_pt("ax.plot(x)", page) == 12.0
    assert site.smallest_font_pt("ax.legend(fontsize='x-small')", page) == 12.0 * 0.694


def test_png_dpi_is_what_matplotlib_saved(tmp_path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1])
    for dpi in (80, 100):
        fig.savefig(tmp_path / f"f{dpi}.png", dpi=dpi)
        assert round(site.png_dpi(tmp_path / f"f{dpi}.png")) == dpi


def test_label_height_on_screen():
    # 10 pt at 100 dpi is 13.9 px in the PNG; a 5.5-inch figure squeezed onto a phone's 358 px
    assert round(site.label_px(10, 100, 550, 550), 1) == 13.9
    assert round(site.label_px(10, 100, 550, 358), 1) == 9.0
    assert site.label_px(8, 80, 952, 358) < site.MIN_LABEL_PX
