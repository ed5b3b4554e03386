"""exports: canvas.csv and moodle.csv as their imports read them; bulk feedback zips.

``files/lms/canvas_results.json`` is the results of the Canvas class of
``files/lms/canvas_download.txt`` graded with ``canvas_gradebook.csv`` and the rule
``10%/day,max=50%`` (the end-to-end test in ``tests/grading/test_lms.py`` grades it for real).
"""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from coursetools.grading.lms import registry
from coursetools.grading.render import exports
from coursetools.grading.results import final, store as storemod
from coursetools.grading.results.overrides import Override
from coursetools.grading.records import LmsIdentity, Scheme, Status, Submission
from tests.conftest import FILES

FILES = FILES / "lms"


def canvas_class() -> storemod.Store:
    results = storemod.from_json((FILES / "canvas_results.json").read_text(encoding="utf-8"))
    final.apply(results, [Override(2, "45678", "total", 5, "handed in by e-mail")])
    return results


def roster_class(name: str) -> storemod.Store:
    """A 20-point lab 1 with every student of the roster ``files/lms/<name>`` handed in (0 points)."""
    class_list = registry.load_roster(FILES / name)
    results = storemod.Store(lab="lab1_scalar", tests=[storemod.TestInfo("t", 20, False)],
                             roster=class_list.to_dict())
    for student in class_list.students:
        results.students[student.id] = Submission(student=student.id, name=student.name,
                                                  source="x.ipynb", roster=student.fields)
    return results


def table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_canvas_csv_columns_points_possible_and_values():
    text, warnings = exports.export(canvas_class(), "canvas")
    rows = table(text)
    # Canvas reads the student columns by position; the last one must be Section.
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       "Lab 1: scalar (4521)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "20"]
    assert rows[2:] == [
        ["Ito, Hank", "56789", "S1005", "hito", "Section B", ""],        # missing: left empty
        ["Lee, Dave", "23456", "S1002", "dlee", "Section A", "10"],      # 12 - late penalty 2
        ["Müller, Eve", "34567", "S1003", "emuller", "Section B", "20"],
        ["Park, Gina", "45678", "S1004", "gpark", "Section B", "5"],     # the override
        ["Smith, Bob", "12345", "S1001", "bsmith", "Section A", "20"],   # the later attempt
    ]
    assert warnings == ["canvas.csv leaves out 2 row(s) not on the roster or without a Canvas "
                        "user id: 67890, 99887"]


def test_canvas_csv_without_roster_uses_the_ids_in_the_file_names():
    results = canvas_class()
    results.roster = None
    for sub in results.students.values():
        sub.roster, sub.statuses = {}, [s for s in sub.statuses
                                        if s.status is not Status.NOT_ON_ROSTER]
    results.assignment = "Lab 1 (4521)"
    rows = table(exports.export(results, "canvas")[0])
    assert rows[0][-1] == "Lab 1 (4521)"
    assert ["zedzoe", "99887", "", "", "", "20"] in rows
    assert ["ngann", "67890", "", "", "", "0"] in rows              # a text entry: 0 points


def test_moodle_csv_from_a_moodle_roster():
    results = roster_class("moodle_participants.csv")
    results.students["S1003"].final = 17.5
    results.students["ann.ng@example.edu"].flag(Status.MISSING)
    text, warnings = exports.export(results, "moodle")
    assert table(text) == [
        ["First name", "Last name", "ID number", "Email address", "lab1_scalar"],
        ["Ann", "Ng", "", "ann.ng@example.edu", ""],
        ["Bob", "Smith", "S1001", "bob.smith@example.edu", "0"],
        ["Eve", "Müller", "S1003", "eve.mueller@example.edu", "17.5"]]
    assert warnings == ["moodle.csv: points out of the lab's 20; if the assignment is worth "
                        "another number of points in Moodle, pass --points-possible"]
    assert exports.lms_of(results) == ["moodle"]


def test_moodle_csv_without_roster_warns_that_moodle_cannot_match():
    results = storemod.Store(lab="lab1_scalar", tests=[])
    results.students["1234567"] = Submission(student="1234567", name="Eve Müller",
                                             lms=LmsIdentity(Scheme.MOODLE, "1234567",
                                                                 "Eve Müller_1234567"))
    results.students["1234567"].name = "=HYPERLINK(x) Müller"
    text, warnings = exports.export(results, "moodle")
    assert table(text)[1] == ["'=HYPERLINK(x)", "Müller", "", "", "0"]  # never a formula
    assert "neither an e-mail address nor an ID number" in warnings[0]


def test_canvas_feedback_zip_names_match_canvas_upload():
    results = canvas_class()
    pages = {s: f"<p>{s}</p>" for s in results.students}
    archive = zipfile.ZipFile(io.BytesIO(exports.render(results, pages)[0]["feedback-canvas.zip"]))
    names = sorted(archive.namelist())
    assert names == ["leedave_LATE_23456_78902_feedback.html",
                     "müllereve_34567_78903_feedback.html", "parkgina_45678_78904_feedback.html",
                     "smithbob_12345_78955_feedback.html", "zedzoe_99887_78905_feedback.html"]
    # Canvas takes the first two all-digit parts of a name as user id and file id.
    for name in names:
        user, file_id = [part for part in name.split("_") if part.isdigit()][:2]
        assert f"_{user}_{file_id}_" in results.students[user].source     # the graded file
        assert archive.read(name).decode() == f"<p>{user}</p>"
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in archive.infolist())


