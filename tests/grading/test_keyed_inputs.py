"""Graded inputs keyed by the seed and each submission's graded code, through the whole grader
(``pipeline.grade``; grading issue 22, item 2 "inputs that cannot be farmed").

The kernels are replaced by running each grading notebook's cells in this process (our own
submissions only), which counts every notebook that would have had a kernel of its own: the
reference must serve many keys in at most ``--jobs`` kernels, and a regrade of unchanged
submissions must run no reference at all.
"""
from __future__ import annotations

import json

import nbformat
import pytest

from coursetools.grading import pipeline
from coursetools.grading.lab import build
from coursetools.grading.run import execute
from coursetools.grading.score import judge
from coursetools.kernel import protocol
from tests import grading_inprocess
from tests import grading_submissions as subs

SEED = "keyed-inputs-seed"
WRONG_BACKWARD = subs.solution_with("backward", "2.0 * (y2_pred - y_true)", "(y2_pred - y_true)")


@pytest.fixture
def kernels(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    runner = grading_inprocess.Kernels()
    monkeypatch.setattr(execute, "run_sessions", runner)
    return runner


def write_class(folder, notebooks: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for student, nb in notebooks.items():
        nbformat.write(nb, folder / f"{student}.ipynb")


def grade(folder, out, jobs: int):
    options = pipeline.Options(lab=subs.LAB, submissions=folder, out=out, jobs=jobs, seed=SEED,
                               unsafe_no_sandbox=True, progress=False, fresh=True)
    return pipeline.grade(options)


def graded(outcome, kernels: grading_inprocess.Kernels) -> dict[str, tuple[str, float]]:
    """student -> (the inputs key its notebook drew from, its points)."""
    return {sub.student: (kernels.keys[sub.key][0], sub.points) for sub in outcome.graded}


def reference_record(out) -> dict:
    lines = (out / "runs.jsonl").read_text(encoding="utf-8").splitlines()
    return json.loads(lines[-1])["reference"]


CLASS = {
    "honest": lambda: subs.submission(),
    "same_code_other_student": lambda: subs.submission(),
    "wrong_backward": lambda: subs.submission(replace={"backward": WRONG_BACKWARD}),
    "no_train": lambda: subs.submission(solved=("forward", "loss", "backward")),
    "extra_constant": lambda: subs.submission(append=["STEPS = 3"]),
}


def test_the_same_class_gets_the_same_inputs_and_points_on_every_run_and_any_jobs(
        kernels, tmp_path, monkeypatch):
    write_class(tmp_path / "in", {s: make() for s, make in CLASS.items()})
    first = graded(grade(tmp_path / "in", tmp_path / "one", jobs=1), kernels)
    assert reference_record(tmp_path / "one") == {"keys": 4, "executed": 4, "cached": 0,
                                                  "kernels": 1}
    # the same code, the same key (another student's file or not); other code, another key
    assert first["honest"][0] == first["same_code_other_student"][0]
    assert len({key for key, _ in first.values()}) == 4
    assert first["honest"][1] == 20 and first["wrong_backward"][1] < 20
    # again, with two jobs and no cache: the same keys and points
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another cache"))
    kernels.keys.clear()
    assert graded(grade(tmp_path / "in", tmp_path / "two", jobs=2), kernels) == first
    assert reference_record(tmp_path / "two")["executed"] == 4
    # a regrade with the cache: the same again, and no reference runs at all
    kernels.keys.clear()
    assert graded(grade(tmp_path / "in", tmp_path / "three", jobs=2), kernels) == first
    assert kernels.references() == {}
    assert reference_record(tmp_path / "three") == {"keys": 4, "executed": 0, "cached": 4,
                                                    "kernels": 0}


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_the_reference_of_many_keys_runs_in_at_most_jobs_kernels_and_once_per_key(
        kernels, tmp_path, jobs):
    students = {f"student{i:02d}": subs.submission(append=[f"MINE = {i}"]) for i in range(13)}
    write_class(tmp_path / "in", students)
    outcome = grade(tmp_path / "in", tmp_path / "out", jobs=jobs)
    served = [key for keys in kernels.references().values() for key in keys]
    assert 1 <= len(kernels.references()) <= jobs
    assert sorted(served) == sorted({kernels.keys[sub.key][0] for sub in outcome.graded})
    assert len(served) == 13, "one block per distinct key, never one kernel per student"
    assert all(sub.points == 20 for sub in outcome.graded)
    assert len(kernels.keys) == 13 + len(kernels.references())
    kernels.keys.clear()
    grade(tmp_path / "in", tmp_path / "again", jobs=jobs)
    assert kernels.references() == {} and len(kernels.keys) == 13


# ------------------------------------------------------------------ the replay attack
def replay_table(refs: dict[str, judge.Reference]) -> dict:
    """What a student who farmed every graded input of ``backward`` and its expected value
    (for the inputs its previous submission was graded on) would put in a lookup table."""
    table = {}
    for ref in refs.values():
        for call in ref.calls:
            if call["func"] == "backward":
                args = tuple((name, round(float(protocol.decode(value)), 12))
                             for name, value in sorted(call["args"].items()))
                table[args] = [float(protocol.decode(output)) for output in call["outputs"]]
    return table


def with_table(table: dict) -> str:
    """``backward``: the table's answer when it has one, else the wrong formula of before."""
    wrong = WRONG_BACKWARD.replace("def backward(", "def wrong_backward(")
    return wrong + f'''


def backward(x, w1, w2, y_true):
    table = {table!r}
    args = tuple((name, round(float(value), 12)) for name, value in
                 sorted(dict(x=x, w1=w1, w2=w2, y_true=y_true).items()))
    if args in table:
        return tuple(table[args])
    return wrong_backward(x, w1, w2, y_true)
'''


def points_on(lab, refs: judge.References, codes, key: str) -> float:
    """The points of ``codes`` graded on the inputs of ``key`` (whatever the code's own key)."""
    results = grading_inprocess.execute(build.grading_notebook(lab, codes, key=key))
    scored = judge.share_costs(lab, refs.of(key), judge.score(lab, refs.of(key), results))
    return sum(t.earned for t in scored)


def test_a_lookup_table_of_the_expected_values_of_its_previous_inputs_gains_nothing(
        kernels, tmp_path):
    lab = grading_inprocess.lab(subs.LAB)
    write_class(tmp_path / "round1", {"attacker": subs.submission(
        replace={"backward": WRONG_BACKWARD})})
    round1 = graded(grade(tmp_path / "round1", tmp_path / "out1", jobs=1), kernels)
    old_key, old_points = round1["attacker"]
    refs = grading_inprocess.reference(subs.LAB, SEED, old_key)
    table = replay_table(refs.of(old_key))
    assert len(table) >= 5, "every graded call of backward, with its expected gradients"
    resubmitted = subs.submission(replace={"backward": with_table(table)})
    # Before: had the inputs stayed those of the previous submission, the table would pay.
    codes = pipeline.prepare(pipeline.Submission(
        student="attacker", raw=nbformat.writes(resubmitted).encode()), lab, {})
    assert points_on(lab, refs, codes, old_key) > old_points
    # Now: the table is part of the graded code, so the key changes and it matches nothing.
    write_class(tmp_path / "round2", {"attacker": resubmitted})
    kernels.keys.clear()
    round2 = graded(grade(tmp_path / "round2", tmp_path / "out2", jobs=1), kernels)
    new_key, new_points = round2["attacker"]
    assert new_key != old_key and new_key == build.inputs_key(SEED, codes)
    assert new_points == old_points
