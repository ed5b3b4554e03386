"""coursetools.grading.results.merge: shards become one class, and what would be wrong is refused."""
import json

import pytest

from coursetools.grading.records import Submission, TestResult
from coursetools.grading.results import merge, store as storemod

TESTS = [storemod.TestInfo("t1", 10.0, False)]


def folder(tmp_path, name, rows, shard, time="2026-12-01T10:00:00+00:00", run=1, lab="lab1_scalar"):
    """A results folder as a grading run writes it: results.json and runs.jsonl."""
    path = tmp_path / name
    path.mkdir()
    results = storemod.Store(lab=lab, tests=TESTS)
    results.update([Submission(student=s, source=f"{s}.ipynb",
                               tests=[TestResult("t1", 10.0, points, False)])
                    for s, points in rows.items()], run=run)
    (path / "results.json").write_text(storemod.to_json(results))
    record = {"run": run, "time": time, "shard": shard, "students": sorted(rows)}
    (path / "runs.jsonl").write_text(json.dumps(record) + "\n")
    return merge.read(path)


def test_complete_shards_merge_with_every_student_once(tmp_path):
    parts = [folder(tmp_path, f"out-{i}", {f"s{i}": i}, f"{i}/3") for i in (1, 2, 3)]
    merged, runs, warnings = merge.merge(parts)
    assert sorted(merged.students) == ["s1", "s2", "s3"] and not warnings
    assert len(runs.splitlines()) == 3


def test_a_missing_shard_is_refused_by_name(tmp_path):
    # the count written twice: --array=1-3 with SHARD=$i/4 leaves shard 4 ungraded
    parts = [folder(tmp_path, f"out-{i}", {f"s{i}": i}, f"{i}/4") for i in (1, 2, 3)]
    with pytest.raises(merge.MergeError, match=r"shard 4/4 is missing"):
        merge.merge(parts)


def test_shards_of_different_splits_or_the_same_part_twice_are_refused(tmp_path):
    a = folder(tmp_path, "a", {"x": 1}, "1/2")
    b = folder(tmp_path, "b", {"y": 1}, "2/3")
    with pytest.raises(merge.MergeError, match="different splits"):
        merge.merge([a, b])
    c = folder(tmp_path, "c", {"z": 1}, "1/2")
    with pytest.raises(merge.MergeError, match=r"shard 1/2 is in"):
        merge.merge([a, c])
    whole = folder(tmp_path, "whole", {"w": 1}, None)
    with pytest.raises(merge.MergeError, match="whole class"):
        merge.merge([a, whole])


def test_a_student_in_two_folders_is_refused_then_resolved_by_the_newer_run(tmp_path):
    # Regraded with another N into the same folders: the old folder keeps a stale row.
    old = folder(tmp_path, "out-1", {"fixed": 12, "a": 5}, "1/2", time="2026-12-01T10:00:00+00:00")
    new = folder(tmp_path, "out-2", {"fixed": 20, "b": 7}, "2/2", time="2026-12-02T10:00:00+00:00")
    with pytest.raises(merge.MergeError, match=r"fixed \(.*out-1, .*out-2\).*--prefer-newer"):
        merge.merge([old, new])
    for order in ([old, new], [new, old]):
        merged, _, warnings = merge.merge(order, prefer_newer=True)
        assert merged.students["fixed"].points == 20
        assert len(warnings) == 1 and "fixed" in warnings[0] and "out-2" in warnings[0].split("kept")[1]


def test_folders_of_another_lab_are_refused(tmp_path):
    a = folder(tmp_path, "a", {"x": 1}, None)
    b = folder(tmp_path, "b", {"y": 1}, None, lab="lab2_vector")
    with pytest.raises(merge.MergeError, match="another lab"):
        merge.merge([a, b])


def test_settings_of_the_class_survive_the_merge(tmp_path):
    a = folder(tmp_path, "a", {"x": 1}, "1/2")
    b = folder(tmp_path, "b", {"y": 1}, "2/2")
    b.store.assignment, a.store.late_penalty = "Lab 1 (4521)", "10%/day,max=50%"
    merged, _, _ = merge.merge([a, b])
    assert (merged.assignment, merged.late_penalty) == ("Lab 1 (4521)", "10%/day,max=50%")


def test_the_command_refuses_with_a_message_and_writes_nothing(tmp_path, capsys):
    from coursetools.cli import main

    old = folder(tmp_path, "out-1", {"fixed": 12}, "1/2", time="2026-12-01T10:00:00+00:00")
    new = folder(tmp_path, "out-2", {"fixed": 20}, "2/2", time="2026-12-02T10:00:00+00:00")
    out = tmp_path / "merged"
    assert main(["merge", str(old.path), str(new.path), "--out", str(out)]) == 2
    assert "more than one folder" in capsys.readouterr().err and not out.exists()
    assert main(["merge", str(old.path), str(new.path), "--out", str(out), "--prefer-newer"]) == 0
    assert "kept the row of" in capsys.readouterr().out
    assert "fixed,,lab1_scalar,20," in (out / "grades.csv").read_text()


def _regraded_folder(tmp_path, name, attempts, policy, shard):
    """A folder in which student 'a' was graded once per (file, points, day) of ``attempts``."""
    path = tmp_path / name
    path.mkdir()
    results = storemod.Store(lab="lab1_scalar", tests=TESTS, policy=policy)
    lines = []
    for run, (file, points, day) in enumerate(attempts, start=1):
        time = f"2026-12-{day:02d}T10:00:00+00:00"
        results.update([Submission(student="a", source=file, sha256=file,
                                   tests=[TestResult("t1", 10.0, points, False)])],
                       run=run)
        lines.append(json.dumps({"run": run, "time": time, "shard": shard, "students": ["a"]}))
    (path / "results.json").write_text(storemod.to_json(results))
    (path / "runs.jsonl").write_text("\n".join(lines) + "\n")
    return merge.read(path)


@pytest.mark.parametrize("policy, kept", [("latest", "new.ipynb"), ("best", "good.ipynb")])
def test_a_merge_keeps_every_attempt_of_both_folders(tmp_path, policy, kept):
    one = _regraded_folder(tmp_path, "one", [("first.ipynb", 5, 1), ("good.ipynb", 9, 2)],
                           policy, None)
    two = _regraded_folder(tmp_path, "two", [("new.ipynb", 3, 3)], policy, None)
    merged, _, _ = merge.merge([one, two], prefer_newer=True)
    assert merged.policy == policy and merged.students["a"].source == kept
    history = merged.attempts("a")
    assert [(a.file, a.points) for a in history] == [("first.ipynb", 5), ("good.ipynb", 9),
                                                     ("new.ipynb", 3)]
    assert [a.file for a in history if a.counts] == [kept]
    again = storemod.from_json(storemod.to_json(merged))
    assert again.history == merged.history