def test_moodle_feedback_zip_layout():
    results = storemod.Store(lab="lab1_scalar", tests=[])
    results.students["S1003"] = Submission(student="S1003", lms=LmsIdentity(
        Scheme.MOODLE, "1234567", "Eve Müller_1234567"))
    results.students["S1009"] = Submission(student="S1009")            # missing: no folder
    archive = zipfile.ZipFile(io.BytesIO(exports.render(
        results, {"S1003": "<p>eve</p>", "S1009": "<p>x</p>"})[0]["feedback-moodle.zip"]))
    assert archive.namelist() == [
        "Eve Müller_1234567_assignfeedback_file_/feedback-lab1_scalar.html"]


def test_exports_are_deterministic_and_only_for_the_class_lms():
    results = canvas_class()
    pages = {s: "page" for s in results.students}
    first, second = exports.render(results, pages), exports.render(canvas_class(), pages)
    assert first == second
    assert sorted(first[0]) == ["canvas.csv", "feedback-canvas.zip"]
    assert exports.render(storemod.Store(lab="x", tests=[]), {}) == ({}, [])


def test_brightspace_csv_from_its_grade_export():
    results = roster_class("brightspace_roster.csv")
    assert results.roster["format"] == "brightspace"
    results.students["S1003"].final = 17.5
    results.students["S1005"].flag(Status.MISSING)
    results.students["stranger"] = Submission(student="stranger", source="y.ipynb")
    text, warnings = exports.export(results, "brightspace")
    assert table(text) == [
        ["OrgDefinedId", "Username",
         "Lab 1: scalar Points Grade <Numeric MaxPoints:20 Category:Labs>", "End-of-Line Indicator"],
        ["#S1004", "#ang", "0", "#"],
        ["#S1001", "#bsmith", "0", "#"],
        ["#S1003", "#emueller", "17.5", "#"],
        ["#S1005", "#zlee", "", "#"]]                                   # missing: left empty
    assert warnings == ["brightspace.csv leaves out 1 row(s) without Brightspace's ids (grade "
                        "with --roster and Brightspace's grade export): stranger"]
    assert exports.lms_of(results) == ["brightspace"]
    results.roster = None                   # no grade item known: stop, ask for --assignment
    with pytest.raises(exports.ExportError, match="Pass --assignment .* e.g. 'Lab 4 Points Grade"):
        exports.export(results, "brightspace")
    results.assignment = "Lab 1"
    assert table(exports.export(results, "brightspace")[0])[0][2] == "Lab 1 Points Grade"


def test_points_are_scaled_to_the_assignments_points_possible():
    """The issue's class: lab 4 is worth 31 raw points, its Canvas assignment 10."""
    results = storemod.Store(lab="lab4_xor", tests=[storemod.TestInfo("a", 30, False),
                                                    storemod.TestInfo("b", 1, False)],
                             assignment="Lab 4: XOR layers (8812)", points_possible=10)
    for user, points in (("1", 31), ("2", 15.5), ("3", 0)):
        results.students[user] = Submission(student=user, name=f"S{user}", source="x.ipynb",
                                            lms=LmsIdentity(Scheme.CANVAS, user, f"s_{user}_9"))
        results.students[user].final = points
    rows = table(exports.export(results, "canvas")[0])
    assert rows[0][5] == "Lab 4: XOR layers (8812)" and rows[1][5] == "10"
    assert {row[1]: row[5] for row in rows[2:]} == {"1": "10", "2": "5", "3": "0"}
    results.points_possible = None                          # unknown: raw points, and a warning
    text, warnings = exports.export(results, "canvas")
    assert table(text)[1][5] == "31" and {r[1]: r[5] for r in table(text)[2:]}["1"] == "31"
    assert "pass --points-possible" in warnings[-1]


def test_a_brightspace_class_without_its_roster_gets_no_import_and_a_warning():
    results = storemod.Store(lab="lab1_scalar", tests=[storemod.TestInfo("t", 20, False)])
    results.students["Ann Ng"] = Submission(student="Ann Ng", source="x.ipynb", lms=LmsIdentity(
        Scheme.BRIGHTSPACE, prefix="84512-304 - Ann Ng - Mar 2, 2026 1205 AM"))
    outputs, warnings = exports.render(results, {"Ann Ng": "<p>page</p>"})
    assert outputs == {} and warnings == ["no brightspace.csv: Brightspace's import needs the ids "
                                          "of its own roster export (grade with --roster)"]


def test_moodle_grades_are_scaled_to_the_worksheets_maximum_grade():
    """Moodle's grading worksheet says the assignment's maximum grade (20.00 in the file): a lab
    of 40 raw points is imported on that scale; rows that disagree scale nothing, and say so."""
    results = roster_class("moodle_worksheet.csv")
    results.tests = [storemod.TestInfo("t", 40, False)]
    for points, sub in zip((40, 10), results.students.values()):
        sub.final = points
    grades = lambda: {row[3]: row[-1] for row in table(exports.export(results, "moodle")[0])[1:]}  # noqa: E731
    assert grades() == {"eve.mueller@example.edu": "20", "bob.smith@example.edu": "5"}
    text = (FILES / "moodle_worksheet.csv").read_text(encoding="utf-8").replace(",20.00,", ",10,", 1)
    disagreeing = registry.parse_roster(text)
    assert disagreeing.assignment_points is None and "disagree on the maximum grade" in disagreeing.notes[0]
    results.roster = disagreeing.to_dict()
    assert grades() == {"eve.mueller@example.edu": "40", "bob.smith@example.edu": "10"}
