"""The GitHub Actions workflows: valid against GitHub's published schema for workflows (the copy
check-jsonschema ships, so the check runs offline) and running what the README promises."""
import subprocess
import sys

import yaml

from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _lint(*paths):
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           "vendor.github-workflows", *map(str, paths)],
                          capture_output=True, text=True, cwd=ROOT)


def test_every_workflow_is_valid():
    assert WORKFLOWS
    run = _lint(*WORKFLOWS)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_linter_finds_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    step:\n"
                      "      - run: make test\n")
    assert _lint(broken).returncode != 0


def test_the_tests_run_on_every_push_and_pull_request_with_the_readme_command():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "tests.yml").read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]   # YAML reads `on` as True
    assert "push" in triggers and "pull_request" in triggers
    steps = [s.get("run", "") for s in workflow["jobs"]["test"]["steps"]]
    assert "make test" in steps and any("labs --check" in s for s in steps)
    assert "make test" in (ROOT / "README.md").read_text() and \
        "make test" in (ROOT / ".ci" / "run").read_text()
