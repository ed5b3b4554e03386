"""coursetools.grading.intake.shards: the part of a class one run grades, given or from the engine."""
import pytest

from coursetools.grading.intake import shards


def slurm(task, first=1, last=4, count=4, step=1):
    return {"SLURM_ARRAY_TASK_ID": str(task), "SLURM_ARRAY_TASK_MIN": str(first),
            "SLURM_ARRAY_TASK_MAX": str(last), "SLURM_ARRAY_TASK_COUNT": str(count),
            "SLURM_ARRAY_TASK_STEP": str(step)}


def test_a_given_shard_is_checked():
    assert shards.parse("2/3", {}) == (2, 3)
    for bad in ("0/3", "4/3", "2", "a/b", "1/0"):
        with pytest.raises(shards.ShardError):
            shards.parse(bad, {})


def test_auto_takes_the_count_from_a_slurm_array_whatever_its_first_index():
    assert [shards.parse("auto", slurm(t)) for t in (1, 2, 3, 4)] == [(i, 4) for i in (1, 2, 3, 4)]
    assert [shards.parse("auto", slurm(t, 0, 2, 3)) for t in (0, 1, 2)] == [(1, 3), (2, 3), (3, 3)]
    # --array=1-3: three parts, not the four a hand-written /4 would have asked for
    assert {shards.parse("auto", slurm(t, 1, 3, 3))[1] for t in (1, 2, 3)} == {3}


def test_auto_refuses_arrays_that_are_not_one_plain_range():
    with pytest.raises(shards.ShardError, match="plain range"):
        shards.parse("auto", slurm(3, 1, 7, 4, step=2))          # --array=1-7:2
    with pytest.raises(shards.ShardError, match="plain range"):
        shards.parse("auto", slurm(5, 1, 9, 3))                  # --array=1,5,9


def test_auto_from_a_zero_based_task_index_and_a_count():
    assert shards.parse("auto", {"COURSETOOLS_SHARD_INDEX": "0", "COURSETOOLS_SHARD_COUNT": "4"}) \
        == (1, 4)
    assert shards.parse("auto", {"JOB_COMPLETION_INDEX": "3", "COURSETOOLS_SHARD_COUNT": "4"}) \
        == (4, 4)
    with pytest.raises(shards.ShardError, match="COURSETOOLS_SHARD_COUNT"):
        shards.parse("auto", {"JOB_COMPLETION_INDEX": "3"})
    with pytest.raises(shards.ShardError, match="1 <= i <= N"):
        shards.parse("auto", {"COURSETOOLS_SHARD_INDEX": "4", "COURSETOOLS_SHARD_COUNT": "4"})


def test_auto_without_any_engine_says_what_to_give():
    with pytest.raises(shards.ShardError, match="give --shard i/N"):
        shards.parse("auto", {"HOME": "/root"})


def test_the_parts_cover_the_class_once():
    students = [f"s{i}" for i in range(100)]
    parts = [{s for s in students if shards.in_shard(s, (i, 4))} for i in (1, 2, 3, 4)]
    assert sorted(s for part in parts for s in part) == sorted(students)
