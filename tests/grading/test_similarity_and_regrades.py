"""Issue 23, items 5 and 6, end to end with the real command (every kernel in its sandbox):

- a class of lab 1 in which one student copied another's code with renamed variables and a
  new layout: ``similarity.html`` flags that pair and the student who pasted the course's
  solution, never the independently written solutions, and no grade changes;
- a student regraded with a lower-scoring file keeps the better row under ``--policy best``,
  gets the newer one under ``latest``, and both attempts stay in the results and the feedback.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys

import nbformat
import pytest
from nbformat import v4

from coursetools.grading.results import store as storemod
from tests import grading_submissions as subs
from tests.conftest import FILES, ROOT

pytestmark = pytest.mark.kernel


def grade(*args):
    return subprocess.run([sys.executable, "-m", "coursetools", "grade", "--lab", subs.LAB,
                           "--quiet", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)


def handed_in(fixture: str, change=("", "")):
    """The student lab with the fixture's solution in a cell of its own below the skeleton."""
    source = (FILES / "similarity" / f"{fixture}.py").read_text(encoding="utf-8")
    nb = subs.student_notebook()
    nb.cells.append(v4.new_code_cell(source.replace(*change)))
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    for student, nb in {"ann": handed_in("independent_a"), "cat": handed_in("copy_of_a"),
                        "bob": handed_in("independent_b"), "dan": subs.submission()}.items():
        nbformat.write(nb, folder / f"{student}.ipynb")
    out = tmp_path_factory.mktemp("out") / "results"
    run = grade("--submissions", folder, "--out", out, "--jobs", 2)
    assert run.returncode == 0, run.stderr
    return out


def pairs(page: str) -> set[frozenset]:
    found = re.findall(r'<h2 id="pair-\d+">\d+\. (.*?) and (.*?)</h2>', page)
    clean = lambda who: re.sub(r"<[^>]+>", "", who)   # noqa: E731
    return {frozenset((clean(a), clean(b))) for a, b in found}


def test_the_copied_pair_and_the_pasted_solution_are_flagged_and_no_one_else(graded):
    page = (graded / "similarity.html").read_text(encoding="utf-8")
    assert pairs(page) == {frozenset(("ann", "cat")), frozenset(("dan", "the course's solution"))}
    assert "Threshold: 60 %" in page and "Compared: 4 students" in page


def test_similarity_changes_no_grade(graded):
    rows = subs.grades_by_student(graded)
    assert {s: rows[s]["points"] for s in rows} == {"ann": "20", "bob": "20", "cat": "20",
                                                  "dan": "20"}
    assert "similar" not in (graded / "grades.csv").read_text().lower()
    assert "similar" not in (graded / "feedback" / "cat.md").read_text().lower()


def test_render_with_a_lower_threshold_rewrites_only_the_similarity_page(graded, tmp_path):
    before = (graded / "grades.csv").read_bytes()
    run = subprocess.run([sys.executable, "-m", "coursetools", "render", "--out", graded,
                          "--similarity-threshold", "0.05"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    page = (graded / "similarity.html").read_text(encoding="utf-8")
    assert "Threshold: 5 %" in page and frozenset(("ann", "bob")) in pairs(page)
    assert (graded / "grades.csv").read_bytes() == before


@pytest.mark.parametrize("policy", ["best", "latest"])
def test_a_regrade_with_a_lower_scoring_file_keeps_both_attempts(tmp_path, policy):
    out = tmp_path / "out"
    for number, nb in enumerate([handed_in("independent_a"),
                                 handed_in("independent_a", ("return float(difference * "
                                                             "difference)", "return 0.0"))]):
        folder = tmp_path / f"attempt{number}"
        folder.mkdir()
        nbformat.write(nb, folder / "ann.ipynb")
        run = grade("--submissions", folder, "--out", out, "--policy", policy)
        assert run.returncode == 0, run.stderr
    results = storemod.from_json((out / "results.json").read_text(encoding="utf-8"))
    first, second = results.attempts("ann")
    assert first.points == 20 and second.points < 20 and first.sha256 != second.sha256
    counting = first if policy == "best" else second
    assert [a.counts for a in (first, second)] == [counting is first, counting is second]
    assert subs.grades_by_student(out)["ann"]["points"] == f"{counting.points:g}"
    feedback = (out / "feedback" / "ann.md").read_text(encoding="utf-8")
    assert "## Your attempts" in feedback and "graded 2 times" in feedback
    records = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert [r["policy"] for r in records] == [policy, policy]
