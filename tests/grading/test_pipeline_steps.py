"""coursetools.grading.pipeline, step by step without kernels: prepare, isolation of faults,
names of feedback files, refusals before anything runs. (The whole run: tests/grading/test_pipeline.py.)"""
import copy
import functools
from pathlib import Path

import nbformat
import pytest

from tests import grading_submissions as subs
from coursetools.grading import pipeline
from coursetools.grading.lab import build, instructor
from coursetools.grading.records import Status, Submission
from coursetools.grading.score import judge
from tests.conftest import ROOT

LAB = instructor.load(ROOT / "solutions" / "lab1_scalar.ipynb", "lab1_scalar")


def prepared(nb):
    sub = Submission(student="s", raw=nbformat.writes(nb).encode())
    return sub, pipeline.prepare(sub, LAB, {})


def test_the_skeleton_is_not_attempted_and_runs_nothing():
    sub, codes = prepared(subs.submission(solved=()))
    assert codes is None and sub.status_text == "not attempted"


def test_a_missing_function_is_named_and_the_rest_is_kept():
    sub, codes = prepared(subs.submission(replace={"backward": subs.solution_with(
        "backward", "def backward(", "def backprop(")}))
    assert sub.status_text == "missing function backward" and codes


def test_the_labs_own_cells_are_never_reported_but_the_students_are():
    sub, _ = prepared(subs.submission())
    assert not any("was not run" in n for n in sub.notes)
    sub, _ = prepared(subs.submission(append=("for i in range(3):\n    print(i)",)))
    assert any("was not run" in n for n in sub.notes)


def test_a_fault_of_the_grader_on_one_file_is_that_students_status():
    sub, warnings = Submission(student="s"), []
    assert pipeline.isolated(sub, "extract", warnings, lambda: 1 / 0) is None
    assert sub.status_text == "grader error (extract)" and "ZeroDivisionError" in warnings[0]


def test_feedback_file_names_are_safe_and_distinct():
    names = {pipeline.feedback_name(s) for s in ("a/b", "a_b", "../x", "=cmd()", "Eve Müller")}
    assert len(names) == 5 and all("/" not in n and not n.startswith(".") for n in names)
    assert pipeline.feedback_name("alice") == "alice"


def test_untouched_skeletons_say_not_implemented_on_every_test():
    refs = {t: type("R", (), {"points": 1.0, "hidden": False, "subject": None})()
            for t in LAB.test_ids}
    sub = Submission(student="s")
    sub.flag(Status.NOT_ATTEMPTED)
    assert {tuple(t.codes) for t in pipeline.tests_not_executed(sub, LAB, refs)} == \
        {("not_implemented",)}
    assert {tuple(t.codes) for t in pipeline.tests_not_executed(Submission("x"), LAB, refs)} == {()}


def test_runs_that_cannot_start_say_why(tmp_path):
    bad_zip = tmp_path / "class.zip"
    bad_zip.write_bytes(b"not a zip")
    for options, message in (
            (pipeline.Options("lab1_scalar", bad_zip, tmp_path / "out"), "cannot be read"),
            (pipeline.Options("lab1_scalar", tmp_path, tmp_path / "out"), "inside the submissions"),
            (pipeline.Options("nope", tmp_path, tmp_path.parent / "o"), "unknown lab")):
        with pytest.raises(pipeline.GradingError, match=message):
            pipeline.grade(options)


def _swapped_lab6(tmp_path):
    """Lab 6 with `*`'s two derivatives swapped: its tests of the class fail together, so the
    grader looks again at each with the official methods (a method variant per test). Graded
    in process once per session (lab 6's training is the slow part); each test gets its own
    copy of the submission and of its prepared code, which ``second_round`` may change; and
    the inputs key it is graded on, whose references grading it in process added."""
    the_lab, sub, prepared, refs, keys = _graded_swapped_lab6()
    return the_lab, copy.deepcopy(sub), copy.deepcopy(prepared), refs, keys


