"""Grading side by side with the bare cost of running the same notebooks, in one run.

``make bench-grading`` (or ``python -m benchmarks.grading [--count N] [--repeats R]``; ``make
bench`` runs it too) builds a class of generated lab submissions (correct, partly correct, with
a bug, unfinished, downloaded from Colab), then measures, interleaved in every repeat (the order
rotates, the machines are noisy):

- **grade, 1 job** and **grade, 2 jobs**: ``coursetools grade`` on the folder, every kernel in
  its sandbox (extraction, reference run, visible and hidden tests with isolation, scoring,
  every output written);
- **bare, 1 process** and **bare, 2 processes**: the same notebooks executed top to bottom with
  nbclient, as many at once, errors allowed (a skeleton raises), the Agg backend;
- **fixed start-up**: ``coursetools grade`` on an empty folder (the reference run and
  everything else a run does whatever the size of the class);
- **grade, 1 job, no sandbox**: the same as grade, 1 job with ``--unsafe-no-sandbox``: what the
  sandbox costs per submission.

Each figure is written with its runs, medians, the ratios per repeat, seconds per submission,
the peak memory (the largest process, grader or kernel, in MB) and the load average before each
run, to ``benchmarks/results-grading.json``. Targets (issue 17): grading ≤ 1.0× bare with the
same number of processes; 2 jobs ≥ 1.7× as fast as 1; fixed start-up ≤ 3 s.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "benchmarks" / "results-grading.json"
sys.path.insert(0, str(ROOT))

from tests import grading_submissions as subs  # noqa: E402  (tests/ holds the submission builder)

# A plausible class: a quarter correct, the rest with bugs or unfinished (as in issue 17).
MIX = ["perfect", "loss_with_half", "backward_sign_flipped", "forward_relu_on_output",
       "partial_forward_loss", "skeleton", "colab_download", "fault_misnamed_function"]

BARE = r'''
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

def run(path):
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    return path

if __name__ == "__main__":
    folder, jobs = Path(sys.argv[1]), int(sys.argv[2])
    paths = sorted(str(p) for p in folder.glob("*.ipynb"))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        assert len(list(pool.map(run, paths))) == len(paths)
'''

# Runs a command and prints the peak resident memory of its largest process (kB).
PEAK = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
        "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def build_class(folder: Path, count: int) -> None:
    import nbformat

    cases = {case.student: case for case in subs.ALL}
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        made = cases[MIX[number % len(MIX)]].make()
        (folder / f"student{number + 1:03d}.ipynb").write_text(nbformat.writes(made),
                                                              encoding="utf-8")


def _env() -> dict[str, str]:
    return {**os.environ, "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            "JUPYTER_PLATFORM_DIRS": "1"}


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """(seconds, peak MB of the largest process) of one command."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK, *command], env=_env(), cwd=cwd,
                          check=True, capture_output=True, text=True)
    return time.perf_counter() - start, int(done.stdout.split()[-1]) / 1024


def grade(folder: Path, out: Path, lab: str, jobs: int, *flags: str) -> tuple[float, float]:
    shutil.rmtree(out, ignore_errors=True)
    return timed([sys.executable, "-m", "coursetools", "grade", "--lab", lab, "--submissions",
                  str(folder), "--out", str(out), "--jobs", str(jobs), "--quiet", *flags], ROOT)


def bare(folder: Path, work: Path, jobs: int) -> tuple[float, float]:
    # Each notebook runs in a copy of the folder, like grading: never the original.
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(folder, work)
    return timed([sys.executable, "-c", BARE, str(work), str(jobs)], work)


def _summary(runs: list[float], count: int | None = None) -> dict:
    found = {"runs": [round(r, 2) for r in runs], "median": round(statistics.median(runs), 2)}
    if count:
        found["median_per_submission"] = round(statistics.median(runs) / count, 3)
    return found


def measure(lab: str = subs.LAB, count: int = 40, repeats: int = 3,
            output: Path = OUTPUT) -> dict:
    """Run every measurement ``repeats`` times, interleaved; write ``output``; return it."""
    kinds = ["grade_1_job", "grade_2_jobs", "bare_1_process", "bare_2_processes", "startup",
             "grade_1_job_no_sandbox"]
    seconds = {k: [] for k in kinds}
    peak = {k: [] for k in kinds}
    loads = []
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        tmp = Path(tmp)
        build_class(tmp / "class", count)
        (tmp / "empty").mkdir()
        runs = {"grade_1_job": lambda: grade(tmp / "class", tmp / "out", lab, 1),
                "grade_2_jobs": lambda: grade(tmp / "class", tmp / "out", lab, 2),
                "bare_1_process": lambda: bare(tmp / "class", tmp / "bare", 1),
                "bare_2_processes": lambda: bare(tmp / "class", tmp / "bare", 2),
                "startup": lambda: grade(tmp / "empty", tmp / "out0", lab, 2),
                "grade_1_job_no_sandbox": lambda: grade(tmp / "class", tmp / "out", lab, 1,
                                                        "--unsafe-no-sandbox")}
        for repeat in range(repeats):
            order = kinds[repeat % len(kinds):] + kinds[:repeat % len(kinds)]
            for kind in order:
                loads.append(round(os.getloadavg()[0], 2))
                took, mb = runs[kind]()
                seconds[kind].append(took)
                peak[kind].append(mb)
                print(f"repeat {repeat + 1}/{repeats}: {kind} {took:.1f} s", file=sys.stderr)
    per_repeat = {
        "grade_over_bare_1": [round(g / b, 3) for g, b in zip(seconds["grade_1_job"],
                                                              seconds["bare_1_process"])],
        "grade_over_bare_2": [round(g / b, 3) for g, b in zip(seconds["grade_2_jobs"],
                                                              seconds["bare_2_processes"])],
        "speedup_2_jobs": [round(one / two, 3) for one, two in zip(seconds["grade_1_job"],
                                                                   seconds["grade_2_jobs"])],
        "sandbox_over_no_sandbox": [round(s / u, 3) for s, u in zip(
            seconds["grade_1_job"], seconds["grade_1_job_no_sandbox"])],
    }
    result = {
        "what": f"{count} generated submissions of {lab}: coursetools grade (sandboxed kernels) "
                "vs bare nbclient execution of the same notebooks, 1 and 2 processes, "
                "interleaved; startup = grading an empty folder",
        "lab": lab, "submissions": count, "repeats": repeats,
        "seconds": {k: _summary(v, None if k == "startup" else count) for k, v in seconds.items()},
        "peak_mb": {k: round(max(v)) for k, v in peak.items()},
        "ratios_per_repeat": per_repeat,
        "ratios_of_medians": {k: round(statistics.median(v), 3) for k, v in per_repeat.items()},
        "targets": {"grade_over_bare": "<= 1.0", "speedup_2_jobs": ">= 1.7",
                    "startup_seconds": "<= 3"},
        "bare_execution": "nbclient, allow_errors, MPLBACKEND=Agg, the notebooks top to bottom",
        "nbgrader": "not measured (not installed)",
        "load_average_before_each_run": loads,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
    }
    Path(output).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def main(repeats: int = 3) -> dict:
    """Entry point for ``benchmarks/run.py`` (``make bench``): the default comparison."""
    return measure(repeats=repeats)


def cli(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lab", default=subs.LAB)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    result = measure(args.lab, args.count, args.repeats, args.output)
    print(json.dumps({"seconds": {k: v["median"] for k, v in result["seconds"].items()},
                      "ratios": result["ratios_of_medians"]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(cli())
