"""coursetools.grading.render.escape: text from students, made safe for the format it goes into.

Each format's function is tried with hostile texts, and then every writer of a results folder
with a class whose file names, names, code cells and kernel outputs are hostile: the Markdown
pages are rendered as a Markdown viewer does (markdown-it, GitHub's flavour with raw HTML on),
the HTML pages parsed, and nothing may be a tag, an attribute or a link the grader did not write.
"""
from __future__ import annotations

import csv
import html.parser
import io
import re
import zipfile

import nbformat
import pytest
from markdown_it import MarkdownIt

from coursetools.grading import pipeline
from coursetools.grading.intake import collect
from coursetools.grading.lab import instructor
from coursetools.grading.records import Status, TestResult
from coursetools.grading.render.escape import (html_text, markdown_block, markdown_code,
                                               markdown_text, safe_cell, terminal_text)
from coursetools.grading.results import store as storemod
from tests import grading_submissions as subs
from tests.conftest import ROOT

IMG = "<img src=x onerror=alert(1)>"
HOSTILE = [IMG, "<script>alert(1)</script>", "``<img src=x onerror=alert(1)>``",
           "[click](javascript:alert(1))", "![x](http://evil.example/x.png)", "a | b | c",
           "# heading", "- item", "1. item", "> quote", "**bold** _em_ ~~gone~~", "$x^2$",
           "&lt;img&gt;", "line\n\n<img src=x onerror=alert(1)>", "```\n<b>x</b>\n```",
           "<http://evil.example>", "x\\<img src=x onerror=alert(1)>"]
# What the grader's own pages may contain (markdown-it's rendering of feedback.markdown)
ALLOWED = {"h1", "h2", "h3", "p", "ul", "li", "code", "strong", "pre", "table", "thead",
           "tbody", "tr", "th", "td"}


