"""How long the test targets take: wall clock of `make test-fast` and of `make test`'s first
phase (pytest with nbval over tests, chapters and solutions), and their slowest tests.

``make bench-tests`` (or ``python -m benchmarks.tests [--targets fast full] [--repeats R]
[--label after]``) runs each target's pytest command, read from the Makefile itself (``make
-n``, so it never drifts from what `make` runs), ``--repeats`` times, interleaved, with
``--durations=40``; it records the wall clock of each run, the median, the load average
before and after each run and the 40 slowest tests of the last run, under ``--label`` in
``benchmarks/results-tests.json`` (other labels, such as the figures from before a change,
are kept). ``make test``'s later phases (the book build, the site checks) are not included.

``--from-log TARGET FILE --wall SECONDS [--load BEFORE AFTER]`` records a run made by hand
(its pytest output saved in FILE) instead of running it.

The machines running it are shared (2 cores, other engineers' tests): quote medians, ratios
and the load averages, never one run.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "benchmarks" / "results-tests.json"
TARGETS = {"fast": "test-fast", "full": "test"}
DURATION = re.compile(r"^\s*([\d.]+)s (call|setup|teardown)\s+(\S+)", re.M)
SUMMARY = re.compile(r"=+ (.*(?:passed|failed|error).*) in ([\d.]+)s")


def command(target: str) -> list[str]:
    """The first pytest command `make TARGET` runs (the venv's python, its flags)."""
    text = subprocess.run(["make", "-n", "-s", "--no-print-directory", target], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout
    for line in text.replace("\\\n", " ").splitlines():
        if " -m pytest " in line:
            return shlex.split(line)
    raise SystemExit(f"make -n {target} runs no pytest")


def _env() -> dict[str, str]:
    # What the Makefile exports to every recipe.
    return {**os.environ, "JUPYTER_PLATFORM_DIRS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(ROOT),
            "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}


def parse(output: str) -> dict:
    """The summary line and the slowest tests of a pytest output."""
    summary = SUMMARY.findall(output)
    return {
        "summary": summary[-1][0] if summary else None,
        "pytest_seconds": float(summary[-1][1]) if summary else None,
        "slowest": [{"seconds": float(s), "when": w, "test": t}
                    for s, w, t in DURATION.findall(output)],
    }


def run(target: str) -> dict:
    argv = command(target) + ["--durations=40"]
    load_before = round(os.getloadavg()[0], 2)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=_env(), capture_output=True, text=True)
    wall = time.perf_counter() - start
    found = {"wall_seconds": round(wall, 1), "returncode": done.returncode,
             "load_before": load_before, "load_after": round(os.getloadavg()[0], 2),
             **parse(done.stdout)}
    print(f"{target}: {wall:.1f} s, {found['summary']}", file=sys.stderr)
    return found


def summarise(runs: list[dict], target: str) -> dict:
    walls = [r["wall_seconds"] for r in runs]
    return {"make_target": TARGETS[target], "command": " ".join(command(TARGETS[target])[1:]),
            "wall_seconds": walls, "median_wall_seconds": round(statistics.median(walls), 1),
            "load_before_each_run": [r["load_before"] for r in runs],
            "load_after_each_run": [r["load_after"] for r in runs],
            "all_green": all(r["returncode"] == 0 for r in runs),
            "summary": runs[-1]["summary"], "slowest_of_the_last_run": runs[-1]["slowest"]}


def record(label: str, results: dict, output: Path = OUTPUT) -> dict:
    data = json.loads(output.read_text(encoding="utf-8")) if output.exists() else {}
    data.setdefault("machine", {"cpus": os.cpu_count(), "shared": "yes: other engineers run "
                                "tests at the same time; absolute seconds are noisy, see the "
                                "load averages"})
    data.setdefault(label, {}).update(results)
    output.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return data


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--targets", nargs="+", choices=sorted(TARGETS), default=["fast", "full"])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--label", default="latest")
    parser.add_argument("--from-log", nargs=2, metavar=("TARGET", "FILE"))
    parser.add_argument("--wall", type=float, help="with --from-log: the run's wall clock")
    parser.add_argument("--load", nargs=2, type=float, metavar=("BEFORE", "AFTER"),
                        help="with --from-log: the load average before and after the run")
    parser.add_argument("--note", help="with --from-log: what to know about the run")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    if args.from_log:
        target, path = args.from_log
        found = parse(Path(path).read_text(encoding="utf-8", errors="replace"))
        wall = args.wall if args.wall is not None else found["pytest_seconds"]
        results = {target: {"make_target": TARGETS[target], "wall_seconds": [wall],
                            "median_wall_seconds": wall, "summary": found["summary"],
                            "slowest_of_the_last_run": found["slowest"]}}
        if args.load:
            results[target]["load_before_each_run"] = [args.load[0]]
            results[target]["load_after_each_run"] = [args.load[1]]
        if args.note:
            results[target]["note"] = args.note
    else:
        runs = {t: [] for t in args.targets}
        for repeat in range(args.repeats):
            order = args.targets[repeat % len(args.targets):] + args.targets[:repeat % len(args.targets)]
            for target in order:
                runs[target].append(run(TARGETS[target]))
        results = {t: summarise(r, t) for t, r in runs.items()}
    record(args.label, results, args.output)
    print(json.dumps({t: r["median_wall_seconds"] for t, r in results.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
