"""The grading command end to end: one class of honest, cheating, broken and attacking notebooks.

The folder (built in code by ``grading_submissions``) is graded ONCE per session by the real
command line, ``coursetools grade``, every kernel in its sandbox; the tests below read its
outputs. Each case states the points it must get: a cheat or an attack earns nothing its
honest code would not, a fault costs only its own tests, and nothing outside the results
folder changes: not the submissions, not the virtualenv, not the repository.
"""
from __future__ import annotations

import csv
import hashlib
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from coursetools import markers
from tests import grading_inprocess
from tests import grading_submissions as subs
from tests.conftest import ROOT

pytestmark = pytest.mark.kernel

CASES = {case.student: case for case in subs.ALL}


def _snapshot(folder: Path) -> dict[str, tuple]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns,
                                         hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def _site_packages() -> set[str]:
    import site
    return {str(p) for folder in site.getsitepackages() for p in Path(folder).glob("*.pth")}


def _repository_state():
    """Every changed, untracked or ignored path of the checkout, except `_build/`: other
    test workers write executed notebooks there while the class is graded (on a fresh clone
    the folder appears during the run), so it cannot tell the grader's writes from theirs."""
    lines = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.splitlines()
    return sorted(line for line in lines if line[3:].split("/")[0] != "_build")


def grade(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "coursetools", "grade", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=1500)



