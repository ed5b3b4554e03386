"""coursetools.grading.results.runrecord: what each run appends to runs.jsonl."""
import json

from coursetools.grading.results import runrecord


def test_a_record_names_everything_a_grade_depends_on(tmp_path):
    entry = runrecord.record(2, lab="lab1_scalar", digest="ab" * 32, seed="s", seed_source="--seed",
                             sandboxed=True, budgets={"cell_seconds": 20}, students=["a"],
                             shard="1/3")
    for key in ("run", "time", "lab", "instructor_sha256", "seed", "seed_from", "sandbox",
                "budgets", "shard", "command", "versions", "students"):
        assert key in entry
    assert {"python", "numpy", "nbval", "ipykernel", "jupyter_client"} <= set(entry["versions"])
    text = runrecord.append(tmp_path, entry, "")
    (tmp_path / "runs.jsonl").write_text(runrecord.append(tmp_path, entry, text))
    assert runrecord.previous_runs(tmp_path) == 2
    assert json.loads(text)["seed"] == "s"
    assert runrecord.previous_runs(tmp_path / "nothing") == 0
