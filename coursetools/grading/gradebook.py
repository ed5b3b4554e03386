"""Output: ``grades.csv``, one row per student, rendered from the results store.

Columns: ``student, name, lab, points, max_points, status, run`` and then one column per graded
test (its points). ``status`` is ``ok`` or short reasons joined by ``; `` (``timeout``,
``missing function backward``, ``not attempted``...), so a spreadsheet filter finds the rows to
look at by hand; ``run`` is the number of the run that graded the row (``runs.jsonl``).
Text that a spreadsheet would execute (a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) is prefixed with ``'``: student ids come from file names anyone can choose.
"""
from __future__ import annotations

import csv
import io

from coursetools.grading.store import Store

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def fmt(points: float) -> str:
    """Points without a useless ``.0``."""
    return str(int(points)) if float(points).is_integer() else f"{points:.2f}".rstrip("0")


def safe_cell(text: str) -> str:
    """A text cell that no spreadsheet will evaluate as a formula."""
    text = str(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def render_csv(store: Store) -> str:
    ids = [t.test for t in store.tests]
    handle = io.StringIO()
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(["student", "name", "lab", "points", "max_points", "status", "run", *ids])
    for sub in store.sorted_students():
        earned = {t.test: t.earned for t in sub.tests}
        writer.writerow([safe_cell(sub.student), safe_cell(sub.name), store.lab, fmt(sub.points),
                         fmt(store.max_points), safe_cell(sub.status_text),
                         store.runs.get(sub.student, ""), *(fmt(earned.get(t, 0)) for t in ids)])
    return handle.getvalue()