@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    subs.write_class(folder, subs.ALL)
    before, pth_before = _snapshot(folder), _site_packages()
    repo_before = _repository_state()
    out = tmp_path_factory.mktemp("out")
    started = time.monotonic()
    run = grade("--lab", subs.LAB, "--submissions", folder, "--out", out, "--jobs", 2,
                "--timeout", 5, "--notebook-timeout", 60, "--seed", "tests", "--quiet")
    return {"run": run, "out": out, "folder": folder, "before": before, "rows": subs.grades_by_student(out),
            "seconds": time.monotonic() - started, "pth_before": pth_before,
            "repo_before": repo_before,
            "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def test_the_batch_runs_exits_0_and_every_student_has_a_row(graded):
    assert graded["run"].returncode == 0, graded["run"].stderr
    assert f"graded {len(CASES)} submissions" in graded["run"].stdout
    assert set(graded["rows"]) == set(CASES)


@pytest.mark.parametrize("student", sorted(CASES))
def test_points_and_status(graded, student):
    case, row = CASES[student], graded["rows"][student]
    if case.points is not None:
        assert float(row["points"]) == case.points, row
    if case.status is None:
        return
    if isinstance(case.status, tuple):
        assert row["status"] != "ok" and set(row["status"].split("; ")) <= set(case.status), row
    elif case.status.endswith("..."):
        assert row["status"].startswith(case.status[:-3]), row
    else:
        assert row["status"] == case.status, row


@pytest.mark.parametrize("student", sorted(s for s, c in CASES.items() if c.codes))
def test_mistake_codes_reach_the_feedback(graded, student):
    text = (graded["out"] / "feedback" / f"{student}.md").read_text(encoding="utf-8")
    for code in CASES[student].codes:
        assert f"{code} (" in text, (student, code)


def test_nothing_outside_the_results_folder_changed(graded):
    assert _snapshot(graded["folder"]) == graded["before"], "the submissions changed"
    assert _site_packages() == graded["pth_before"], "a .pth file appeared in the virtualenv"
    assert _repository_state() == graded["repo_before"], "the repository changed"
    assert sorted(p.name for p in graded["out"].iterdir()) == [
        "feedback", "grades.csv", "report.html", "results.json", "runs.jsonl", "similarity.html"]
    assert not any(p.is_symlink() for p in graded["out"].rglob("*"))


def test_the_batch_stays_within_its_budgets(graded):
    # 40 notebooks on 2 cores; the hanging and flooding ones cost at most their budgets.
    assert graded["seconds"] < 600, graded["seconds"]
    assert graded["peak_mb"] < 1500, f"the grader grew to {graded['peak_mb']:.0f} MB"


def test_cheats_and_attacks_earn_nothing_their_honest_code_would_not(graded):
    cheats = [s for s, c in CASES.items() if c.kind == "cheat"]
    assert len(cheats) >= 9
    for student in cheats:     # every cheat is built on the skeleton: 0 is the honest score
        assert graded["rows"][student]["points"] == "0", student
    attacks = [s for s, c in CASES.items() if c.kind == "attack"]
    assert len(attacks) >= 8
    for student in attacks:
        assert float(graded["rows"][student]["points"]) == CASES[student].points, student


def test_a_fault_costs_only_the_function_it_is_in(graded):
    row = graded["rows"]
    for student in ("fault_endless_loop", "fault_segfault", "fault_huge_memory"):
        assert row[student]["forward_active_unit"] == "1"
        assert row[student]["hidden_backward_signs"] == "3"
        assert row[student]["train_one_step"] == "0"
    for student in ("fault_os_exit", "fault_syntax_error", "backward_sign_flipped"):
        assert row[student]["train_three_steps"] == "2", "train runs with the official backward"
        assert row[student]["hidden_backward_signs"] == "0"


def test_the_feedback_names_the_isolation_and_the_failing_dependency(graded):
    text = (graded["out"] / "feedback" / "fault_os_exit.md").read_text(encoding="utf-8")
    assert "it ran with the official forward, which it uses but does not grade" in text


def test_feedback_lists_every_test_with_points(graded):
    text = (graded["out"] / "feedback" / "loss_with_half.md").read_text(encoding="utf-8")
    with open(graded["out"] / "grades.csv", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    for test_id in header[header.index("overridden") + 1:]:
        assert f"| {test_id} |" in text
    assert "Score: **18 / 20** points" in text
    assert "hint [half]" in text and "returned a wrong" in text
    assert "expected (shape" not in text, "no graded input or expected value is shown"


def test_hidden_tests_show_no_source_inputs_or_kernel_text(graded):
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
        assert "tests" not in re.findall(r"seed\W+(\w+)", text)
        for section in re.split(r"^### ", text, flags=re.M)[1:]:
            if "(hidden," in section.splitlines()[0]:
                assert "```" not in section and "expected (shape" not in section, path.name
                assert "LEAK" not in section and "largest difference" not in section
                assert not re.search(r"\w+=-?\d", section), (path.name, section)


def test_statuses_come_only_from_what_the_grader_observed(graded):
    row = graded["rows"]["attack_forged_status"]
    assert row["status"] == "ok" and float(row["points"]) == 16
    assert row["status"] == graded["rows"]["fault_huge_memory"]["status"] == "ok"


def test_notes_name_skipped_code_syntax_errors_and_duplicates(graded):
    feedback = graded["out"] / "feedback"
    text = (feedback / "fault_syntax_error.md").read_text(encoding="utf-8")
    assert "syntax error" in text and "was skipped" in text
    text = (feedback / "cheat_redefined_helpers.md").read_text(encoding="utf-8")
    assert "a definition of check (provided by the official tests) was ignored" in text
    text = (feedback / "stale_copy_ran_first.md").read_text(encoding="utf-8")
    assert "forward is defined in cells" in text and "the one you ran last" in text
    assert "Cell " in (feedback / "attack_cell_source_is_a_number.md").read_text()
    for student in ("perfect", "colab_download"):
        assert "was not run" not in (feedback / f"{student}.md").read_text(encoding="utf-8"), \
            "the lab's own cells are never reported to a student"


def test_report_is_self_contained_with_histogram_and_mistakes(graded):
    html = (graded["out"] / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "Score distribution" in html
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html)
    assert "<script" not in html and "<link" not in html
    for code in ("half", "sign", "not_implemented", "timeout", "crash", "tampering"):
        assert re.search(rf"<t[dh][^>]*>{code}</t[dh]>", html), code


def test_the_kernel_runner_and_the_in_process_runner_give_the_same_points(graded):
    """The flow is one (``pipeline.PER_STUDENT``) and only its runner differs: the sandboxed
    kernels of the real run and ``InProcessRunner`` (tests/grading_inprocess.py, used to grade
    hundreds of variants) must give the same points test by test, and the same status."""
    test_ids = grading_inprocess.lab(subs.LAB).test_ids
    for student in ("perfect", "loss_with_half", "backward_sign_flipped", "forward_relu_on_output",
                    "partial_forward_loss", "colab_download"):
        row = graded["rows"][student]
        inprocess = grading_inprocess.grade(subs.LAB, CASES[student].make(), seed="tests")
        assert {t.test: t.earned for t in inprocess.tests} == {
            test: float(row[test]) for test in test_ids}, student
        assert inprocess.points == float(row["points"]), student
        assert inprocess.status_text == row["status"], student


# ----------------------------------------------------------------------------- a small class
SMALL = ["perfect", "forward_relu_on_output", "backward_sign_flipped", "loss_with_half"]


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    subs.write_class(folder, [CASES[s] for s in SMALL])
    return folder


@pytest.fixture(scope="module")
def small_graded(small_class, tmp_path_factory):
    """The small class graded once (default options); tests that need it graded before they
    start read it, or work on a copy of it."""
    out = tmp_path_factory.mktemp("small-graded") / "out"
    run = grade("--lab", subs.LAB, "--submissions", small_class, "--out", out, "--quiet")
    assert run.returncode == 0, run.stderr
    return out


def _outputs(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "runs.jsonl"}


def test_the_same_folder_graded_twice_gives_identical_results(small_class, small_graded,
                                                              tmp_path):
    """Determinism: the seed belongs to the course (the instructor notebook), not to the run."""
    first, second = small_graded, tmp_path / "second"
    run = grade("--lab", subs.LAB, "--submissions", small_class, "--out", second, "--quiet")
    assert run.returncode == 0, run.stderr
    assert _outputs(first) == _outputs(second)
    import json
    record = json.loads((first / "runs.jsonl").read_text().splitlines()[0])
    assert record["seed_from"] == "instructor notebook" and record["seed"]
    assert len(record["instructor_sha256"]) == 64 and record["versions"]["numpy"]
    assert record["students"] == sorted(SMALL)


def test_a_regrade_updates_its_students_and_keeps_the_class(small_graded, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(small_graded, out)        # the class as its first run left it
    before = subs.grades_by_student(out)
    one = tmp_path / "resubmission"
    one.mkdir()
    nbformat.write(subs.submission(), one / "backward_sign_flipped.ipynb")   # fixed
    run = grade("--lab", subs.LAB, "--submissions", one, "--out", out, "--quiet")
    assert run.returncode == 0, run.stderr
    after = subs.grades_by_student(out)
    assert set(after) == set(before)
    assert after["backward_sign_flipped"]["points"] == "20" and \
        after["backward_sign_flipped"]["run"] == "2"
    for student in set(SMALL) - {"backward_sign_flipped"}:
        assert after[student] == before[student]
    assert sorted(p.stem for p in (out / "feedback").glob("*.md")) == sorted(SMALL)
    assert len((out / "runs.jsonl").read_text().splitlines()) == 2
    fresh = grade("--lab", subs.LAB, "--submissions", one, "--out", out, "--fresh", "--quiet")
    assert fresh.returncode == 0 and set(subs.grades_by_student(out)) == {"backward_sign_flipped"}


def test_unknown_lab_missing_folder_and_unsafe_results_folder_fail_clearly(tmp_path):
    (tmp_path / "s").mkdir()
    run = grade("--lab", "lab99_nothing", "--submissions", tmp_path / "s", "--out", tmp_path / "o")
    assert run.returncode == 2 and "unknown lab 'lab99_nothing'" in run.stderr
    run = grade("--lab", subs.LAB, "--submissions", tmp_path / "missing", "--out",
                tmp_path / "o")
    assert run.returncode == 2 and "does not exist" in run.stderr
    assert not (tmp_path / "o").exists()
    (tmp_path / "o" / "grades.csv").mkdir(parents=True)
    run = grade("--lab", subs.LAB, "--submissions", tmp_path / "s", "--out", tmp_path / "o")
    assert run.returncode == 2 and "grades.csv" in run.stderr


def test_instructor_notebook_from_outside_the_repository(tmp_path):
    """--instructor: hidden tests kept outside the repository decide the grade."""
    nb = nbformat.read(ROOT / "solutions" / f"{subs.LAB}.ipynb", as_version=4)
    private = tmp_path / "private" / "lab1_with_more_hidden.ipynb"
    private.parent.mkdir()
    nb.cells.append(nbformat.v4.new_code_cell(
        '### BEGIN HIDDEN TESTS\nwith graded("hidden_private_extra", points=5, grades=["loss"]):\n'
        '    check(loss, dict(y2_pred=1.0, y_true=3.0), 4.0, "loss", vary=("y2_pred",))\n'
        '### END HIDDEN TESTS'))
    nbformat.write(nb, private)
    folder = tmp_path / "subs"
    folder.mkdir()
    subs.write(CASES["partial_forward_loss"], folder)
    run = grade("--lab", subs.LAB, "--submissions", folder, "--out", tmp_path / "out",
                "--instructor", private, "--jobs", 1)
    assert run.returncode == 0, run.stderr
    assert re.search(r"grading \[#+\] (\d)/\1 notebooks \(1 submission( \+ the reference)?\)",
                     run.stderr)                  # the progress line says what it counts
    row = subs.grades_by_student(tmp_path / "out")["partial_forward_loss"]
    assert (row["points"], row["max_points"], row["hidden_private_extra"]) == ("11", "25", "5")


def _full_marks(out: Path, lab: str, *students: str) -> None:
    """manual.csv giving ``students`` every written answer's points (the model answers)."""
    nb = nbformat.read(ROOT / "solutions" / f"{lab}.ipynb", as_version=4)
    out.mkdir(parents=True, exist_ok=True)
    (out / "manual.csv").write_text("student,answer,points,comment\n" + "".join(
        f"{student},{a.id},{a.points:g},model answer\n" for a in markers.answers(nb)
        for student in students or ("complete",)))


def test_a_lab_whose_contract_is_classes(tmp_path):
    """Lab 4: classes with methods; a misnamed method is reported and costs only its tests."""
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "complete.ipynb").write_bytes((ROOT / "solutions" / "lab4_xor.ipynb").read_bytes())
    renamed = nbformat.read(ROOT / "solutions" / "lab4_xor.ipynb", as_version=4)
    for cell in renamed.cells:
        if cell.cell_type == "code" and cell.source.startswith("class Linear"):
            cell.source = cell.source.replace("def backward(self, grad_u):",
                                              "def backwards(self, grad_u):")
    nbformat.write(renamed, folder / "renamed_method.ipynb")
    (folder / "skeleton.ipynb").write_bytes((ROOT / "labs" / "lab4_xor.ipynb").read_bytes())
    _full_marks(tmp_path / "out", "lab4_xor", "complete", "renamed_method")
    run = grade("--lab", "lab4_xor", "--submissions", folder, "--out", tmp_path / "out",
                "--jobs", 2, "--quiet")
    assert run.returncode == 0, run.stderr
    rows = subs.grades_by_student(tmp_path / "out")
    assert rows["complete"]["status"] == "ok" and rows["complete"]["points"] == rows[
        "complete"]["max_points"]
    assert rows["skeleton"]["status"] == "not attempted" and rows["skeleton"]["points"] == "0"
    renamed_row = rows["renamed_method"]
    assert renamed_row["status"] == "missing method Linear.backward"
    assert 0 < float(renamed_row["points"]) < float(renamed_row["max_points"])


@pytest.mark.parametrize("lab", sorted(p.stem for p in (ROOT / "solutions").glob("lab*.ipynb")))
def test_every_lab_grades_a_class(lab, tmp_path):
    """Each lab through the real command: its solution earns every point, its student
    notebook as handed out is 'not attempted' with 0."""
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "complete.ipynb").write_bytes((ROOT / "solutions" / f"{lab}.ipynb").read_bytes())
    (folder / "untouched.ipynb").write_bytes((ROOT / "labs" / f"{lab}.ipynb").read_bytes())
    _full_marks(tmp_path / "out", lab)
    run = grade("--lab", lab, "--submissions", folder, "--out", tmp_path / "out", "--quiet")
    assert run.returncode == 0, run.stderr
    rows = subs.grades_by_student(tmp_path / "out")
    assert (rows["complete"]["status"], rows["complete"]["points"]) == (
        "ok", rows["complete"]["max_points"])
    assert (rows["untouched"]["status"], rows["untouched"]["points"]) == ("not attempted", "0")
    assert float(rows["complete"]["max_points"]) > 0


def test_without_the_sandbox_a_notebook_that_imports_pyplot_grades_ok(tmp_path):
    """--unsafe-no-sandbox (macOS, Windows): matplotlib's folder lies inside the one folder the
    kernel's guard lets it write to, so `import matplotlib.pyplot` works and lab 4's solution
    is 'ok' with every point (it was 'error while defining')."""
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "complete.ipynb").write_bytes((ROOT / "solutions" / "lab4_xor.ipynb").read_bytes())
    run = grade("--lab", "lab4_xor", "--submissions", folder, "--out", tmp_path / "out",
                "--quiet", "--unsafe-no-sandbox")
    assert run.returncode == 0, run.stderr
    row = subs.grades_by_student(tmp_path / "out")["complete"]
    # every test's point (31); the written answer (2 points) waits for the instructor
    assert (row["status"], row["points"], row["max_points"]) == ("answers to grade", "31", "33")


