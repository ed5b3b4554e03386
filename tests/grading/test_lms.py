"""From an LMS download to an LMS gradebook, end to end, with the real command line.

Each class is a folder or zip built exactly as the LMS exports it (``files/lms/*.txt``: path |
what the file holds) with lab-1 notebooks from ``grading_submissions``. Few notebooks are
executed (each costs about a second): the naming schemes themselves are covered without
execution in ``tests/grading/intake/test_collect.py``.
"""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from tests import grading_submissions as subs
from tests.conftest import FILES, ROOT

pytestmark = pytest.mark.kernel

FILES = FILES / "lms"
CONTENT = {
    "solution": lambda: nbformat.writes(subs.submission()).encode(),
    "skeleton": lambda: nbformat.writes(subs.submission(solved=())).encode(),
    "sign error": lambda: nbformat.writes(subs.submission(replace={"backward": subs.solution_with(
        "backward", "2.0 * (y2_pred - y_true)", "2.0 * (y_true - y2_pred)")})).encode(),
    "text": lambda: b"print('my answers')\n",
}


def layout(name: str) -> list[tuple[str, str]]:
    rows = []
    for line in (FILES / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(tuple(part.strip() for part in line.split("|")))
    return rows


def build_zip(name: str, target: Path, times: dict[str, tuple] | None = None) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, what in layout(name):
            when = (times or {}).get(path, (2026, 3, 1, 12, 0, 0))
            data = (FILES / what[5:]).read_bytes() if what.startswith("file ") else \
                CONTENT[what]()
            archive.writestr(zipfile.ZipInfo(path, date_time=when), data)
    return target


def coursetools(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "coursetools", *map(str, args)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=900)


def grade(*args):
    return coursetools("grade", "--lab", subs.LAB, "--jobs", 2, "--seed", "tests", "--quiet",
                       *args)


def grade_download(layout_name: str, target: Path, *args, times=None):
    """The download ``files/lms/<layout_name>`` zipped as ``target``, graded into
    ``results/`` beside it with ``args``: (the run, the results folder, grades.csv by student)."""
    out = target.parent / "results"
    run = grade("--submissions", build_zip(layout_name, target, times), "--out", out, *args)
    assert run.returncode == 0, run.stderr
    return run, out, subs.grades_by_student(out)


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))



@pytest.fixture(scope="module")
def canvas(tmp_path_factory):
    """The Canvas class: its zip as downloaded, its gradebook export as the roster."""
    folder = tmp_path_factory.mktemp("canvas")
    download = build_zip("canvas_download.txt", folder / "lab-1-scalar submissions.zip")
    out = folder / "results"
    run = grade("--submissions", download, "--out", out, "--roster",
                FILES / "canvas_gradebook.csv", "--late-penalty", "10%/day,max=50%")
    return {"run": run, "out": out, "folder": folder, "rows": subs.grades_by_student(out)}


def test_canvas_zip_grades_into_the_roster_rows(canvas):
    assert canvas["run"].returncode == 0, canvas["run"].stderr
    rows = canvas["rows"]
    assert {s: (r["name"], r["points"], r["status"]) for s, r in rows.items()} == {
        "12345": ("Smith, Bob", "20", "ok"),                      # the resubmission -1 counts
        "23456": ("Lee, Dave", "10", "ok"),                       # sign error 12, late -2
        "34567": ("Müller, Eve", "20", "ok"),                     # .IPYNB
        "45678": ("Park, Gina", "0", "not a notebook file (lab1.py)"),
        "56789": ("Ito, Hank", "0", "missing"),
        "67890": ("ngann", "0", "not on roster; not a notebook file (a text entry or link, "
                                "not a file)"),
        "99887": ("zedzoe", "20", "not on roster"),
    }
    assert (rows["23456"]["late"], rows["23456"]["penalty"]) == ("yes", "2")
    assert "warning: canvas.csv leaves out 2 row(s)" in canvas["run"].stdout


