"""Output: ``grades.csv``, one row per student, rendered from the results store.

Columns: ``student, name, lab, points, max_points, status, run, late, late_days, penalty,
overridden`` and then one column per graded test (its points), and one per written answer (the
instructor's points from ``manual.csv``; empty until given). ``points`` is what counts: the
tests' points after the instructor's overrides, less the late penalty (``final``); a test's
column shows its points after an override of that test. ``status`` is ``ok`` or short reasons
joined by ``; `` (``timeout``, ``missing function backward``, ``not attempted``, ``missing``,
``not on roster``...), so a spreadsheet filter finds the rows to look at by hand; ``run`` is the
number of the run that graded the row (``runs.jsonl``); ``late`` is ``yes`` for a late row,
``late_days`` its started days late (1 when only the LMS's flag is known), ``penalty`` the
points it cost, ``overridden`` the tests (or ``total``, ``penalty``) the instructor overrode.
Text that a spreadsheet would execute (a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) is prefixed with ``'``: student ids come from file names anyone can choose.
"""
from __future__ import annotations

import csv
import io

from coursetools.grading.records import GRADEBOOK_COLUMNS, fmt
from coursetools.grading.render.escape import safe_cell
from coursetools.grading.results.store import Store

def render_csv(store: Store) -> str:
    ids = [t.test for t in store.tests]
    answers = [a.id for a in store.answers]
    handle = io.StringIO()
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow([*GRADEBOOK_COLUMNS, *ids, *answers])
    for sub in store.sorted_students():
        earned = {t.test: t.earned for t in sub.tests}
        earned.update({c.target: c.after for c in sub.adjustments if c.what == "test"})
        overridden = [c.target for c in sub.adjustments if not c.by_rule]
        writer.writerow([safe_cell(sub.student), safe_cell(sub.name), store.lab,
                         fmt(sub.final_points), fmt(store.max_points), safe_cell(sub.status_text),
                         store.runs.get(sub.student, ""), "yes" if sub.late_days > 0 else "",
                         fmt(sub.late_days) if sub.late_days > 0 else "",
                         fmt(sub.penalty) if sub.penalty else "", safe_cell("; ".join(overridden)),
                         *(fmt(earned.get(t, 0)) for t in ids),
                         *(fmt(sub.answer_points[a]["points"]) if a in sub.answer_points else ""
                           for a in answers)])
    return handle.getvalue()
