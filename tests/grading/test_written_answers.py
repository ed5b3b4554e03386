"""Written answers graded by hand, end to end: a small Canvas class of lab 1 with one written
answer is graded with real kernels (each in its sandbox), the instructor fills manual.csv as
from the question page, and ``coursetools render`` carries the points into grades.csv, the
feedback, the report and canvas.csv; a regrade keeps them; hostile answer text stays text."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
import zipfile

import nbformat
import pytest
from nbformat import v4

from coursetools import markers
from coursetools.grading.records import Submission
from coursetools.grading.render import answer_pages
from coursetools.grading.results import manual, store as storemod
from tests import grading_submissions as subs
from tests.conftest import ROOT

pytestmark = pytest.mark.kernel

QUESTION = "### Written answer: why start from random weights?\n\nExplain in two sentences."
MODEL = "Identical units get identical deltas and stay identical: the symmetry never breaks."
ANSWER = (f"<!-- answer: why_random points=3 -->\n{MODEL}\n<!-- rubric\n"
          "- 3: identical deltas and updates, symmetry kept forever\n- 1: says symmetry only\n"
          "- 0: nothing\n-->")
HOSTILE = ("Symmetry! <script>document.title='pwned'</script> <img src=x onerror=alert(1)> "
           "' onmouseover='alert(2)\n=HYPERLINK(\"http://evil\")")
STUDENTS = {   # Canvas user id -> (file name prefix, the answer cell's text or None: no cell)
    "1001": ("alicesmith", "<!-- answer: why_random points=3 -->\n" + HOSTILE),
    "1002": ("bobjones", "<!-- answer: why_random points=3 -->\n" + markers.ANSWER_PLACEHOLDER),
    "1003": ("carolwu", None),
    "1004": ("danbrown", "<!-- answer: why_random points=1 -->\nThe units stay the same."),
}


def instructor(folder):
    nb = nbformat.read(ROOT / "solutions" / "lab1_scalar.ipynb", as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Summary")) \
        if any(c.source.startswith("## Summary") for c in nb.cells) else len(nb.cells) - 1
    nb.cells[at:at] = [v4.new_markdown_cell(QUESTION), v4.new_markdown_cell(ANSWER)]
    path = folder / "lab1_scalar.ipynb"
    nbformat.write(nb, path)
    return path


def handed_in(text):
    nb = subs.submission()
    at = len(nb.cells) - 1
    cells = [v4.new_markdown_cell(QUESTION)]
    cells += [v4.new_markdown_cell(text)] if text is not None else [
        v4.new_markdown_cell("My answer: the units stay identical.")]   # marker line deleted
    nb.cells[at:at] = cells
    return nbformat.writes(nb)


def coursetools(*args):
    return subprocess.run([sys.executable, "-m", "coursetools", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=1500)


def rows(out):
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("answers")
    folder, out = base / "submissions", base / "out"
    folder.mkdir()
    for user, (name, text) in STUDENTS.items():
        (folder / f"{name}_{user}_{int(user) + 4000}_lab1_scalar.ipynb").write_text(handed_in(text))
    run = coursetools("grade", "--lab", "lab1_scalar", "--instructor", instructor(base),
                      "--submissions", folder, "--out", out, "--jobs", 2, "--seed", "tests",
                      "--assignment", "Lab 1 (4521)", "--quiet")
    assert run.returncode == 0, run.stdout + run.stderr
    return {"base": base, "folder": folder, "out": out, "before": rows(out)}


def test_grading_lists_the_answers_to_grade_and_counts_no_answer_as_0(graded):
    before, out = graded["before"], graded["out"]
    full = float(before["1002"]["points"])
    assert float(before["1002"]["max_points"]) == full + 3    # the tests, and the answer's 3
    assert before["1001"]["status"] == "answers to grade" and before["1001"]["why_random"] == ""
    assert before["1004"]["status"] == "answers to grade"
    assert before["1002"]["status"] == "ok" and before["1003"]["status"] == "ok"
    feedback = (out / "feedback" / "1003.md").read_text()
    assert "answer cell not found" in feedback and "was deleted or changed" in feedback
    assert "| why_random | 0 / 3 | no answer |" in (out / "feedback" / "1002.md").read_text()
    # (the Markdown feedback escapes its text: "\\-" shows as "-", "2\\.5" as "2.5")
    assert "| why_random | \\- / 3 | not graded yet |" in (out / "feedback" / "1001.md").read_text()
    template = list(csv.reader(io.StringIO((out / "answers" / "why_random.csv").read_text())))
    assert template == [["student", "answer", "points", "comment"], ["1001", "why_random", "", ""],
                        ["1004", "why_random", "", ""]]


def test_the_question_page_shows_everything_and_escapes_the_students_text(graded):
    page = (graded["out"] / "answers" / "why_random.html").read_text()
    assert "why start from random weights?" in page and MODEL in page
    assert "identical deltas and updates, symmetry kept forever" in page
    assert "<script>document" not in page and "<img" not in page and "onmouseover='" not in page
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in page
    assert page.count("<script>") == 1 and "http" not in page.split("<script>")[1].split("</script>")[0]
    assert page.count("class='points'") == 2 and "onclick='exportPoints()'" in page
    assert "<code>1003</code>" in page     # no answer cell found: named for a look by hand


def test_the_instructors_points_reach_grades_feedback_report_and_canvas(graded):
    out = graded["out"]
    (out / "manual.csv").write_text(
        "student,answer,points,comment\n"
        "1001,why_random,2.5,\"Right idea; say why the deltas are equal\"\n"
        "danbrown,why_random,1,symmetry only\n", encoding="utf-8")
    run = coursetools("render", "--out", out)
    assert run.returncode == 0, run.stderr
    after, before = rows(out), graded["before"]
    assert float(after["1001"]["points"]) == float(before["1001"]["points"]) + 2.5
    assert after["1001"]["why_random"] == "2.5" and after["1004"]["why_random"] == "1"
    assert after["1001"]["status"] == after["1004"]["status"] == "ok"
    feedback = (out / "feedback" / "1001.md").read_text()
    assert "| why_random | 2\\.5 / 3 | Right idea; say why the deltas are equal |" in feedback
    assert "Right idea" in (out / "feedback" / "1001.html").read_text()
    report = (out / "report.html").read_text()
    assert "answers/why_random.html" in report and "Written answers" in report
    canvas = list(csv.reader(io.StringIO((out / "canvas.csv").read_text())))
    column = len(canvas[0]) - 1
    points = {row[1]: row[column] for row in canvas[1:]}
    assert points["1001"] == after["1001"]["points"] and points["1004"] == after["1004"]["points"]
    assert canvas[1][column] == after["1001"]["max_points"]       # Points Possible: with answers
    with zipfile.ZipFile(out / "feedback-canvas.zip") as archive:
        (name,) = [n for n in archive.namelist() if "_1001_" in n]
        assert "Right idea" in archive.read(name).decode()
    assert "2.5" in (out / "answers" / "why_random.html").read_text()   # prefilled field
    # a regrade of one student keeps everybody's points: they live in manual.csv
    alone = graded["base"] / "again"
    alone.mkdir()
    shutil.copy(next(graded["folder"].glob("alicesmith_*")), alone)
    run = coursetools("grade", "--lab", "lab1_scalar", "--instructor",
                      graded["base"] / "lab1_scalar.ipynb", "--submissions", alone, "--out", out,
                      "--jobs", 1, "--seed", "tests", "--quiet")
    assert run.returncode == 0, run.stderr
    again = rows(out)
    assert again["1001"].pop("run") == "2" and after["1001"].pop("run") == "1"
    assert again == after
    assert (out / "manual.csv").read_text().startswith("student,answer,points,comment\n")


def test_a_bad_manual_csv_stops_the_render_and_names_the_lines(graded, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded["out"], out)
    (out / "manual.csv").write_text("student,answer,points,comment\n1001,why_random,4,too many\n"
                                    "9999,why_random,1,\n1002,why_zero,1,\n1004,why_random,x,\n")
    grades = (out / "grades.csv").read_bytes()
    run = coursetools("render", "--out", out)
    assert run.returncode == 2
    for text in ("line 2: points 4 outside 0..3", "line 3: no student '9999'",
                 "line 4: unknown answer 'why_zero'", "line 5: points 'x' is not a number"):
        assert text in run.stderr
    assert (out / "grades.csv").read_bytes() == grades