def test_canvas_import_csv(canvas):
    rows = read_csv(canvas["out"] / "canvas.csv")
    assert rows[:2] == [["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                         "Lab 1: scalar (4521)"], ["Points Possible", "", "", "", "", "20"]]
    assert {row[1]: row[5] for row in rows[2:]} == {"56789": "", "23456": "10", "34567": "20",
                                                    "45678": "0", "12345": "20"}


def test_canvas_feedback_zip_and_html_pages(canvas):
    archive = zipfile.ZipFile(canvas["out"] / "feedback-canvas.zip")
    assert "smithbob_12345_78955_feedback.html" in archive.namelist()
    page = archive.read("leedave_LATE_23456_78902_feedback.html").decode()
    assert page == (canvas["out"] / "feedback" / "23456.html").read_text(encoding="utf-8")
    assert "Late penalty: -2 points" in page


def test_penalty_is_recorded_in_results_and_run_record(canvas):
    results = json.loads((canvas["out"] / "results.json").read_text(encoding="utf-8"))
    assert results["late_penalty"] == "10%/day,max=50%"
    dave = next(s for s in results["students"] if s["student"] == "23456")
    assert (dave["penalty"], dave["final"], dave["late"]) == (2.0, 10.0, True)
    record = json.loads((canvas["out"] / "runs.jsonl").read_text().splitlines()[-1])
    assert record["late_penalty"] == "10%/day,max=50%"
    assert record["roster"] == ["canvas", 5]


def test_overrides_survive_a_regrade_of_one_student(canvas):
    out = canvas["out"]
    (out / "overrides.csv").write_text(
        "student,test,points,reason\n"
        "23456,backward_active_unit,2,the notes used the other sign convention\n"
        "Park Gina,total,5,handed in by e-mail\n", encoding="utf-8")
    again = canvas["folder"] / "bob-again"
    again.mkdir()
    (again / "smithbob_12345_79000_lab1-2.ipynb").write_bytes(CONTENT["sign error"]())
    run = grade("--submissions", again, "--out", out)              # no --roster: it is kept
    assert run.returncode == 0, run.stderr
    assert "graded 2 submissions" in run.stdout                    # Bob's file, Hank missing
    rows = subs.grades_by_student(out)
    assert (rows["12345"]["points"], rows["12345"]["run"]) == ("12", "2")
    assert (rows["23456"]["points"], rows["23456"]["overridden"]) == ("12", "backward_active_unit")
    assert (rows["45678"]["points"], rows["56789"]["status"]) == ("5", "missing")
    assert rows["23456"]["run"] == "1"
    feedback = (out / "feedback" / "45678.md").read_text(encoding="utf-8")
    assert "Reason: handed in by e-mail" in feedback
    assert "✎" in (out / "report.html").read_text(encoding="utf-8")
    assert {r[1]: r[5] for r in read_csv(out / "canvas.csv")[2:]}["45678"] == "5"


def test_canvas_import_fills_the_assignment_column_with_points_scaled_to_it(tmp_path):
    """The roster's column "Lab 1: Backprop for one neuron (4521)" is worth 10 points in Canvas;
    lab 1 is worth 20 raw points: canvas.csv fills that column with 20/20 -> 10, grades.csv keeps
    the raw points, and the run record names the column."""
    _, out, rows = grade_download("canvas_download.txt", tmp_path / "submissions.zip",
                                  "--roster", FILES / "canvas_gradebook_points.csv")
    table = read_csv(out / "canvas.csv")
    assert table[0][5] == "Lab 1: Backprop for one neuron (4521)"
    assert table[1] == ["Points Possible", "", "", "", "", "10"]
    assert {row[1]: row[5] for row in table[2:]} == {"12345": "10", "23456": "6", "34567": "10",
                                                     "45678": "0", "56789": ""}
    assert (rows["12345"]["points"], rows["23456"]["points"]) == ("20", "12")   # raw
    record = json.loads((out / "runs.jsonl").read_text().splitlines()[-1])
    assert record["assignment"] == "Lab 1: Backprop for one neuron (4521)"
    again = coursetools("render", "--out", out, "--points-possible", "4")
    assert again.returncode == 0, again.stderr
    assert read_csv(out / "canvas.csv")[2][5] == "" and read_csv(out / "canvas.csv")[3][5] == "2.4"


def test_a_roster_without_the_labs_column_stops_before_grading(tmp_path):
    roster = tmp_path / "grades.csv"
    roster.write_text((FILES / "canvas_gradebook_points.csv").read_text(encoding="utf-8")
                      .replace("Lab 1: Backprop for one neuron (4521)", "Lab 2 (4522)"),
                      encoding="utf-8")
    run = grade("--submissions", build_zip("canvas_download.txt", tmp_path / "s.zip"), "--out",
                tmp_path / "out", "--roster", roster)
    assert run.returncode == 2 and "the roster has no column for lab1_scalar" in run.stderr
    assert "--assignment" in run.stderr and "'Lab 2 (4522)'" in run.stderr
    assert not (tmp_path / "out").exists()                        # nothing was graded
    unnamed = grade("--submissions", build_zip("canvas_download.txt", tmp_path / "t.zip"),
                    "--out", tmp_path / "out")
    assert unnamed.returncode == 2 and "without a Canvas roster" in unnamed.stderr


def test_render_applies_edited_overrides_without_grading(canvas, tmp_path):
    out = canvas["out"]
    (out / "overrides.csv").write_text("student,test,points,reason\n12345,total,19,oral\n",
                                       encoding="utf-8")
    run = coursetools("render", "--out", out)
    assert run.returncode == 0, run.stderr
    assert subs.grades_by_student(out)["12345"]["points"] == "19"
    assert subs.grades_by_student(out)["45678"]["points"] == "0"                # that override was removed
    (out / "overrides.csv").write_text("student,test,points,reason\n12345,backwrd,1,typo\n",
                                       encoding="utf-8")
    bad = coursetools("render", "--out", out)
    assert bad.returncode == 2 and "line 2: unknown test 'backwrd'" in bad.stderr
    refused = grade("--submissions", tmp_path, "--out", out)       # stops before grading
    assert refused.returncode == 2 and "unknown test 'backwrd'" in refused.stderr
    (out / "overrides.csv").unlink()


def test_rendering_again_gives_byte_identical_files(canvas):
    out = canvas["out"]

    def snapshot():
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
                if p.is_file() and p.name != "runs.jsonl"}

    assert coursetools("render", "--out", out).returncode == 0
    before = snapshot()
    assert coursetools("render", "--out", out).returncode == 0
    assert snapshot() == before and "feedback-canvas.zip" in before


def test_moodle_download_with_participants_deadline_and_exports(tmp_path):
    times = {"Eve Müller_1234567_assignsubmission_file/lab1_scalar.ipynb": (2026, 3, 1, 22, 0, 0),
             "Bob Smith_1234568_assignsubmission_file_/lab1.ipynb": (2026, 3, 3, 9, 30, 0)}
    _, out, rows = grade_download(
        "moodle_download.txt", tmp_path / "Lab 1-12345.zip", "--roster",
        FILES / "moodle_participants.csv", "--deadline", "2026-03-01T23:59",
        "--late-penalty", "2/day,max=5", times=times)
    assert {s: (r["points"], r["late_days"], r["status"]) for s, r in rows.items()} == {
        "S1003": ("20", "", "ok"),
        "S1001": ("8", "2", "ok"),                                 # 12 - 2 days x 2 points
        "ann.ng@example.edu": ("0", "", "not a notebook file (onlinetext.html)"),
    }
    assert read_csv(out / "moodle.csv") == [
        ["First name", "Last name", "ID number", "Email address", "lab1_scalar"],
        ["Ann", "Ng", "", "ann.ng@example.edu", "0"],
        ["Bob", "Smith", "S1001", "bob.smith@example.edu", "8"],
        ["Eve", "Müller", "S1003", "eve.mueller@example.edu", "20"]]
    assert sorted(zipfile.ZipFile(out / "feedback-moodle.zip").namelist()) == [
        "Ann Ng_1234569_assignfeedback_file_/feedback-lab1_scalar.html",
        "Bob Smith_1234568_assignfeedback_file_/feedback-lab1_scalar.html",
        "Eve Müller_1234567_assignfeedback_file_/feedback-lab1_scalar.html"]
    assert not (out / "canvas.csv").exists()
    feedback = (out / "feedback" / "S1001.md").read_text(encoding="utf-8")
    assert "handed in 2026-03-03 09:30:00" in feedback and "-4 points (2 started days" in feedback


def test_gradescope_group_submission_gives_every_member_the_grade(tmp_path):
    _, out, rows = grade_download(
        "gradescope_download.txt", tmp_path / "assignment_7301_export.zip", "--roster",
        FILES / "moodle_participants.csv", "--deadline", "2026-03-01T23:59")
    assert {s: (r["name"], r["points"], r["late"]) for s, r in rows.items()} == {
        "S1003": ("Eve Müller", "20", ""),
        "S1001": ("Bob Smith", "12", "yes"),                     # Gradescope's time: late
        "ann.ng@example.edu": ("Ann Ng", "12", "yes"),           # Bob's group, matched by name
    }
    feedback = (out / "feedback" / "ann.ng@example.edu.md").read_text(encoding="utf-8")
    assert "Graded from the group submission handed in by Bob Smith." in feedback


def test_unusable_roster_or_rule_stops_before_grading(tmp_path):
    (tmp_path / "roster.csv").write_text("name,score\nAnn,3\n", encoding="utf-8")
    (tmp_path / "in").mkdir()
    run = grade("--submissions", tmp_path / "in", "--out", tmp_path / "out", "--roster",
                tmp_path / "roster.csv")
    assert run.returncode == 2 and "needs an id column" in run.stderr
    run = grade("--submissions", tmp_path / "in", "--out", tmp_path / "out",
                "--late-penalty", "10%/wk")
    assert run.returncode == 2 and "10%/day,max=50%" in run.stderr


def test_brightspace_download_with_its_grade_export_deadline_and_import_csv(tmp_path):
    run, out, rows = grade_download(
        "brightspace_download.txt", tmp_path / "Lab 1 Download Mar 3, 2026.zip", "--roster",
        FILES / "brightspace_roster.csv", "--deadline", "2026-03-02T00:00",
        "--late-penalty", "2/day,max=5")
    assert {s: (r["name"], r["points"], r["late_days"], r["status"]) for s, r in rows.items()} == {
        "S1003": ("Eve Müller", "20", "", "ok"),
        "S1001": ("Bob Smith", "18", "1", "ok"),        # the later folder, 9:30 AM: a day late
        "S1004": ("Ann Ng", "0", "1", "not a notebook file (lab1.py)"),
        "S1005": ("Zoe Lee", "0", "", "missing"),
    }
    assert read_csv(out / "brightspace.csv") == [
        ["OrgDefinedId", "Username",
         "Lab 1: scalar Points Grade <Numeric MaxPoints:20 Category:Labs>", "End-of-Line Indicator"],
        ["#S1004", "#ang", "0", "#"], ["#S1001", "#bsmith", "18", "#"],
        ["#S1003", "#emueller", "20", "#"], ["#S1005", "#zlee", "", "#"]]
    assert "index.html: ignored (Brightspace's list of the download)" in run.stdout + run.stderr


def test_blackboard_download_attempts_receipts_and_late_work(tmp_path):
    _, out, rows = grade_download("blackboard_download.txt",
                                  tmp_path / "gradebook_LAB1_2026-03-03.zip",
                                  "--deadline", "2026-03-02T00:00")
    assert {s: (r["name"], r["points"], r["late"]) for s, r in rows.items()} == {
        "emueller": ("Eve Müller", "20", ""),
        "b_smith": ("Bob Smith", "20", "yes"),           # the later attempt, after the deadline
        "ang": ("Ann Ng", "0", "yes"),                   # a text entry, 8:00 on the 2nd
    }
    assert rows["ang"]["status"].startswith("not a notebook file (a text entry")
    feedback = (out / "feedback" / "b_smith.md").read_text(encoding="utf-8")
    assert ("Graded: lab1.ipynb (handed in 2026-03-02 09:30:00) (your latest attempt)." in feedback
            and "not graded: lab1.ipynb (handed in 2026-03-01 10:00:00)." in feedback)
