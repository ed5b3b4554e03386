"""store: the LMS settings are kept across runs; a roster's missing row never hides a hand-in."""
from __future__ import annotations

from coursetools.grading.results import store as storemod
from coursetools.grading.records import LmsIdentity, Scheme, Status, Submission


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
                               adjustments=[{"what": "total", "target": "total", "before": 10,
                                             "after": 8, "reason": "r"}])], run=1)
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
