"""The points that count: test results, then the instructor's overrides and the late penalty.

For every row of the results, in this order:

1. each test earns what it earned, or what an override of that test says; each written answer
   earns the instructor's points from ``manual.csv`` (``manual``), 0 until then: a row with an
   answer that has text and no points yet gets the status ``answers to grade``;
2. a late row loses the penalty of the class's rule (``late``) on the sum, or what a
   ``penalty`` override says (0 waives it); a ``missing`` row has nothing to lose;
3. a ``total`` override replaces the result.

Each step that changed something is kept in ``Submission.adjustments`` (what, before, after,
why), which the gradebook, the feedback and the report show; ``Submission.final`` is the result.
Everything is computed from ``results.json`` and ``overrides.csv`` alone, so rendering twice
gives the same files.
"""
from __future__ import annotations

from coursetools.grading.results import late
from coursetools.grading.records import fmt
from coursetools.grading.results.manual import Mark
from coursetools.grading.results.overrides import PENALTY, TOTAL, Override
from coursetools.grading.records import Adjustment, Status, Submission
from coursetools.grading.results.store import Store


def _late_reason(days: int | None, rule: late.Rule, max_points: float) -> str:
    if days:
        when = f"{days} started day{'s' if days != 1 else ''} after the deadline"
    elif rule.per_day:
        when = "marked late by the LMS, which does not say by how much: counted as 1 day"
    else:
        when = "marked late by the LMS"
    return f"{when}; rule: {rule.describe(max_points)}"


def _answers(store: Store, sub: Submission, marks: dict[str, Mark]) -> float:
    """Set the row's answer points and its ``answers to grade`` status; the points."""
    sub.answer_points = {m.answer: {"points": m.points, "comment": m.comment}
                         for m in marks.values()}
    sub.statuses = [s for s in sub.statuses if s.status is not Status.ANSWERS_TO_GRADE]
    waiting = [a.id for a in store.answers if sub.answers.get(a.id) and a.id not in marks]
    if waiting:
        sub.flag(Status.ANSWERS_TO_GRADE)
    return sum(m.points for m in marks.values())


def _one(store: Store, sub: Submission, mine: dict[str, Override], rule, deadline,
         marks: dict[str, Mark]) -> None:
    changes = []
    points = {t.test: t.earned for t in sub.tests}
    for test in store.tests:
        if test.test in mine:
            change = mine[test.test]
            changes.append(Adjustment("test", test.test, points.get(test.test, 0),
                                      change.points, change.reason))
            points[test.test] = change.points
    total = sum(points.values()) + _answers(store, sub, marks)
    days = late.days_late(sub.submitted, deadline)
    sub.late_days = float(max(days or 0, 1 if sub.late else 0))
    missing = any(s.status is Status.MISSING for s in sub.statuses)
    penalty = 0.0
    if rule is not None and sub.late_days > 0 and not missing:
        penalty = rule.penalty(int(sub.late_days), store.max_points, total)
        if penalty:
            changes.append(Adjustment("penalty", "late", total, total - penalty,
                                      _late_reason(days, rule, store.max_points)))
    if PENALTY in mine:
        before = total - penalty
        penalty = min(mine[PENALTY].points, total)
        changes.append(Adjustment("penalty", PENALTY, before, total - penalty,
                                  mine[PENALTY].reason))
    final = total - penalty
    if TOTAL in mine:
        changes.append(Adjustment("total", TOTAL, final, mine[TOTAL].points,
                                  mine[TOTAL].reason))
        final = mine[TOTAL].points
    sub.penalty, sub.final, sub.adjustments = round(penalty, 6), round(final, 6), changes


def apply(store: Store, overrides: list[Override], marks: list[Mark] = ()) -> None:
    """Set ``final``, ``penalty``, ``late_days``, ``adjustments`` and ``answer_points`` of every
    row of ``store`` (``marks``: the written answers' points, ``manual.load``)."""
    rule = late.parse_rule(store.late_penalty)
    deadline = late.parse_deadline(store.deadline)
    by_student: dict[str, dict[str, Override]] = {}
    for override in overrides:
        by_student.setdefault(override.student, {})[override.target] = override
    marked: dict[str, dict[str, Mark]] = {}
    for mark in marks:
        marked.setdefault(mark.student, {})[mark.answer] = mark
    for sub in store.students.values():
        _one(store, sub, by_student.get(sub.student, {}), rule, deadline,
             marked.get(sub.student, {}))


def describe(change: Adjustment) -> str:
    """One line for the feedback and the report."""
    what = {"test": f"test {change.target}", "penalty": "late penalty",
            "total": "total"}[change.what]
    if change.by_rule:
        return (f"Late penalty: -{fmt(-change.change)} points ({change.reason}).")
    return (f"Correction of the {what} by the instructor: {fmt(change.before)} -> "
            f"{fmt(change.after)} points. Reason: {change.reason}")


def counted_points(store: Store, sub: Submission) -> float:
    """A row's test points after the class's late penalty (overrides aside): what the regrade
    policy ``best`` compares, so a late file with more points can still count for less."""
    rule = late.parse_rule(store.late_penalty)
    days = late.days_late(sub.submitted, late.parse_deadline(store.deadline))
    days = max(days or 0, 1 if sub.late else 0)
    if rule is None or not days:
        return sub.points
    return sub.points - rule.penalty(days, store.max_points, sub.points)