def test_one_bug_inside_a_class_is_charged_once_by_the_real_command(tmp_path):
    """Lab 6 with `*`'s derivatives swapped, through the sandboxed command: the tests that fail
    only through the student's `*` are run again, each alone in its own notebook, with the
    official `*`, and keep their points."""
    lab = "lab6_autograd"
    text = (ROOT / "solutions" / f"{lab}.ipynb").read_text(encoding="utf-8")
    rule = ('            self.grad += other.data * out.grad\\n",\n'
            '    "            other.grad += self.data * out.grad\\n"')
    swapped = ('            self.grad += self.data * out.grad\\n",\n'
               '    "            other.grad += other.data * out.grad\\n"')
    assert text.count(rule) == 1
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "complete.ipynb").write_text(text, encoding="utf-8")
    (folder / "swapped.ipynb").write_text(text.replace(rule, swapped), encoding="utf-8")
    out = tmp_path / "out"
    run = grade("--lab", lab, "--submissions", folder, "--out", out, "--quiet", "--keep-work")
    assert run.returncode == 0, run.stderr
    rows = subs.grades_by_student(out)
    # the test of `*`, its share of the test of all local derivatives, the hidden formulas
    assert (rows["complete"]["points"], rows["swapped"]["points"]) == ("52", "47.6")
    variants = sorted((out / "work" / "variants").glob("*.ipynb"))
    assert len(variants) >= 5, "one notebook per variant"
