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
