"""store: the LMS settings are kept across runs; a roster's missing row never hides a hand-in;
regrades keep every attempt and the policy picks the row that counts."""
from __future__ import annotations

import json

import pytest

from coursetools.grading.results import store as storemod
from coursetools.grading.records import (Adjustment, LmsIdentity, Scheme, Status, Submission,
                                         TestResult)


def fresh() -> storemod.Store:
    return storemod.Store(lab="lab1_scalar", tests=[storemod.TestInfo("t", 1, False)])


def missing(student: str) -> Submission:
    row = Submission(student=student, name="Hank Ito")
    row.flag(Status.MISSING)
    return row


def test_a_missing_row_does_not_replace_a_graded_one():
    results = fresh()
    results.update([Submission(student="56789", source="hank.ipynb"), missing("12345")], run=1)
    results.update([missing("56789"), missing("12345")], run=2)   # a regrade of someone else
    assert results.students["56789"].source == "hank.ipynb" and results.runs["56789"] == 1
    assert results.runs["12345"] == 2
    results.update([Submission(student="12345", source="late.ipynb")], run=3)
    assert results.students["12345"].source == "late.ipynb"


def test_settings_and_lms_fields_survive_json_and_merge():
    results = fresh()
    results.roster = {"format": "plain", "students": [], "assignments": [], "notes": []}
    results.late_penalty, results.deadline = "10%/day,max=50%", "2026-03-01T23:59"
    results.update([Submission(student="1", late=True, submitted="2026-03-02T10:00:00",
                               lms=LmsIdentity(Scheme.CANVAS, "1", "a_1_2"),
                               roster={"ID": "1"}, penalty=2.0, final=8.0,
                               adjustments=[Adjustment("total", "total", 10, 8, "r")])], run=1)
    again = storemod.from_json(storemod.to_json(results))
    assert again.late_penalty == "10%/day,max=50%" and again.roster == results.roster
    assert again.students["1"] == results.students["1"]


def test_results_of_before_the_lms_fields_still_load():
    text = ('{"format": 1, "lab": "lab1_scalar", "tests": [], "students": [{"student": "a", '
            '"name": "", "source": "a.ipynb", "late_days": 0.0, "attempt": 0, '
            '"other_files": [], "statuses": [], "notes": [], "key": null, "tests": [], '
            '"run": 1}]}')
    old = storemod.from_json(text)
    assert old.deadline == "" and old.students["a"].final is None


def test_adjustments_are_records_and_keep_their_form_in_results_json():
    """An adjustment is written as the object of its five fields, as before it was a record:
    a results.json of an earlier run loads, and is written back the same."""
    change = {"what": "penalty", "target": "late", "before": 12.0, "after": 10.0,
              "reason": "1 day late"}
    results = fresh()
    results.update([Submission(student="a", final=10.0, penalty=2.0, adjustments=[
        Adjustment(**change)])], run=1)
    text = storemod.to_json(results)
    assert json.loads(text)["students"][0]["adjustments"] == [change]
    (loaded,) = storemod.from_json(text).students["a"].adjustments
    assert loaded == Adjustment("penalty", "late", 12.0, 10.0, "1 day late")
    assert loaded.by_rule and loaded.change == -2.0


# ------------------------------------------------------------------ regrades (issue 23 item 6)
def graded(student: str, points: float, file: str, sha: str, submitted: str = "") -> Submission:
    return Submission(student=student, source=file, sha256=sha, submitted=submitted,
                      tests=[TestResult("t", 10, points, False)])


def regraded(policy: str) -> storemod.Store:
    """alice: a 9-point file, then a 4-point one; bob: 3 points, then 7."""
    results = storemod.Store(lab="lab1_scalar", tests=[storemod.TestInfo("t", 10, False)],
                             policy=policy)
    results.update([graded("alice", 9, "a1.ipynb", "a1"), graded("bob", 3, "b1.ipynb", "b1")],
                   run=1)
    results.update([graded("alice", 4, "a2.ipynb", "a2"), graded("bob", 7, "b2.ipynb", "b2")],
                   run=2)
    return results


@pytest.mark.parametrize("policy, alice, bob", [("latest", "a2.ipynb", "b2.ipynb"),
                                                ("best", "a1.ipynb", "b2.ipynb")])
def test_the_policy_picks_the_row_and_both_attempts_stay_in_the_history(policy, alice, bob):
    results = regraded(policy)
    assert results.students["alice"].source == alice and results.students["bob"].source == bob
    for student, row in (("alice", alice), ("bob", bob)):
        history = results.attempts(student)
        assert [a.file for a in history] == [f"{student[0]}1.ipynb", f"{student[0]}2.ipynb"]
        assert [a.counts for a in history] == [a.file == row for a in history]
        assert [a.run for a in history] == [1, 2]
    assert [a.points for a in results.attempts("alice")] == [9, 4]
    assert results.runs["alice"] == (1 if policy == "best" else 2)


def test_best_compares_the_points_after_the_late_penalty():
    results = storemod.Store(lab="lab1_scalar", tests=[storemod.TestInfo("t", 10, False)],
                             policy="best")
    counted = {"on_time": 6, "late": 8 - 4}        # the late file loses 4 points
    results.update([graded("a", 6, "on_time", "1")], run=1, counted=lambda s: counted[s.source])
    results.update([graded("a", 8, "late", "2")], run=2, counted=lambda s: counted[s.source])
    assert results.students["a"].source == "on_time"
    assert [(a.points, a.counted) for a in results.attempts("a")] == [(6, 6), (8, 4)]


def test_the_same_file_graded_again_is_one_attempt_and_a_tie_goes_to_the_newer():
    results = regraded("best")
    results.update([graded("alice", 9, "a1-renamed.ipynb", "a1")], run=3)   # same bytes
    assert [a.file for a in results.attempts("alice")] == ["a2.ipynb", "a1-renamed.ipynb"]
    assert results.students["alice"].source == "a1-renamed.ipynb"
    results.update([graded("alice", 9, "a3.ipynb", "a3")], run=4)
    assert results.students["alice"].source == "a3.ipynb"
    assert [a.counts for a in results.attempts("alice")] == [False, False, True]


def test_histories_and_policy_survive_json():
    results = regraded("best")
    again = storemod.from_json(storemod.to_json(results))
    assert again.policy == "best" and again.history == results.history
    assert again.students == results.students


def test_an_unknown_policy_is_refused():
    results = fresh()
    results.policy = "first"
    with pytest.raises(ValueError, match="latest, best"):
        results.update([graded("a", 1, "a", "1")], run=1)


def test_results_of_format_1_load_with_the_graded_row_as_first_attempt():
    text = ('{"format": 1, "lab": "lab1_scalar", "deadline": "", "late_penalty": "", '
            '"assignment": "", "roster": null, "tests": [{"test": "t", "points": 10, '
            '"hidden": false}], "students": [{"student": "a", "name": "", "source": "a.ipynb", '
            '"late_days": 0.0, "attempt": 0, "other_files": [], "statuses": [], "notes": [], '
            '"key": "executed", "tests": [{"test": "t", "points": 10, "earned": 5, '
            '"hidden": false}], "run": 1, "submitted": "2026-12-01T09:00:00"}]}')
    old = storemod.from_json(text)
    assert old.policy == "latest" and old.students["a"].code == ""
    [first] = old.attempts("a")
    assert (first.file, first.run, first.points, first.counts) == ("a.ipynb", 1, 5, True)
    old.update([graded("a", 7, "a2.ipynb", "x")], run=2)
    assert [a.file for a in old.attempts("a")] == ["a.ipynb", "a2.ipynb"]
