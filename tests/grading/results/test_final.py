"""final: overrides and the late penalty, in their order, from the results alone."""
from __future__ import annotations

from coursetools.grading import records
from coursetools.grading.results import final, store as storemod
from coursetools.grading.results.overrides import Override
from coursetools.grading.records import Status, Submission


def make_store(**settings) -> storemod.Store:
    store = storemod.Store(lab="lab1_scalar", tests=[storemod.TestInfo("a", 10, False),
                                                     storemod.TestInfo("b", 10, True)],
                           **settings)
    for student, a, b, late, submitted in [("on_time", 10, 6, False, "2026-03-01T20:00:00"),
                                           ("flagged", 10, 6, True, ""),
                                           ("two_days", 10, 6, False, "2026-03-03T08:00:00")]:
        store.students[student] = Submission(
            student=student, source=f"{student}.ipynb", late=late, submitted=submitted,
            tests=[records.TestResult("a", 10, a, False),
                   records.TestResult("b", 10, b, True, codes=["sign"])])
    nothing = Submission(student="absent", late=True)
    nothing.flag(Status.MISSING)
    store.students["absent"] = nothing
    return store


def test_no_rule_no_overrides_final_is_the_tests():
    store = make_store()
    final.apply(store, [])
    assert {s.student: s.final for s in store.students.values()} == {
        "on_time": 16, "flagged": 16, "two_days": 16, "absent": 0}
    assert store.students["flagged"].late_days == 1                # late, even without a rule
    assert all(not s.adjustments and s.penalty == 0 for s in store.students.values())


def test_penalty_per_started_day_from_deadline_or_flag():
    store = make_store(deadline="2026-03-01T23:59", late_penalty="10%/day,max=50%")
    final.apply(store, [])
    row = {s.student: s for s in store.students.values()}
    assert (row["on_time"].final, row["on_time"].late_days) == (16, 0)
    assert (row["flagged"].final, row["flagged"].penalty) == (14, 2)        # 1 day: 10 % of 20
    assert (row["two_days"].final, row["two_days"].late_days) == (12, 2)
    assert row["absent"].penalty == 0                                       # nothing to lose
    (change,) = row["two_days"].adjustments
    assert final.describe(change) == ("Late penalty: -4 points (2 started days after the "
                                      "deadline; rule: 10% of the points per started day late, "
                                      "at most 50% of the points).")
    assert "does not say by how much" in row["flagged"].adjustments[0].reason


def test_overrides_apply_in_order_test_then_penalty_then_total():
    store = make_store(late_penalty="5")
    final.apply(store, [Override(2, "flagged", "b", 10, "sign convention"),
                        Override(3, "two_days", "penalty", 0, "extension"),
                        Override(4, "on_time", "total", 3, "copied")])
    row = {s.student: s for s in store.students.values()}
    assert row["flagged"].final == 15                        # 10 + 10 - 5
    assert [c.what for c in row["flagged"].adjustments] == ["test", "penalty"]
    assert row["two_days"].final == 16                       # not late by time: no deadline
    assert row["on_time"].final == 3 and row["on_time"].points == 16
    assert final.describe(row["on_time"].adjustments[0]) == (
        "Correction of the total by the instructor: 16 -> 3 points. Reason: copied")


def test_rendering_twice_gives_the_same_rows():
    store = make_store(late_penalty="2/day,max=3", deadline="2026-03-01")
    changes = [Override(2, "flagged", "a", 0, "x")]
    final.apply(store, changes)
    once = [(s.final, s.penalty, s.adjustments) for s in store.students.values()]
    final.apply(store, changes)
    assert once == [(s.final, s.penalty, s.adjustments) for s in store.students.values()]
    assert once[2][:2] == (13, 3)                            # 2 days: 4 points, at most 3
