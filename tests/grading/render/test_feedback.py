"""feedback: the Markdown page shows how the score was reached (tests, penalty, corrections)."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

from coursetools.grading import pipeline
from coursetools.grading.render import feedback, feedback_html
from coursetools.grading.results import final, store as storemod
from coursetools.grading.results.overrides import Override
from coursetools.grading.run import execute
from coursetools.grading.score import judge
from coursetools.kernel import protocol
from tests import grading_inprocess
from tests import grading_submissions as subs
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


def _numbers(text: str) -> list[float]:
    return [float(m) for m in re.findall(r"-?\d+\.\d{2,}(?:e-?\d+)?", text)]


def test_failing_tests_show_the_graders_words_never_graded_inputs_or_expected_values(
        tmp_path, monkeypatch):
    """The pages of students whose visible and hidden tests fail, rendered by the grader
    (its kernels replaced by running the notebooks here): a hidden test shows its mistakes'
    standard texts only, a visible one the grader's details; no number of the graded calls
    (inputs or expected outputs, of the student's own inputs key) appears on any page."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    kernels = grading_inprocess.Kernels()
    monkeypatch.setattr(execute, "run_sessions", kernels)
    notebooks = {
        "wrong_backward": subs.submission(replace={"backward": subs.solution_with(
            "backward", "2.0 * (y2_pred - y_true)", "(y2_pred - y_true)")}),
        "wrong_forward": subs.submission(replace={"forward": subs.solution_with(
            "forward", "max(y1, 0.0)", "y1")}),
    }
    (tmp_path / "in").mkdir()
    for student, nb in notebooks.items():
        nbformat.write(nb, tmp_path / "in" / f"{student}.ipynb")
    outcome = pipeline.grade(pipeline.Options(
        lab=subs.LAB, submissions=tmp_path / "in", out=tmp_path / "out", seed="feedback",
        unsafe_no_sandbox=True, progress=False, jobs=1))
    refs = grading_inprocess.reference(subs.LAB, "feedback",
                                       *(kernels.keys[sub.key][0] for sub in outcome.graded))
    hidden_failed = 0
    for sub in outcome.graded:
        secret = [float(v) for ref in refs.of(kernels.keys[sub.key][0]).values()
                  for call in ref.calls for encoded in [*call["args"].values(), *call["outputs"]]
                  for v in protocol.decode(encoded).ravel() if abs(float(v)) > 1e-3]
        assert secret
        store = outcome.store
        pages = [feedback.render(store, store.students[sub.student]),
                 re.sub(r"<style>.*?</style>", "",   # the page's CSS (0.25em) is no value
                        feedback_html.render(store, store.students[sub.student]), flags=re.S)]
        for page in pages:
            for shown in _numbers(page):
                assert not any(abs(shown - s) <= 1e-3 * max(1.0, abs(s)) for s in secret), \
                    (sub.student, shown)
        failing = [t for t in store.students[sub.student].tests if t.codes]
        assert failing, sub.student
        for test in failing:
            if test.hidden:
                hidden_failed += 1
                assert test.details == []
                section = pages[0].split(f"### {test.test} (hidden")[1].split("###")[0]
                for code in test.codes:
                    assert judge.mistake_text(code) in section
            else:
                assert test.details and all("graded inputs" in d for d in test.details)
    assert hidden_failed, "a hidden test fails, and shows its codes' texts only"
