"""roster: class lists read as each LMS exports them, and files matched to students."""
from __future__ import annotations

from pathlib import Path

import pytest

from coursetools.grading.lms import registry, roster
from coursetools.grading.lms.platform import Claim
from coursetools.grading.records import Status, Submission
from tests.conftest import FILES

FILES = FILES / "lms"


def test_canvas_gradebook_export_as_it_is():
    found = registry.load_roster(FILES / "canvas_gradebook.csv")
    assert found.format == "canvas"
    assert [s.id for s in found.students] == ["12345", "23456", "34567", "45678", "56789"]
    eve = found.students[2]
    assert eve.name == "Müller, Eve"
    assert eve.fields == {"Student": "Müller, Eve", "ID": "34567", "SIS User ID": "S1003",
                          "SIS Login ID": "emuller", "Section": "Section B"}
    assert found.assignments == ["Lab 1: scalar (4521)", "Lab 2: vectors (4522)"]
    assert any("Student, Test" in note for note in found.notes)     # Student View is skipped
    assert found.points == {"Lab 1: scalar (4521)": 20.0, "Lab 2: vectors (4522)": 20.0}


def test_moodle_participants_worksheet_github_and_plain():
    moodle = registry.load_roster(FILES / "moodle_participants.csv")           # with a byte-order mark
    assert moodle.format == "moodle"
    assert [(s.id, s.name) for s in moodle.students] == [
        ("S1003", "Eve Müller"), ("S1001", "Bob Smith"), ("ann.ng@example.edu", "Ann Ng")]
    worksheet = registry.load_roster(FILES / "moodle_worksheet.csv")
    assert worksheet.format == "moodle-worksheet"
    assert "1234567" in worksheet.students[0].keys
    assert [s.submitted for s in worksheet.students] == ["2026-03-02T09:15:00", ""]
    github = registry.load_roster(FILES / "github_roster.csv")
    assert github.format == "github" and "bob-smith" in github.students[0].keys
    plain = registry.load_roster(FILES / "plain_roster.csv")                   # ; as delimiter
    assert [(s.id, s.name) for s in plain.students] == [("alice", "Alice Martin"),
                                                        ("bob", "Bob Smith")]


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("name,score\nAnn,3\n", "needs an id column"),
    ("id,name\n7,Ann\n7,Bob\n", "on the roster twice"),
    ("id,name\n", "no students"),
])
def test_unusable_rosters_say_why(text, message):
    with pytest.raises(roster.RosterError, match=message):
        registry.parse_roster(text, "r.csv")


def test_latin1_roster_is_read():
    raw = "id,name\n1,Zoë Ng\n".encode("cp1252")
    (found,) = registry.parse_roster(roster.decode(raw)).students
    assert found.name == "Zoë Ng"


@pytest.fixture
def canvas():
    return registry.load_roster(FILES / "canvas_gradebook.csv")


@pytest.mark.parametrize("key, name, user, expected", [
    ("12345", "smithbob", "12345", "12345"),          # Canvas user id
    ("S1002", "", "", "23456"),                       # SIS user id
    ("emuller", "", "", "34567"),                     # SIS login id
    ("müllereve", "", "", "34567"),                   # Canvas's name slug, as a file name
    ("eve_müller", "", "", "34567"),                  # First Last
    ("EVE MÜLLER", "", "", "34567"),                  # case
    ("lab1-scalar-hito", "", "", "56789"),            # GitHub Classroom folder <lab>-<login>
    ("1234567", "Gina Park", "1234567", "45678"),     # Moodle folder: by the name
])
def test_files_match_by_id_then_folder_suffix_then_name(canvas, key, name, user, expected):
    student, why = roster.find(canvas, key, name, user)
    assert student is not None and student.id == expected and why == ""


def test_unknown_and_ambiguous_claims_are_not_on_roster(canvas):
    assert roster.find(canvas, "99887", "zedzoe", "99887") == (None, "")
    twins = registry.parse_roster("id,name\na1,Ann Lee\na2,Ann Lee\n")
    student, why = roster.find(twins, "ann_lee")
    assert student is None and "matches 2 roster students" in why
    resolve = roster.resolver(twins)
    claim = resolve(Claim("ann_lee"))
    assert claim.off_roster and claim.key == "ann_lee"
    assert resolve(Claim("a2")).key == "a2" and resolve(Claim("a2")).name == "Ann Lee"


def test_missing_rows_for_everyone_without_a_file(canvas):
    handed_in = [Submission(student="12345", source="x.ipynb")]
    missing = roster.attach(canvas, handed_in)
    assert handed_in[0].roster["SIS Login ID"] == "bsmith"
    assert [m.student for m in missing] == ["23456", "34567", "45678", "56789"]
    assert all(m.status_text == "missing" and m.name for m in missing)
    stray = Submission(student="99887")
    stray.flag(Status.NOT_ON_ROSTER)
    assert len(roster.attach(canvas, [stray])) == 5 and stray.roster == {}


def test_roster_survives_results_json():
    found = registry.load_roster(FILES / "moodle_participants.csv")
    assert roster.Roster.from_dict(found.to_dict()) == found


def test_the_worksheet_time_is_the_hand_in_time():
    worksheet = registry.load_roster(FILES / "moodle_worksheet.csv")
    eve = Submission(student="eve.mueller@example.edu", submitted="2026-03-05T10:00:00")
    roster.attach(worksheet, [eve])
    assert eve.submitted == "2026-03-02T09:15:00"              # Moodle's record, not the zip's
