"""A class graded in three shards in parallel, then merged, gives the files of one single run."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests import grading_submissions as subs
from coursetools.grading.intake import shards
from tests.conftest import ROOT

pytestmark = pytest.mark.kernel

CLASS = ["perfect", "skeleton", "loss_with_half", "backward_sign_flipped",
         "forward_relu_on_output", "partial_forward_loss", "fault_empty_file"]


def coursetools(*args):
    return [sys.executable, "-m", "coursetools", *map(str, args)]


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "runs.jsonl"}


def test_every_student_is_in_exactly_one_shard_and_shards_are_stable():
    students = [f"student{i:03d}" for i in range(200)]
    parts = [{s for s in students if shards.in_shard(s, (i, 3))} for i in (1, 2, 3)]
    assert set().union(*parts) == set(students) and sum(map(len, parts)) == len(students)
    assert all(len(part) > 40 for part in parts), "a hash spreads the class"
    more = students + ["newcomer"]
    assert [{s for s in more if shards.in_shard(s, (i, 3))} - {"newcomer"}
            for i in (1, 2, 3)] == parts, "adding a student moves no one else"


def test_three_shards_in_parallel_merge_into_the_single_run(tmp_path):
    folder = tmp_path / "class"
    subs.write_class(folder, [c for c in subs.ALL if c.student in CLASS])
    common = ["--lab", subs.LAB, "--submissions", folder, "--jobs", 1, "--quiet"]
    runs = [subprocess.Popen(coursetools("grade", *common, "--out", tmp_path / f"shard{i}",
                                         "--shard", f"{i}/3"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for i in (1, 2, 3)]
    for run in runs:
        out, err = run.communicate(timeout=900)
        assert run.returncode == 0, err
    single = subprocess.run(coursetools("grade", *common, "--out", tmp_path / "single"),
                            capture_output=True, text=True, timeout=900)
    assert single.returncode == 0, single.stderr
    merged = subprocess.run(coursetools("merge", *(tmp_path / f"shard{i}" for i in (1, 2, 3)),
                                        "--out", tmp_path / "merged"),
                            capture_output=True, text=True, timeout=300)
    assert merged.returncode == 0, merged.stderr
    assert _files(tmp_path / "merged") == _files(tmp_path / "single")
    runs_merged = (tmp_path / "merged" / "runs.jsonl").read_text().splitlines()
    assert len(runs_merged) == 3, "the merged folder keeps the record of every shard's run"