class Tags(html.parser.HTMLParser):
    """Every start tag and its attributes."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def tags(page: str) -> list[tuple[str, list]]:
    parser = Tags()
    parser.feed(page)
    return parser.tags


def viewer(markdown: str, autolinks: bool = False) -> str:
    """HTML as a Markdown viewer makes it (GitHub's flavour: tables, raw HTML on; ``autolinks``:
    bare web addresses become links, as on GitHub)."""
    return MarkdownIt("gfm-like").enable("linkify" if autolinks else []).disable(
        [] if autolinks else "linkify").render(markdown)


def live(found: list[tuple[str, list]]) -> list[tuple[str, list]]:
    """The tags of a rendered feedback page that the grader's own Markdown does not make (a web
    address shown as a link by an autolinking viewer is not live code, and stays a web address)."""
    return [(t, a) for t, a in found
            if not (t in ALLOWED and (a == [] or a == [("class", "language-text")]))
            and not (t == "a" and len(a) == 1 and a[0][0] == "href"
                     and a[0][1].startswith(("http://", "https://")))]


def test_formula_like_cells_are_neutralised():
    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("-1+2") == "'-1+2" and safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("  =1+1") == "'  =1+1"
    assert safe_cell("alice") == "alice" and safe_cell(12) == "12"


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_text_renders_as_the_same_plain_text(text):
    rendered = viewer(markdown_text(text))
    assert tags(rendered) == [("p", [])]
    assert html.unescape(rendered[3:-5]) == re.sub(r"\n+", " ", text)   # new lines: a space


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("in_table", [False, True])
def test_markdown_code_span_shows_the_text_literally(text, in_table):
    if in_table:
        rendered = viewer(f"| a |\n|---|\n| {markdown_code(text, in_table=True)} |")
        assert [t for t, _ in tags(rendered)] == ["table", "thead", "tr", "th", "tbody", "tr",
                                                  "td", "code"]
    else:
        rendered = viewer(markdown_code(text))
        assert [t for t, _ in tags(rendered)] == ["p", "code"]
    code = rendered.split("<code>", 1)[1].split("</code>", 1)[0]
    assert html.unescape(code) == re.sub(r"\n+", " ", text)


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_block_keeps_every_line(text):
    rendered = viewer(markdown_block(text) + "\n\nafter")
    assert [t for t, _ in tags(rendered)] == ["pre", "code", "p"]
    code = rendered.split(">", 2)[2].split("</code>", 1)[0]
    assert html.unescape(code) == text.rstrip() + "\n"


def test_html_text_is_never_markup():
    assert html_text(IMG) == "&lt;img src=x onerror=alert(1)&gt;"
    assert html_text("a' onmouseover='x") == "a&#x27; onmouseover=&#x27;x"


def test_the_old_markdown_breakouts_are_closed():
    """The issue's attacks on feedback/*.md: a cell's first line with backticks, a file name with
    HTML."""
    assert "<img" not in viewer(markdown_text(f"cell 1 (starting with `x = 1 ` {IMG} `)"))
    assert "<img" not in viewer(f"- Graded file: {markdown_text(IMG + '.ipynb')}")


# ------------------------------------------------------------------ every writer
LAB = instructor.load(ROOT / "solutions" / "lab1_scalar.ipynb", "lab1_scalar")


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    """A Canvas download whose names and cells are hostile, collected and prepared as the
    grader does (no kernel: the cells fail before anything would run), rendered into OUT."""
    folder = tmp_path_factory.mktemp("hostile")
    notebook = subs.submission(solved=())
    notebook.cells.append(nbformat.v4.new_code_cell(f"x = `1` {IMG} ``` [a](javascript:b)"))
    download = folder / "download.zip"
    with zipfile.ZipFile(download, "w") as archive:
        archive.writestr(f"{IMG}_12345_777_{IMG}.ipynb", nbformat.writes(notebook))
        archive.writestr(f"evil_23456_778_{IMG}.py", b"print(1)")
        archive.writestr("=SUM(1+1)*cmd|'x'!A0_34567_779_x.ipynb", b"")
    found = collect.collect(download).submissions
    for sub in found:
        if sub.raw is not None:
            pipeline.prepare(sub, LAB, {})
            sub.raw = None
    results = storemod.Store(lab=LAB.lab_id, tests=[storemod.TestInfo("forward_one_sample", 2,
                                                                      False)])
    for sub in found:
        sub.name = f"{IMG} | # x\n- y" if sub.student != "34567" else sub.name
        sub.tests = [TestResult("forward_one_sample", 2, 0, False, ["values"],
                                details=[f"forward(x=...) printed:\n```\n{IMG}\n```\n"
                                         f"<script>alert(1)</script>"])]
    found[0].flag(Status.NOT_ON_ROSTER, f"({IMG})")
    results.update(found, 1)
    results.assignment = "Lab 1: scalar (4521)"        # the column: without a roster, given
    out = folder / "out"
    pipeline.render(out, results)
    return out, found


def test_the_hostile_class_reaches_every_writer(hostile_class):
    out, found = hostile_class
    assert {s.student for s in found} == {"12345", "23456", "34567"}
    texts = "".join(s.status_text + " ".join(s.notes) for s in found)
    assert IMG in texts and "x = `1`" in texts            # the attack texts are really there
    assert (out / "canvas.csv").is_file() and (out / "feedback-canvas.zip").is_file()


def test_markdown_feedback_has_no_live_html(hostile_class):
    out, _ = hostile_class
    pages = sorted((out / "feedback").glob("*.md"))
    assert len(pages) == 3
    for page in pages:
        rendered = viewer(page.read_text(encoding="utf-8"), autolinks=True)
        assert live(tags(rendered)) == [], page.name
        assert "&lt;img src=x onerror=alert(1)&gt;" in rendered       # shown, as text


def test_html_feedback_report_and_feedback_zip_have_no_live_html(hostile_class):
    out, _ = hostile_class
    pages = [p.read_text(encoding="utf-8") for p in (out / "feedback").glob("*.html")]
    pages.append((out / "report.html").read_text(encoding="utf-8"))
    archive = zipfile.ZipFile(out / "feedback-canvas.zip")
    pages += [archive.read(name).decode() for name in archive.namelist()]
    assert len(pages) >= 5
    for page in pages:
        for tag, attrs in tags(page):
            assert tag not in ("img", "script", "a", "iframe"), tag
            assert not any(name.startswith("on") for name, _ in attrs), (tag, attrs)


def test_csv_files_hold_no_formula(hostile_class):
    out, _ = hostile_class
    for name in ("grades.csv", "canvas.csv"):
        rows = list(csv.reader(io.StringIO((out / name).read_text(encoding="utf-8"))))
        cells = [cell for row in rows[1:] for cell in row]
        assert not [c for c in cells if c.lstrip(" ").startswith(("=", "+", "@", "\t", "\r"))]
        assert any(c.startswith("'=SUM") for c in cells)


def test_terminal_text_shows_control_characters_instead_of_running_them():
    assert terminal_text("bob\x1b]0;pwned\x07: ok") == "bob\\x1b]0;pwned\\x07: ok"
    assert terminal_text("Müller, Eve\tx") == "Müller, Eve\\tx"
