"""The platform modules (lms.canvas, moodle, brightspace, blackboard, gradescope, folders) through
the one protocol: what each claims, reads and writes; a new platform needs nothing but its class."""
from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from coursetools.grading.lms import registry
from coursetools.grading.lms.canvas import Canvas
from coursetools.grading.lms.platform import Claim, Column, File, GradeRow, Platform
from coursetools.grading.records import LmsIdentity, Scheme
from tests.conftest import FILES

FILES = FILES / "lms"


def test_the_protocols_defaults_do_nothing():
    class Nothing(Platform):
        name, title = "nothing", "Nothing"

    files = [File(PurePosixPath("alice.ipynb"), b"{}")]
    assert Nothing().claim(("alice.ipynb",)) is None
    assert Nothing().prepare(files, [])[0] == files
    assert not Nothing().recognises(files)
    assert Nothing().read_roster(["id", "name"], [["1", "A"]], "r.csv") is None
    assert Nothing().column_title("Lab 1 (1)") is None
    assert Nothing().feedback_upload([], {}, "lab") == {}
    with pytest.raises(NotImplementedError, match="Nothing has no grade import"):
        Nothing().grade_import([], Column("x"), 1)


def test_columns_in_each_platforms_own_naming():
    titles = {p.name: p.column_title for p in registry.PLATFORMS}
    assert titles["canvas"]("Lab 4: XOR layers (8812)") == "Lab 4: XOR layers"
    assert titles["canvas"]("Current Score") is None
    assert titles["moodle"]("Assignment: Lab 4 (Real)") == "Lab 4"
    assert titles["brightspace"]("Lab 4 Points Grade <Numeric MaxPoints:10>") == "Lab 4"
    assert titles["folder"]("Lab 4") is None


def test_canvas_roster_keeps_each_assignments_points_possible():
    roster = registry.load_roster(FILES / "canvas_gradebook_points.csv")
    assert roster.assignments == ["Lab 1: Backprop for one neuron (4521)", "Lab 10: Review (4530)"]
    assert roster.points == {"Lab 1: Backprop for one neuron (4521)": 10.0,
                             "Lab 10: Review (4530)": 5.0}
    assert len(roster.students) == 5


def test_canvas_import_leaves_out_rows_it_cannot_match_and_uploads_by_file_prefix():
    rows = [GradeRow("12345", "Smith, Bob", {"Student": "Smith, Bob", "ID": "12345"},
                     LmsIdentity(Scheme.CANVAS, "12345", "smithbob_12345_78955"), "10"),
            GradeRow("anon_x", "", {}, LmsIdentity(Scheme.CANVAS, "anon_x", "anon_x_7"), "3"),
            GradeRow("99887", "zed", {}, LmsIdentity(Scheme.CANVAS, "99887", "zed_99887_1"), "5",
                     off_roster=True)]
    table, warnings = Canvas().grade_import(rows, Column("Lab 4 (8812)", 10), 31)
    assert table.header[-1] == "Lab 4 (8812)" and table.rows[0][-1] == "10"
    assert [r[1] for r in table.rows[1:]] == ["12345"]
    assert warnings == ["canvas.csv leaves out 2 row(s) not on the roster or without a Canvas "
                        "user id: anon_x, 99887"]
    assert Canvas().feedback_upload(rows, {"12345": "a", "anon_x": "b"}, "lab") == {
        "smithbob_12345_78955_feedback.html": "a"}


def test_blackboard_receipts_name_the_attempts_and_are_taken_out():
    attempt = "Lab 1_b_smith_attempt_2026-03-01-21-48-05"
    files = [File(PurePosixPath(f"{attempt}_lab1.ipynb"), b"{}"),
             File(PurePosixPath(f"{attempt}.txt"), b"Name: Bob Smith (b_smith)\n")]
    kept, refine = registry.platform("blackboard").prepare(files, [])
    assert [str(f.path) for f in kept] == [f"{attempt}_lab1.ipynb"]
    claim = refine(registry.claim(kept[0].path.parts))
    assert (claim.key, claim.name, claim.scheme) == ("b_smith", "Bob Smith", Scheme.BLACKBOARD)


def test_gradescope_metadata_becomes_the_claims_of_its_folders():
    meta = (FILES / "gradescope_submission_metadata.yml").read_bytes()
    files = [File(PurePosixPath("submission_51234567/lab1.ipynb"), b"{}"),
             File(PurePosixPath("submission_metadata.yml"), meta)]
    gradescope = registry.platform("gradescope")
    assert gradescope.recognises(files)
    kept, refine = gradescope.prepare(files, [])
    assert len(kept) == 1
    claim = refine(registry.claim(kept[0].path.parts))
    assert claim.scheme is Scheme.GRADESCOPE and claim.original == "lab1.ipynb"
    assert refine(Claim("elsewhere", scheme=Scheme.FOLDER)).key == "elsewhere"
