"""Measure what a maintainer waits for: building the book and executing each notebook.

Every figure is the median of several runs (the machines are noisy), written to
``benchmarks/results.json`` together with the individual runs, so a change can be judged by
comparing two files rather than by a timed assertion in a test. Each benchmark module in this
folder that defines ``main(repeats)`` returning a dict is run too and gets its own key.
"""
from __future__ import annotations

import argparse
import importlib
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results.json"
EXTRA_BENCHMARKS = ("benchmarks.grading", "benchmarks.site_weight")


def timed(command: list[str]) -> float:
    """Seconds one command takes; a failing command stops the benchmark (its time means nothing)."""
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def summary(samples: list[float]) -> dict:
    return {"median_s": round(statistics.median(samples), 2), "runs_s": [round(s, 2) for s in samples]}


def book_builds(repeats: int) -> dict:
    """Cold build (empty output folder, so every notebook executes) and no-change rebuild."""
    jb = str(Path(sys.executable).parent / "jupyter-book")
    cold, warm = [], []
    for _ in range(repeats):
        out = Path(tempfile.mkdtemp(prefix="bench-book-"))
        try:
            build = [jb, "build", ".", "--path-output", str(out), "-W", "-n", "--keep-going", "--quiet"]
            cold.append(timed(build))
            warm.append(timed(build))
        finally:
            shutil.rmtree(out, ignore_errors=True)
    return {"cold_build": summary(cold), "no_change_rebuild": summary(warm)}


def nbval_per_notebook(repeats: int) -> dict:
    """nbval wall time for each executed notebook alone (kernel start included)."""
    results = {}
    notebooks = sorted((ROOT / "chapters").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))
    for path in notebooks:
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                   "--nbval-current-env", str(path.relative_to(ROOT))]
        results[str(path.relative_to(ROOT))] = summary([timed(command) for _ in range(repeats)])
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--without", action="append", default=[], metavar="NAME",
                        help="leave out an extra benchmark (grading, site_weight); keeps its old results")
    args = parser.parse_args(argv)
    results = {
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count(),
                    "platform": platform.platform()},
        "repeats": args.repeats,
        "book": book_builds(args.repeats),
        "nbval_seconds_per_notebook": nbval_per_notebook(args.repeats),
    }
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for name in EXTRA_BENCHMARKS:
        key = name.rsplit(".", 1)[-1]
        if key in args.without:
            if key in previous:
                results[key] = previous[key]
            continue
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        results[key] = module.main(args.repeats)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
