"""The scale-out recipes of docs/grading-recipes/ work as written, as far as this machine allows:
the GitHub workflow against GitHub's schema and the lock's Python, the Slurm driver against a
stand-in ``sbatch`` that records the jobs, the Kubernetes manifests against Kubernetes' schemas,
and the part each task grades taken from the engine (``--shard auto``)."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import yaml

from coursetools.grading.intake import shards
from tests.conftest import ROOT

RECIPES = ROOT / "docs" / "grading-recipes"


def lock_python() -> str:
    header = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    return re.search(r"pip-compile with Python (\d+\.\d+)", header).group(1)


def test_the_github_workflows_use_the_python_of_the_lock_and_derive_the_part_count():
    recipe = RECIPES / "github-actions-grade.yml"
    run = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                          "vendor.github-workflows", str(recipe)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    for path in (recipe, ROOT / ".github" / "workflows" / "tests.yml"):
        workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
        for name, job in workflow["jobs"].items():
            steps = job["steps"]
            if not any("make" in s.get("run", "") for s in steps):
                continue
            setup = [s for s in steps if s.get("uses", "").startswith("actions/setup-python")]
            assert setup and str(setup[0]["with"]["python-version"]) == lock_python(), (path, name)
    part = yaml.safe_load(recipe.read_text(encoding="utf-8"))["jobs"]["part"]
    grade = next(s for s in part["steps"] if "make grade" in s.get("run", ""))
    assert "SHARD=auto" in grade["run"] and "inputs." not in grade["run"], \
        "inputs reach the shell through env, never pasted into the script"
    assert grade["env"]["COURSETOOLS_SHARD_COUNT"] == "${{ strategy.job-total }}"
    assert grade["env"]["COURSETOOLS_SHARD_INDEX"] == "${{ strategy.job-index }}"
    for index in range(len(part["strategy"]["matrix"]["part"])):
        assert shards.parse("auto", {"COURSETOOLS_SHARD_INDEX": str(index),
                                     "COURSETOOLS_SHARD_COUNT": "4"}) == (index + 1, 4)


def test_the_slurm_driver_sets_up_once_then_the_array_then_the_merge(tmp_path):
    bin_dir, log = tmp_path / "bin", tmp_path / "sbatch.log"
    bin_dir.mkdir()
    sbatch = bin_dir / "sbatch"
    sbatch.write_text("#!/usr/bin/env python3\nimport json, os, sys\n"
                      f"log = {str(log)!r}\n"
                      "calls = open(log).read().splitlines() if os.path.exists(log) else []\n"
                      "open(log, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
                      "print(1000 + len(calls))\n")
    sbatch.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
    run = subprocess.run(["bash", str(RECIPES / "slurm-grade.sh"), "lab1_scalar", "subs.zip", "3"],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    import json
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(calls) == 3
    wrap = [c[c.index("--wrap") + 1] for c in calls]
    assert wrap[0] == "make venv" and not any(a.startswith("--array") for a in calls[0])
    assert "--dependency=afterok:1000" in calls[1] and "--array=1-3" in calls[1]
    assert "--dependency=afterok:1001" in calls[2] and "coursetools merge" in wrap[2]
    # each array task grades the part the engine gives it, into a folder of its own
    fake_make = bin_dir / "make"
    fake_make.write_text("#!/bin/sh\nprintf '%s\\n' \"$@\"\n")
    fake_make.chmod(0o755)
    for task in (1, 2, 3):
        task_env = dict(env, SLURM_ARRAY_TASK_ID=str(task), SLURM_ARRAY_TASK_MIN="1",
                        SLURM_ARRAY_TASK_MAX="3", SLURM_ARRAY_TASK_COUNT="3",
                        SLURM_ARRAY_TASK_STEP="1")
        args = subprocess.run(["bash", "-c", wrap[1]], capture_output=True, text=True,
                              env=task_env).stdout.split("\n")
        assert f"OUT=out-lab1_scalar-{task}" in args and "SHARD=auto" in args
        assert shards.parse("auto", task_env) == (task, 3)


def _documents(name):
    return list(yaml.safe_load_all((RECIPES / name).read_text(encoding="utf-8")))


def test_the_kubernetes_manifests_are_valid_and_give_the_sandbox_what_it_needs():
    files = [str(RECIPES / n) for n in ("kubernetes-grade.yaml", "kubernetes-merge.yaml")]
    run = subprocess.run([sys.executable, "-m", "kubernetes_validate", "--strict", *files],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    docs = {d["kind"]: d for d in _documents("kubernetes-grade.yaml")}
    assert docs["PersistentVolumeClaim"]["spec"]["accessModes"] == ["ReadWriteMany"]
    job = docs["Job"]["spec"]
    assert job["completionMode"] == "Indexed"
    container = job["template"]["spec"]["containers"][0]
    security = container["securityContext"]
    assert security.get("privileged") or (security.get("procMount") == "Unmasked"
                                          and job["template"]["spec"].get("hostUsers") is False)
    env = {e["name"]: e["value"] for e in container["env"]}
    assert int(env["COURSETOOLS_SHARD_COUNT"]) == job["completions"]
    assert "--shard auto" in " ".join(container["args"])
    merge = _documents("kubernetes-merge.yaml")[0]
    assert "coursetools merge" in " ".join(merge["spec"]["template"]["spec"]["containers"][0]["args"])


def test_the_container_image_has_the_sandbox_and_the_virtualenv_of_the_lock():
    text = (RECIPES / "Containerfile").read_text(encoding="utf-8")
    assert re.search(rf"^FROM python:{re.escape(lock_python())}\b", text, re.M)
    assert "bubblewrap" in text and "make venv" in text


def test_the_guide_shows_the_recipes_it_ships():
    guide = (ROOT / "chapters" / "instructor_guide.md").read_text(encoding="utf-8")
    for name in ("github-actions-grade.yml", "slurm-grade.sh", "kubernetes-grade.yaml",
                 "Containerfile", "SHARD=auto", "--prefer-newer"):
        assert name in guide, name
    assert "--array=1-4" not in guide or "SHARD=auto" in guide
