"""How much does grading cost compared with just running the students' notebooks?

``make bench`` (through ``benchmarks/run.py``, which calls ``main(repeats)``) or
``python -m benchmarks.grading [--count N] [--repeats R]`` (``make bench-grading``) builds a
class of generated submissions of one lab (default 100: correct, partly correct,
skeleton-only, Colab downloads), then, in the same run and on the same cores, times

- **grading**: ``python -m coursetools grade`` on the folder (extraction, guard, reference run,
  visible + hidden tests in record mode, comparison, CSV, feedback, report);
- **bare execution**: the same notebooks executed top to bottom with nbclient, as many in
  parallel as grading uses (``--jobs``), errors allowed (a skeleton raises
  ``NotImplementedError``), with the Agg backend (figures are drawn but not rendered to PNG,
  which makes the bare run cheaper, never dearer, than in Jupyter).

Each is repeated (``--repeats``, alternating which goes first) and the medians are written to
``benchmarks/results-grading.json`` with the ratio grading / bare. The target is a ratio within
1.5. The machine is shared: the load average before each measurement is recorded too.
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
sys.path.insert(0, str(ROOT / "tests"))

import grading_submissions as subs  # noqa: E402  (tests/ holds the submission builder)

# A plausible class: mostly complete work, some bugs, some unfinished notebooks.
MIX = ["perfect"] * 5 + ["partial_forward_loss", "loss_with_half", "backward_sign_flipped",
                         "skeleton", "colab_download"]

BARE = r'''
import sys, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

def run(path):
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(Path(path).parent)}})
    client.execute()
    return path

if __name__ == "__main__":
    folder, jobs = Path(sys.argv[1]), int(sys.argv[2])
    paths = sorted(str(p) for p in folder.glob("*.ipynb"))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        done = list(pool.map(run, paths))
    assert len(done) == len(paths)
'''


def build_class(folder: Path, count: int) -> None:
    cases = {case.student: case for case in subs.CASES}
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        case = cases[MIX[number % len(MIX)]]
        made = case.make()
        (folder / f"student{number + 1:03d}.ipynb").write_text(
            __import__("nbformat").writes(made), encoding="utf-8")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1", "JUPYTER_PLATFORM_DIRS": "1"}


def time_grading(folder: Path, out: Path, lab: str, jobs: int) -> float:
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "coursetools", "grade", "--lab", lab,
                    "--submissions", str(folder), "--out", str(out), "--jobs", str(jobs),
                    "--quiet"], check=True, env=_env(), cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def time_bare(folder: Path, work: Path, jobs: int) -> float:
    # nbclient runs each notebook in its own folder, like grading: a copy, never the original.
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(folder, work)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", BARE, str(work), str(jobs)], check=True, env=_env(),
                   cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(lab: str = subs.LAB, count: int = 100, repeats: int = 3,
            jobs: int | None = None, output: Path = OUTPUT) -> dict:
    """Run the comparison; writes ``output`` and returns the same figures."""
    jobs = jobs or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        tmp = Path(tmp)
        build_class(tmp / "submissions", count)
        grading, bare, loads = [], [], []
        for repeat in range(repeats):
            order = ("grading", "bare") if repeat % 2 == 0 else ("bare", "grading")
            for which in order:
                loads.append(round(os.getloadavg()[0], 2))
                if which == "grading":
                    seconds = time_grading(tmp / "submissions", tmp / "out", lab, jobs)
                    grading.append(round(seconds, 2))
                else:
                    seconds = time_bare(tmp / "submissions", tmp / "bare", jobs)
                    bare.append(round(seconds, 2))
                print(f"repeat {repeat + 1}/{repeats}: {which} {seconds:.1f} s", file=sys.stderr)
        grades = (tmp / "out" / "grades.csv").read_text(encoding="utf-8").splitlines()

    median_grading, median_bare = statistics.median(grading), statistics.median(bare)
    result = {
        "what": f"grade {count} generated submissions of {lab} vs executing the same "
                "notebooks with nbclient, same number of parallel jobs",
        "lab": lab, "submissions": count, "jobs": jobs, "repeats": repeats,
        "grading_seconds": grading, "bare_seconds": bare,
        "median_grading_seconds": median_grading, "median_bare_seconds": median_bare,
        "ratio_of_medians": round(median_grading / median_bare, 3),
        "ratio_per_repeat": [round(g / b, 3) for g, b in zip(grading, bare)],
        "bare_execution": "nbclient, allow_errors, MPLBACKEND=Agg (figures are not rendered, so "
                          "bare execution is if anything cheaper than in Jupyter or Colab)",
        "submissions_per_minute": round(count / median_grading * 60, 1),
        "bare_notebooks_per_minute": round(count / median_bare * 60, 1),
        "target_ratio": 1.5,
        "load_average_before_each_run": loads,
        "graded_rows": len(grades) - 1,
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
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    result = measure(args.lab, args.count, args.repeats, args.jobs, args.output)
    print(json.dumps({k: result[k] for k in ("median_grading_seconds", "median_bare_seconds",
                                             "ratio_of_medians", "submissions_per_minute")}))
    return 0


if __name__ == "__main__":
    sys.exit(cli())
