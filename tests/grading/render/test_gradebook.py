"""gradebook: grades.csv with the final points, late work and overrides."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from coursetools.grading.render import gradebook
from coursetools.grading.results import final, store as storemod
from coursetools.grading.results.overrides import Override
from tests.conftest import FILES

FILES = FILES / "lms"


def test_columns_final_points_late_and_overrides():
    results = storemod.from_json((FILES / "canvas_results.json").read_text(encoding="utf-8"))
    final.apply(results, [Override(2, "23456", "backward_active_unit", 2, "sign convention"),
                          Override(3, "45678", "total", 5, "by e-mail")])
    rows = list(csv.DictReader(io.StringIO(gradebook.render_csv(results))))
    header = list(rows[0])
    assert header[:11] == ["student", "name", "lab", "points", "max_points", "status", "run",
                           "late", "late_days", "penalty", "overridden"]
    assert header[11:] == [t.test for t in results.tests]
    dave = next(r for r in rows if r["student"] == "23456")
    # 12 from the tests, +2 corrected, -2 late penalty (flagged by Canvas: one day, 10 %).
    assert (dave["points"], dave["late"], dave["late_days"], dave["penalty"],
            dave["overridden"], dave["backward_active_unit"]) == ("12", "yes", "1", "2",
                                                                  "backward_active_unit", "2")
    gina = next(r for r in rows if r["student"] == "45678")
    assert (gina["points"], gina["overridden"], gina["status"]) == (
        "5", "total", "not a notebook file (lab1.py)")
    hank = next(r for r in rows if r["student"] == "56789")
    assert (hank["status"], hank["points"], hank["name"]) == ("missing", "0", "Ito, Hank")

