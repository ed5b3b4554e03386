"""The grading command end to end: one folder of honest, cheating and broken submissions.

The folder (built in code by ``grading_submissions``) is graded ONCE per session by the real
command line, ``python -m coursetools grade``; every test below reads its outputs. Each case
states the points it must get: a cheat must earn nothing that its honest code would not, a
fault must cost only its own tests, and the submissions folder must not change.
"""
from __future__ import annotations

import csv
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import grading_submissions as subs

ROOT = Path(__file__).resolve().parents[1]
CASES = {case.student: case for case in subs.CASES}


def _snapshot(folder: Path) -> dict[str, tuple]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns,
                     hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(folder.iterdir())}


def _grade(*args, cwd=ROOT):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "coursetools", "grade", *map(str, args)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    subs.write_class(folder)
    (folder / "notes.txt").write_text("not a notebook, and not .ipynb: ignored\n")
    before = _snapshot(folder)
    out = tmp_path_factory.mktemp("out")
    run = _grade("--lab", subs.LAB, "--submissions", folder, "--out", out, "--jobs", 2,
                 "--timeout", 5, "--seed", "tests", "--quiet")
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return {"run": run, "out": out, "folder": folder, "before": before, "rows": rows,
            "by_student": {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}}


def test_the_batch_runs_and_exits_0(graded):
    assert graded["run"].returncode == 0, graded["run"].stderr
    assert f"graded {len(CASES)} submissions" in graded["run"].stdout


def test_submissions_folder_is_unchanged(graded):
    assert _snapshot(graded["folder"]) == graded["before"]


def test_csv_header_rows_and_order(graded):
    rows = graded["rows"]
    lab = nbformat.read(ROOT / "solutions" / f"{subs.LAB}.ipynb", as_version=4)
    from coursetools import markers
    test_ids = [t for info in markers.parse_notebook(lab) for t in info.tests]
    assert rows[0] == ["student", "lab", "points", "max_points", "status", *test_ids]
    students = [row[0] for row in rows[1:]]
    assert students == sorted(CASES)
    for row in rows[1:]:
        assert row[1] == subs.LAB and row[3] == "20"
        assert float(row[2]) == sum(float(v) for v in row[5:])


@pytest.mark.parametrize("student", sorted(CASES))
def test_points_and_status(graded, student):
    case = CASES[student]
    row = graded["by_student"][student]
    if case.points is not None:
        assert float(row["points"]) == case.points, row
    assert row["status"] == case.status, row


@pytest.mark.parametrize("student", sorted(s for s, c in CASES.items() if c.codes))
def test_mistake_codes_reach_the_feedback(graded, student):
    text = (graded["out"] / "feedback" / f"{student}.md").read_text(encoding="utf-8")
    for code in CASES[student].codes:
        assert f"{code} (" in text, (student, code)


def test_cheats_earn_nothing_their_honest_code_would_not(graded):
    # Every cheat is built on the skeleton (no function implemented): 0 is the honest score.
    cheats = [s for s, c in CASES.items() if c.kind == "cheat"]
    assert len(cheats) >= 9
    for student in cheats:
        assert graded["by_student"][student]["points"] == "0", student


def test_faults_cost_only_the_affected_tests(graded):
    row = graded["by_student"]
    # train loops forever / crashes / allocates too much: the other 14 points stay.
    for student in ("fault_endless_loop", "fault_segfault", "fault_huge_memory"):
        assert row[student]["forward_active_unit"] == "1"
        assert row[student]["hidden_backward_signs"] == "3"
        assert row[student]["train_one_step"] == "0"
    # After a crash in backward, a fresh kernel still grades nothing wrongly.
    assert row["fault_os_exit"]["loss_values"] == "1"
    assert row["perfect"]["points"] == "20"


def test_sign_error_is_diagnosed_and_costs_points(graded):
    row = graded["by_student"]["backward_sign_flipped"]
    assert 6 <= float(row["points"]) < 20
    assert row["forward_active_unit"] == "1" and row["loss_values"] == "1"


def test_feedback_lists_every_test_with_points(graded):
    text = (graded["out"] / "feedback" / "loss_with_half.md").read_text(encoding="utf-8")
    for test_id in graded["rows"][0][5:]:
        assert f"| {test_id} |" in text
    assert "Score: **12 / 20** points" in text
    assert "hint [half]" in text              # the targeted message of a visible test
    assert "expected (shape ()):" in text


def test_hidden_tests_show_no_source_or_inputs(graded):
    solution = nbformat.read(ROOT / "solutions" / f"{subs.LAB}.ipynb", as_version=4)
    hidden_lines = {line.strip() for cell in solution.cells
                    if cell.cell_type == "code" and "BEGIN HIDDEN TESTS" in cell.source
                    for line in cell.source.splitlines()
                    if len(line.strip()) > 12 and "graded(" not in line and "###" not in line}
    assert hidden_lines
    for path in (graded["out"] / "feedback").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        for line in hidden_lines:
            assert line not in text, (path.name, line)
        for section in re.split(r"^### ", text, flags=re.M)[1:]:
            if "(hidden," in section.splitlines()[0]:
                assert "```" not in section and "expected (shape" not in section, path.name
                assert not re.search(r"\w+=-?\d", section), (path.name, section)


