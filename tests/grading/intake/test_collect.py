"""collect: every LMS's file names and folders become the right rows (no notebook is executed).

The layouts in ``tests/files/lms/*.txt`` are the folders as each LMS exports them (path | what
the file holds); here the files hold placeholder bytes, since only the names matter.
"""
from __future__ import annotations

import unicodedata
import zipfile
from pathlib import Path

import pytest

from coursetools.grading.intake import collect
from coursetools.grading.records import LmsIdentity, Scheme, Status
from tests.conftest import FILES

FILES = FILES / "lms"
NOTEBOOK = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def layout(name: str) -> list[tuple[str, str]]:
    rows = []
    for line in (FILES / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            path, what = (part.strip() for part in line.split("|"))
            rows.append((path, what))
    return rows


def content(path: str, what: str = "") -> bytes:
    if what.startswith("file "):
        return (FILES / what.split(" ", 1)[1]).read_bytes()
    return NOTEBOOK if ".ipynb" in path.lower() else b"text"


def make_zip(target: Path, paths, when=(2026, 3, 2, 9, 15, 0)) -> Path:
    """A zip of ``paths`` (or of (path, what) pairs of a layout)."""
    with zipfile.ZipFile(target, "w") as archive:
        for item in paths:
            path, what = item if isinstance(item, tuple) else (item, "")
            archive.writestr(zipfile.ZipInfo(path, date_time=when), content(path, what))
    return target


def make_folder(target: Path, paths) -> Path:
    for path in paths:
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        (target / path).write_bytes(NOTEBOOK if ".ipynb" in path.lower() else b"text")
    return target


def rows(source) -> dict:
    return {s.student: s for s in collect.collect(source).submissions}


@pytest.mark.parametrize("name, student, late, original", [
    ("bob_12345_67890_lab1.ipynb", "12345", False, "lab1.ipynb"),
    ("dave_LATE_23456_78901_lab1_scalar.ipynb", "23456", True, "lab1_scalar.ipynb"),
    ("o_neil_34567_78902_my_lab.ipynb", "34567", False, "my_lab.ipynb"),
    ("müllereve_34567_78903_Lab1.IPYNB", "34567", False, "Lab1.IPYNB"),
])
def test_canvas_names_give_user_id_late_flag_and_original_name(name, student, late, original):
    claim = collect.identify(collect.File(collect.PurePosixPath(name)))
    assert (claim.key, claim.late, claim.original, claim.scheme) == (student, late, original,
                                                                     Scheme.CANVAS)
    assert claim.prefix == name[: -len(original) - 1]


def test_the_issue_example_is_canvas_user_12345_named_bob():
    claim = collect.identify(collect.File(collect.PurePosixPath("bob_12345_67890_lab1.ipynb")))
    assert claim.key == "12345" and claim.name == "bob" and claim.order == 67890


def test_canvas_anonymous_text_entry_and_resubmission_suffix():
    anonymous = collect.identify(collect.File(
        collect.PurePosixPath("LATE_anon_k3Zx9_78904_lab1.ipynb")))
    assert (anonymous.key, anonymous.late) == ("anon_k3Zx9", True)
    text = collect.identify(collect.File(collect.PurePosixPath("ngann_67890_text.html")))
    assert (text.key, text.scheme) == ("67890", Scheme.CANVAS_TEXT)
    again = collect.identify(collect.File(collect.PurePosixPath("bob_12345_67999_lab1-2.ipynb")))
    assert again.attempt == 2


def test_canvas_download_latest_attempt_counts_and_others_are_listed(tmp_path):
    found = rows(make_zip(tmp_path / "submissions.zip", [p for p, _ in layout(
        "canvas_download.txt")]))
    assert sorted(found) == ["12345", "23456", "34567", "45678", "67890", "99887"]
    bob = found["12345"]
    assert bob.source == "smithbob_12345_78955_lab1-1.ipynb" and bob.attempt == 1
    assert bob.other_files == ["smithbob_12345_78901_lab1.ipynb"]
    assert any("not graded: lab1.ipynb" in note for note in bob.notes)
    assert found["23456"].late and not found["12345"].late
    assert found["34567"].raw == NOTEBOOK                       # .IPYNB is a notebook
    assert found["45678"].status_text == "not a notebook file (lab1.py)"
    assert found["67890"].status_text.startswith("not a notebook file (a text entry")
    assert all(s.submitted == "" for s in found.values())      # a Canvas zip holds download times
    assert found["12345"].lms == LmsIdentity(Scheme.CANVAS, "12345", "smithbob_12345_78955")


def test_later_canvas_file_id_wins_without_a_suffix(tmp_path):
    found = rows(make_zip(tmp_path / "s.zip", ["bob_12345_70000_lab1.ipynb",
                                               "bob_12345_69999_lab1_final.ipynb"]))
    assert found["12345"].source == "bob_12345_70000_lab1.ipynb"


@pytest.mark.parametrize("name", ["moodle_download.txt", "moodle_download_flat.txt"])
def test_moodle_folders_and_flat_names(tmp_path, name):
    found = rows(make_zip(tmp_path / "m.zip", [p for p, _ in layout(name)]))
    eve = found["1234567"]
    assert eve.name == "Eve Müller" and eve.raw == NOTEBOOK
    assert eve.lms.prefix == "Eve Müller_1234567"
    assert eve.submitted == "2026-03-02T09:15:00"                 # the zip member's time
    assert found["1234568"].name == "Bob Smith"
    if name == "moodle_download.txt":
        assert found["1234568"].other_files == [
            "Bob Smith_1234568_assignsubmission_file_/notes.txt"]
        assert found["1234569"].status_text == "not a notebook file (onlinetext.html)"


def test_moodle_blind_marking_has_no_name():
    claim = collect.identify(collect.File(collect.PurePosixPath(
        "Participant_1234570_assignsubmission_file/lab1.ipynb")))
    assert (claim.key, claim.name) == ("1234570", "")


def test_folder_per_student_and_plain_files(tmp_path):
    folders = rows(make_folder(tmp_path / "f", [p for p, _ in layout("folders.txt")]))
    assert sorted(folders) == ["lab1-scalar-bob-smith", "lab1-scalar-eve-mueller"]
    assert folders["lab1-scalar-eve-mueller"].other_files == ["lab1-scalar-eve-mueller/README.md"]
    plain = rows(make_folder(tmp_path / "p", [p for p, _ in layout("plain.txt")]))
    assert sorted(plain) == ["alice", "bob", "gina"]
    assert plain["bob"].raw == NOTEBOOK
    assert plain["gina"].status_text == "not a notebook file (gina.py)"
    assert plain["bob"].submitted == ""                          # a folder carries no hand-in time


def test_gradescope_export_is_read_with_its_metadata(tmp_path):
    collected = collect.collect(make_zip(tmp_path / "g.zip", layout("gradescope_download.txt")))
    found = {s.student: s for s in collected.submissions}
    assert sorted(found) == ["S1001", "S1003", "S1004"]
    eve = found["S1003"]
    assert (eve.name, eve.submitted, eve.source) == (
        "Eve Müller", "2026-03-01T21:48:05", "submission_51234567/lab1_scalar.ipynb")
    bob, ann = found["S1001"], found["S1004"]
    assert "A group submission, also for: Ann Ng." in bob.notes and bob.raw == NOTEBOOK
    # Ann's row: the group's file, graded once (with Bob's), her own name.
    assert (ann.name, ann.source, ann.raw, ann.lms.group_of) == (
        "Ann Ng", bob.source, None, "S1001")
    assert collected.warnings == []


def test_a_wrapping_folder_is_looked_through(tmp_path):
    found = rows(make_zip(tmp_path / "w.zip", ["Lab 1 submissions/bob_12345_67890_lab1.ipynb",
                                               "Lab 1 submissions/eve_34567_67891_lab1.ipynb"]))
    assert sorted(found) == ["12345", "34567"]
    one = rows(make_zip(tmp_path / "one.zip", ["alice/lab1.ipynb", "alice/notes.txt"]))
    assert list(one) == ["alice"]                               # a single student's folder stays


def test_unicode_names_are_normalised_and_dos_encoded_zip_names_decoded(tmp_path):
    decomposed = unicodedata.normalize("NFD",
                                       "Eve Müller_1234567_assignsubmission_file/lab1.ipynb")
    target = tmp_path / "nfd.zip"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr(decomposed, NOTEBOOK)
        archive.writestr("ZoXY Ng_1234599_assignsubmission_file/lab1.ipynb", NOTEBOOK)
    # An old zip tool: the name's UTF-8 bytes without the UTF-8 flag (read as DOS cp437).
    target.write_bytes(target.read_bytes().replace(b"ZoXY", "Zoë".encode("utf-8")))
    found = rows(target)
    assert found["1234567"].name == "Eve Müller"                 # NFC, as typed on a roster
    assert found["1234599"].name == "Zoë Ng"


def test_same_student_in_two_cases_is_one_row(tmp_path):
    found = rows(make_folder(tmp_path / "c", ["Alice/lab1.ipynb", "alice.ipynb"]))
    assert len(found) == 1


def test_every_file_is_a_row_or_a_warning(tmp_path):
    folder = make_folder(tmp_path / "x", ["alice.ipynb", "report.pdf", ".DS_Store"])
    collected = collect.collect(folder)
    assert {s.student: s.status_text for s in collected.submissions} == {
        "alice": "ok", "report": "not a notebook file (report.pdf)"}
    assert collected.warnings == [".DS_Store: ignored (a system file)"]
    assert Status.NOT_A_NOTEBOOK_FILE in [n.status for s in collected.submissions
                                          for n in s.statuses]


def test_blackboard_download_reads_receipts_attempts_and_times(tmp_path):
    collected = collect.collect(make_zip(tmp_path / "bb.zip", layout("blackboard_download.txt")))
    found = {s.student: s for s in collected.submissions}
    assert sorted(found) == ["ang", "b_smith", "emueller"]     # a username with an underscore
    eve = found["emueller"]
    assert (eve.name, eve.raw, eve.submitted) == ("Eve Müller", NOTEBOOK, "2026-03-01T21:48:05")
    assert eve.other_files == [] and eve.lms.scheme is Scheme.BLACKBOARD
    bob = found["b_smith"]                                       # the later attempt counts
    assert bob.source == "Lab 1_b_smith_attempt_2026-03-02-09-30-00_lab1.ipynb"
    assert bob.other_files == ["Lab 1_b_smith_attempt_2026-03-01-10-00-00_lab1.ipynb"]
    assert bob.submitted == "2026-03-02T09:30:00" and bob.name == "Bob Smith"
    ann = found["ang"]                                           # a receipt alone: text only
    assert ann.status_text.startswith("not a notebook file (a text entry")
    assert collected.warnings == []


@pytest.mark.parametrize("name", ["brightspace_download.txt", "brightspace_download_flat.txt"])
def test_brightspace_download_folders_and_flat_names(tmp_path, name):
    collected = collect.collect(make_zip(tmp_path / "d2l.zip", layout(name)))
    found = {s.student: s for s in collected.submissions}
    assert sorted(found) == ["Ann Ng", "Bob Smith", "Eve Müller"]
    assert found["Eve Müller"].submitted == "2026-03-01T21:48:00"     # 948 PM
    assert found["Ann Ng"].status_text == "not a notebook file (lab1.py)"
    bob = found["Bob Smith"]
    assert bob.submitted == "2026-03-02T09:30:00" and len(bob.other_files) == 1
    assert "Mar 2, 2026 930 AM" in bob.source
    assert collected.warnings == ["index.html: ignored (Brightspace's list of the download)"]


def test_brightspace_time_after_midnight_and_names_matched_on_a_roster(tmp_path):
    claim = collect.identify(collect.File(collect.PurePosixPath(
        "84512-304 - Ann Ng - Mar 2, 2026 1205 AM/lab1.ipynb")))
    assert (claim.key, claim.submitted) == ("Ann Ng", "2026-03-02T00:05:00")
    from coursetools.grading.lms import registry, roster
    class_list = registry.load_roster(FILES / "brightspace_roster.csv")
    collected = collect.collect(make_zip(tmp_path / "d2l.zip", layout("brightspace_download.txt")),
                                roster.resolver(class_list))
    assert sorted(s.student for s in collected.submissions) == ["S1001", "S1003", "S1004"]
    assert [s.student for s in roster.attach(class_list, collected.submissions)] == ["S1005"]


def test_names_that_only_look_like_an_lms_stay_plain():
    for name in ["notes_attempt_2026-03-01_lab1.ipynb", "1-2 - Eve - Smarch 1, 2026 948 PM/x.ipynb",
                 "1-2 - Eve - Mar 1, 2026 948 PM"]:
        claim = collect.identify(collect.File(collect.PurePosixPath(name)))
        assert claim.scheme in (Scheme.FILE, Scheme.FOLDER), (name, claim)


@pytest.mark.parametrize("name", ["blackboard_download.txt", "brightspace_download.txt"])
def test_the_hand_in_time_in_the_name_decides_late_work(tmp_path, name):
    from coursetools.grading.results import late
    found = rows(make_zip(tmp_path / "x.zip", layout(name)))
    deadline = late.parse_deadline("2026-03-02 00:00")
    days = {s.student: late.days_late(s.submitted, deadline) for s in found.values()
            if s.submitted}
    bob = next(k for k in days if "smith" in k.casefold())
    eve = next(k for k in days if "m" in k.casefold() and "ller" in k.casefold())
    assert (days[bob], days[eve]) == (1, 0)
