"""feedback: the Markdown page shows how the score was reached (tests, penalty, corrections)."""
from __future__ import annotations

from pathlib import Path

from coursetools.grading.render import feedback
from coursetools.grading.results import final, store as storemod
from coursetools.grading.results.overrides import Override
from tests.conftest import FILES

FILES = FILES / "lms"


def results():
    store = storemod.from_json((FILES / "canvas_results.json").read_text(encoding="utf-8"))
    final.apply(store, [Override(2, "23456", "backward_active_unit", 2, "sign convention")])
    return store


def test_late_penalty_and_correction_are_lines_of_their_own():
    store = results()
    text = feedback.render(store, store.students["23456"])
    assert "- Score: **12 / 20** points" in text
    assert "## How the score was reached" in text
    assert "- Tests: 12 / 20 points." in text
    assert ("- Correction of the test backward_active_unit by the instructor: 0 -> 2 points. "
            "Reason: sign convention") in text
    assert "- Late penalty: -2 points (marked late by the LMS" in text
    assert "| backward_active_unit | visible | 2 / 2 (corrected from 0) |" in text


def test_attempts_missing_and_not_on_roster():
    store = results()
    bob = feedback.render(store, store.students["12345"])
    assert "Graded: lab1-1.ipynb (your latest attempt)." in bob
    assert "Other files you handed in, not graded: lab1.ipynb." in bob
    assert "How the score was reached" not in bob                 # nothing changed the tests
    hank = feedback.render(store, store.students["56789"])
    assert "Your notebook could not be graded: nothing was handed in." in hank
    assert "Status: not on roster" in feedback.render(store, store.students["99887"])


def test_student_text_cannot_break_the_page():
    store = results()
    sub = store.students["12345"]
    sub.name, sub.student = "Bob | Smith\n# heading", "12345`"
    text = feedback.render(store, sub)
    assert "- Student: `` 12345` ``" in text              # a backtick cannot close the span
    assert "- Name: Bob \\| Smith # heading" in text       # one line: no table cell, no heading


def test_a_regraded_student_sees_every_attempt_and_which_counts():
    from coursetools.grading.records import Submission, TestResult
    from coursetools.grading.render import feedback_html

    store = storemod.Store(lab="lab1_scalar", tests=[storemod.TestInfo("t", 10, False)],
                           policy="best")
    for run, (file, points) in enumerate([("good.ipynb", 9), ("<b>worse</b>.ipynb", 4)], 1):
        store.update([Submission(student="ann", source=file, sha256=file,
                                 submitted=f"2026-12-0{run}T09:00:00",
                                 tests=[TestResult("t", 10, points, False)])],
                     run=run)
    text = feedback.render(store, store.students["ann"])
    assert "## Your attempts" in text and "graded 2 times; the file with the most points" in text
    # (every text cell is escaped for Markdown: "2026\\-12-01" shows as 2026-12-01)
    assert "| 1 | `good.ipynb` | 2026\\-12-01 09:00:00 | 1 | 9 | yes |" in text
    assert "| 2 | `<b>worse</b>.ipynb` | 2026\\-12-02 09:00:00 | 2 | 4 |  |" in text
    page = feedback_html.render(store, store.students["ann"])
    assert "Your attempts" in page and "&lt;b&gt;worse" in page and "<b>worse" not in page
    single = storemod.Store(lab="lab1_scalar", tests=store.tests)
    single.update([store.students["ann"]], run=1)
    assert "Your attempts" not in feedback.render(single, single.students["ann"])