def test_feedback_of_hidden_failure_gives_a_hint(graded):
    text = (graded["out"] / "feedback" / "loss_with_half.md").read_text(encoding="utf-8")
    section = text.split("### hidden_loss_random", 1)[1].split("###", 1)[0]
    assert "half" in section


def test_notes_name_skipped_code_and_syntax_errors(graded):
    text = (graded["out"] / "feedback" / "fault_syntax_error.md").read_text(encoding="utf-8")
    assert "syntax error" in text and "was skipped" in text
    text = (graded["out"] / "feedback" / "cheat_redefined_helpers.md").read_text(encoding="utf-8")
    assert "a definition of check (provided by the official tests) was ignored" in text


def test_report_is_self_contained_with_histogram_and_mistakes(graded):
    html = (graded["out"] / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "Score distribution" in html
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html)
    assert "<script" not in html and "<link" not in html
    for code in ("half", "sign", "not_implemented", "timeout", "crash", "tampering"):
        assert re.search(rf"<t[dh][^>]*>{code}</t[dh]>", html), code
    for student in CASES:
        assert re.search(rf"<td[^>]*>{student}</td>", html), student


def test_unknown_lab_and_missing_folder_fail_clearly(tmp_path):
    run = _grade("--lab", "lab99_nothing", "--submissions", tmp_path, "--out", tmp_path / "o")
    assert run.returncode == 2 and "unknown lab 'lab99_nothing'" in run.stderr
    run = _grade("--lab", subs.LAB, "--submissions", tmp_path / "missing", "--out",
                 tmp_path / "o")
    assert run.returncode == 2 and "does not exist" in run.stderr
    assert not (tmp_path / "o").exists()


def test_instructor_notebook_from_outside_the_repository(tmp_path):
    """--instructor: hidden tests kept outside the repository decide the grade."""
    nb = nbformat.read(ROOT / "solutions" / f"{subs.LAB}.ipynb", as_version=4)
    private = tmp_path / "private" / "lab1_with_more_hidden.ipynb"
    private.parent.mkdir()
    nb.cells.append(nbformat.v4.new_code_cell(
        '### BEGIN HIDDEN TESTS\nwith graded("hidden_private_extra", points=5):\n'
        '    check(loss, dict(y2_pred=1.0, y_true=3.0), 4.0, "loss", vary=("y2_pred",))\n'
        '### END HIDDEN TESTS'))
    nbformat.write(nb, private)
    folder = tmp_path / "subs"
    folder.mkdir()
    subs.write(CASES["partial_forward_loss"], folder)
    run = _grade("--lab", subs.LAB, "--submissions", folder, "--out", tmp_path / "out",
                 "--instructor", private, "--jobs", 1)
    assert run.returncode == 0, run.stderr
    assert "grading [" in run.stderr and "2/2 notebooks" in run.stderr   # the progress line
    rows = list(csv.reader(open(tmp_path / "out" / "grades.csv", encoding="utf-8")))
    assert rows[0][-1] == "hidden_private_extra"
    assert rows[1][2:4] == ["11", "25"] and rows[1][-1] == "5"


def test_a_lab_whose_contract_is_classes(tmp_path):
    """Lab 4: classes with methods; a misnamed method is reported and costs only its tests."""
    solution = nbformat.read(ROOT / "solutions" / "lab4_xor.ipynb", as_version=4)
    folder = tmp_path / "subs"
    folder.mkdir()
    nbformat.write(solution, folder / "complete.ipynb")
    renamed = nbformat.read(ROOT / "solutions" / "lab4_xor.ipynb", as_version=4)
    for cell in renamed.cells:
        if cell.cell_type == "code" and cell.source.startswith("class Linear"):
            cell.source = cell.source.replace("def backward(self, grad_u):",
                                              "def backwards(self, grad_u):")
    nbformat.write(renamed, folder / "renamed_method.ipynb")
    (folder / "skeleton.ipynb").write_bytes((ROOT / "labs" / "lab4_xor.ipynb").read_bytes())
    run = _grade("--lab", "lab4_xor", "--submissions", folder, "--out", tmp_path / "out",
                 "--jobs", 2, "--quiet")
    assert run.returncode == 0, run.stderr
    rows = {r["student"]: r for r in csv.DictReader(open(tmp_path / "out" / "grades.csv"))}
    assert rows["complete"]["status"] == "ok" and rows["complete"]["points"] == rows[
        "complete"]["max_points"]
    assert rows["skeleton"]["status"] == "ok" and rows["skeleton"]["points"] == "0"
    renamed_row = rows["renamed_method"]
    assert renamed_row["status"] == "missing method Linear.backward"
    assert 0 < float(renamed_row["points"]) < float(renamed_row["max_points"])

