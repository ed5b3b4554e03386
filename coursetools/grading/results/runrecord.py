"""The run record: one JSON line per grading run, appended to ``OUT/runs.jsonl``.

It is what makes a grade defensible: every row of ``grades.csv`` names the run that graded it,
and the run says with what: the seed of the varied inputs, the instructor notebook's hash, the
versions of the packages that ran the tests, the budgets, the sandbox, the command line, when;
and ``reference``: how many inputs keys the run graded on, how many of their reference runs
were executed (in how many kernels) and how many came from the cache.
Grading the same folder again with the same record gives the same grades.
"""
from __future__ import annotations

import datetime
import json
import platform
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

PACKAGES = ("coursetools", "numpy", "nbval", "ipykernel", "jupyter_client", "pytest", "nbformat")


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    bwrap = shutil.which("bwrap")
    if bwrap:
        done = subprocess.run([bwrap, "--version"], capture_output=True, text=True)
        found["bubblewrap"] = done.stdout.strip().split()[-1] if done.stdout.strip() else "?"
    return found


def previous_runs(out: Path) -> int:
    path = Path(out) / "runs.jsonl"
    if not path.is_file():
        return 0
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def record(number: int, *, lab: str, digest: str, seed: str, seed_source: str, sandboxed: bool,
           budgets: dict, students: list[str], shard: str | None) -> dict:
    return {"run": number, "time": datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec="seconds"),
            "lab": lab, "instructor_sha256": digest, "seed": seed, "seed_from": seed_source,
            "sandbox": sandboxed, "budgets": budgets, "shard": shard,
            "command": [Path(sys.argv[0]).name, *sys.argv[1:]], "versions": versions(),
            "students": students}


def append(out: Path, entry: dict, existing: str) -> str:
    """The text of runs.jsonl with ``entry`` appended to the ``existing`` text."""
    return existing + json.dumps(entry, sort_keys=True) + "\n"