@functools.lru_cache(maxsize=None)
def _graded_swapped_lab6():
    from tests import grading_inprocess
    lab = "lab6_autograd"
    text = (ROOT / "solutions" / f"{lab}.ipynb").read_text(encoding="utf-8")
    rule = ('            self.grad += other.data * out.grad\\n",\n'
            '    "            other.grad += self.data * out.grad\\n"')
    swapped = ('            self.grad += self.data * out.grad\\n",\n'
               '    "            other.grad += other.data * out.grad\\n"')
    nb = nbformat.reads(text.replace(rule, swapped), as_version=4)
    sub = grading_inprocess.grade(lab, nb)
    the_lab = grading_inprocess.lab(lab)
    codes = pipeline.prepare(Submission(student="x", raw=nbformat.writes(nb).encode()),
                             the_lab, {})
    sub.key = "s00001"
    key = build.inputs_key("tests", codes)
    refs = grading_inprocess.reference(lab, "tests", key)
    return the_lab, sub, {sub.key: codes}, refs, {sub.key: key}


class RecordingRunner:
    """A runner that runs nothing: it keeps the sessions it was given, each with no results."""

    def __init__(self):
        self.seen = {}

    def run(self, work, sessions, *, jobs=None, title="grading", what=""):
        from coursetools.grading.run import execute
        self.seen.update(sessions)
        return {k: execute.SessionResult({}, 0.0) for k in sessions}


@pytest.mark.parametrize("spent, expect_session", [(12.0, True), (44.0, False)])
def test_method_variants_share_what_the_main_run_left_of_the_submissions_budget(
        tmp_path, spent, expect_session):
    the_lab, sub, prepared, refs, keys = _swapped_lab6(tmp_path)
    runner = RecordingRunner()
    run = pipeline.Run(the_lab, "tests", runner, tmp_path, subs=[sub], refs=refs,
                       prepared=prepared, keys=keys, notebook_seconds=45,
                       spent={sub.key: spent})
    candidates = judge.variant_candidates(the_lab, sub.tests)
    assert len(candidates) >= 2
    pipeline.second_round(run)
    if expect_session:   # every variant of the student in ONE session, within 45 - 12 s
        (session,) = runner.seen.values()
        assert session.seconds == 45 - spent and len(session.notebooks) == len(candidates)
    else:                # less than MIN_VARIANT_SECONDS left: no second round, and it says so
        assert runner.seen == {} and any("time budget" in note for note in sub.notes)


def test_the_conductor_runs_the_per_student_flow_through_the_runner_it_is_given(tmp_path):
    """One student, the reference of its inputs key run by the runner too: every notebook
    reaches the injected runner, and a runner that returns nothing for the reference stops
    the run."""
    runner = RecordingRunner()
    sub = Submission(student="s", raw=nbformat.writes(subs.submission()).encode())
    run = pipeline.Run(LAB, "tests", runner, tmp_path, subs=[sub])
    with pytest.raises(pipeline.GradingError, match="the reference did not run"):
        pipeline.conduct(run)
    assert set(runner.seen) == {f"{pipeline.REFERENCE}-0", "s00001"} and sub.key == "s00001"
    assert run.keys == {"s00001": build.inputs_key("tests", run.prepared["s00001"])}


def test_a_notebook_whose_worker_was_lost_is_that_students_crash_not_tampering():
    from tests import grading_inprocess
    the_lab = grading_inprocess.lab(subs.LAB)
    key = build.inputs_key("tests", the_lab.definitions)
    (nb,) = build.reference_notebooks(the_lab, [key], 1)
    reference = build.split_reference(nb, grading_inprocess.execute(nb))[key]
    lost, fine = Submission(student="lost"), Submission(student="fine")
    lost.key, fine.key = "s00001", "s00002"
    run = pipeline.Run(the_lab, "tests", RecordingRunner(), Path("unused"), subs=[lost, fine],
                       keys={"s00001": key, "s00002": key}, references={key: reference},
                       results={"s00001": [], "s00002": reference})
    pipeline.score_all(run)
    warnings = run.warnings
    assert [s.status for s in lost.statuses] == [Status.KERNEL_DIED]
    assert all(t.codes == ["crash"] and t.earned == 0 for t in lost.tests)
    assert fine.statuses == [] and all(t.passed for t in fine.tests)
    assert warnings and "lost" in warnings[0]
