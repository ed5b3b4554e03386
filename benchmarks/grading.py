"""Grading side by side with the bare cost of running the same notebooks, per lab, in one run.

``make bench-grading`` (or ``python -m benchmarks.grading [--labs L ...] [--count N]
[--repeats R] [--jobs J]``; ``make bench`` runs it too) builds, for each lab, a class of
``--count`` submissions, then measures, interleaved in every repeat (the order of the labs and
of the measurements rotates: the machines are noisy and shared):

- **grade**: ``coursetools grade --jobs J`` on the folder, every kernel in its sandbox
  (extraction, visible and hidden tests with isolation, the second round of method variants,
  scoring, every output written). The reference run is cached (a private cache folder, warmed
  by a first, untimed run): what grading the class again costs; its bare cost is below.
- **bare_students**: the same student notebooks executed top to bottom with nbclient, J at once,
  errors allowed (a skeleton raises), the Agg backend: what running the class costs at all.
- the grading notebooks themselves, executed bare the same way (from the untimed run's
  ``--keep-work`` folder), one figure per round so each round's cost is visible:
  **bare_reference** (the reference notebooks: the instructor's code on every submission's
  inputs key, with every method variant, many keys per notebook; run unless cached), **bare_main** (one grading notebook per submission), **bare_variants**
  (the second round: one notebook per method variant of a student whose class's tests failed
  together).

The classes: lab 1 from ``tests/grading_submissions.py`` (correct, partly correct, with a bug,
unfinished, downloaded from Colab); the other labs from the instructor's solution with the
mutant fixture files of ``tests/files/labs/<lab>/mutants/`` spliced in, hidden tests taken out
and the student's helpers (as ``tests/test_labs.py`` builds them); lab 2 is a class where most
notebooks have a mistake.

Per lab: runs, medians, the ratios per repeat, seconds per submission, the peak memory (the
largest process, grader or kernel, in MB) and the load average before each run. The results go
to ``benchmarks/results-grading.json``: per lab the figures of this run, and under "previous"
the lab-1 figures of the run before (for before/after). The defaults (4 labs, 8 submissions, 3
repeats, 2 jobs) aim at about 10 minutes on a quiet 2-core machine: an estimate, scaled from a
smaller run (4 submissions, 1 repeat: 696 s at a load average of 9-13 on a shared machine, where
bare execution ran about 9 times slower than on the quiet machine of issue 17); the file
records how long each run took ("duration_seconds"). A quick check: ``--labs lab1_scalar
--count 8 --repeats 1 --output FILE`` with a file of your own (the committed file keeps its figures).
"""
from __future__ import annotations

import argparse
import copy
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

from tests import grading_submissions as subs  # noqa: E402  (tests/ holds the submission builders)

LABS = ["lab1_scalar", "lab2_vector", "lab4_xor", "lab6_autograd"]
KINDS = ["grade", "bare_students", "bare_reference", "bare_main", "bare_variants"]

# Lab 1, a plausible class: a quarter correct, the rest with bugs or unfinished (issue 17).
MIX = ["perfect", "loss_with_half", "backward_sign_flipped", "forward_relu_on_output",
       "partial_forward_loss", "skeleton", "colab_download", "fault_misnamed_function"]
# The other labs, a pattern repeated over the class: "solution", "skeleton" or "mutant" (the
# next mutant fixture file, in turn). Lab 2: most notebooks have a mistake.
PATTERNS = {"lab2_vector": ["solution", "mutant", "mutant", "mutant", "mutant"]}
PATTERN = ["solution", "mutant", "solution", "skeleton", "mutant"]

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
    jobs, paths = int(sys.argv[1]), sys.argv[2:]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        assert len(list(pool.map(run, paths))) == len(paths)
'''

# Runs a command and prints the peak resident memory of its largest process (kB).
PEAK = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
        "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


# ----------------------------------------------------------------------------- the classes
def _write(folder: Path, notebooks: list) -> None:
    import nbformat

    folder.mkdir(parents=True, exist_ok=True)
    for number, nb in enumerate(notebooks):
        (folder / f"student{number + 1:03d}.ipynb").write_text(nbformat.writes(nb),
                                                              encoding="utf-8")


def _lab1(count: int) -> list:
    cases = {case.student: case for case in subs.ALL}
    return [cases[MIX[number % len(MIX)]].make() for number in range(count)]


def _from_solution(lab: str, count: int) -> list:
    """The solution with a mutant spliced in (or none), as a student holds it: no hidden
    tests, the student's helpers; or the student notebook itself (a skeleton)."""
    import nbformat

    from coursetools import cells
    from tests import lab_fixtures, test_labs

    solution = test_labs.solution(lab)
    catalogue = lab_fixtures.read(lab, "mutants")
    names = sorted(catalogue)
    pattern = PATTERNS.get(lab, PATTERN)
    made, used = [], 0
    for number in range(count):
        kind = pattern[number % len(pattern)]
        if kind == "skeleton":
            made.append(nbformat.read(ROOT / "labs" / f"{lab}.ipynb", as_version=4))
            continue
        nb = copy.deepcopy(solution)
        if kind == "mutant":
            nb = test_labs.splice(nb, catalogue[names[used % len(names)]])
            used += 1
        meta = nb.metadata["coursetools"]
        infos = test_labs.infos(nb)
        nb.cells = [c for c, info in zip(nb.cells, infos) if info.kind != "hidden"]
        for cell, info in zip(nb.cells, test_labs.infos(nb)):
            if info.kind == "helpers":
                cell.source = cells.helper_source(lab, meta["contract"], meta.get("methods"),
                                                  strict=False, diagnosis=meta.get("diagnosis"))
        made.append(nb)
    return made


def build_class(folder: Path, count: int, lab: str = subs.LAB) -> None:
    _write(folder, _lab1(count) if lab == subs.LAB else _from_solution(lab, count))


# ----------------------------------------------------------------------------- the runs
def _env(cache: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
           "JUPYTER_PLATFORM_DIRS": "1"}
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)
    return env


def timed(command: list[str], cwd: Path, cache: Path | None = None) -> tuple[float, float]:
    """(seconds, peak MB of the largest process) of one command."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK, *command], env=_env(cache), cwd=cwd,
                          check=True, capture_output=True, text=True)
    return time.perf_counter() - start, int(done.stdout.split()[-1]) / 1024


def grade(folder: Path, out: Path, lab: str, jobs: int, cache: Path,
          *flags: str) -> tuple[float, float]:
    shutil.rmtree(out, ignore_errors=True)
    return timed([sys.executable, "-m", "coursetools", "grade", "--lab", lab, "--submissions",
                  str(folder), "--out", str(out), "--jobs", str(jobs), "--quiet", *flags],
                 ROOT, cache)


def bare(notebooks: list[Path], work: Path, jobs: int) -> tuple[float, float]:
    """Execute copies of ``notebooks`` (in ``work``, never the originals), ``jobs`` at once."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    copies = []
    for path in notebooks:
        copies.append(work / path.name)
        shutil.copy(path, copies[-1])
    if not copies:
        return 0.0, 0.0
    return timed([sys.executable, "-c", BARE, str(jobs), *map(str, copies)], work)


def _summary(runs: list[float], count: int | None = None) -> dict:
    found = {"runs": [round(r, 2) for r in runs], "median": round(statistics.median(runs), 2)}
    if count:
        found["median_per_submission"] = round(statistics.median(runs) / count, 3)
    return found


def _ratios(seconds: dict, top: str, *bottom: str) -> list[float]:
    return [round(t / sum(b), 3) if sum(b) else None
            for t, *b in zip(seconds[top], *(seconds[k] for k in bottom))]


def _prepare(tmp: Path, lab: str, count: int, jobs: int) -> dict:
    """The class, and one untimed grading run (a cold reference cache) that keeps its work
    folder: the grading notebooks of every round, and a warm cache for the timed runs."""
    folder = tmp / lab
    build_class(folder / "class", count, lab)
    cache = folder / "cache"
    grade(folder / "class", folder / "kept", lab, jobs, cache, "--keep-work")
    work = folder / "kept" / "work"
    notebooks = sorted((work / "notebooks").glob("*.ipynb"))
    return {
        "folder": folder, "cache": cache,
        "students": sorted((folder / "class").glob("*.ipynb")),
        "reference": [p for p in notebooks if p.stem.startswith("reference")],
        "main": [p for p in notebooks if not p.stem.startswith("reference")],
        "variants": sorted((work / "variants").glob("*.ipynb")),
        "points": {student: row["points"] for student, row in
                   sorted(subs.grades_by_student(folder / "kept").items())},
    }


def measure(labs=tuple(LABS), count: int = 8, repeats: int = 3, output: Path = OUTPUT,
            jobs: int = 2) -> dict:
    """Run every measurement ``repeats`` times, interleaved; write ``output``; return it."""
    began = time.perf_counter()
    labs = list(labs)
    seconds = {lab: {k: [] for k in KINDS} for lab in labs}
    peak = {lab: {k: [] for k in KINDS} for lab in labs}
    loads = {lab: [] for lab in labs}
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        tmp = Path(tmp)
        prepared = {}
        for lab in labs:
            prepared[lab] = _prepare(tmp, lab, count, jobs)
            print(f"{lab}: {len(prepared[lab]['main'])} grading notebooks, "
                  f"{len(prepared[lab]['variants'])} method variants", file=sys.stderr)
        for repeat in range(repeats):
            lab_order = labs[repeat % len(labs):] + labs[:repeat % len(labs)]
            for lab in lab_order:
                p = prepared[lab]
                runs = {
                    "grade": lambda: grade(p["folder"] / "class", p["folder"] / "out", lab,
                                           jobs, p["cache"]),
                    "bare_students": lambda: bare(p["students"], p["folder"] / "bare", jobs),
                    "bare_reference": lambda: bare(p["reference"], p["folder"] / "bare", 1),
                    "bare_main": lambda: bare(p["main"], p["folder"] / "bare", jobs),
                    "bare_variants": lambda: bare(p["variants"], p["folder"] / "bare", jobs),
                }
                order = KINDS[repeat % len(KINDS):] + KINDS[:repeat % len(KINDS)]
                for kind in order:
                    loads[lab].append(round(os.getloadavg()[0], 2))
                    took, mb = runs[kind]()
                    seconds[lab][kind].append(took)
                    peak[lab][kind].append(mb)
                    print(f"repeat {repeat + 1}/{repeats}: {lab} {kind} {took:.1f} s",
                          file=sys.stderr)
        per_lab = {lab: _lab_result(lab, prepared[lab], seconds[lab], peak[lab], loads[lab],
                                    count, jobs) for lab in labs}
    result = {
        "what": f"per lab, {count} submissions: coursetools grade --jobs {jobs} (sandboxed "
                "kernels, the reference cached) vs bare nbclient execution, as many at once, "
                "of the same student notebooks and of the grader's own notebooks round by "
                "round (reference, main run, second round of method variants); interleaved",
        "labs": per_lab,
        "submissions": count, "repeats": repeats, "jobs": jobs,
        "targets": {"grade_over_bare_students": "<= 1.0 (issue 17, lab 1)"},
        "bare_execution": "nbclient, allow_errors, MPLBACKEND=Agg, the notebooks top to bottom, "
                          "a process pool of --jobs (the reference: alone)",
        "shared_machine": "2 cores shared with other engineers' test runs: absolute seconds "
                          "are noisy; compare the ratios per repeat and the load averages",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "duration_seconds": round(time.perf_counter() - began),
    }
    result["previous"] = _previous(Path(output))
    Path(output).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def _lab_result(lab, p, seconds, peak, loads, count, jobs) -> dict:
    per_repeat = {
        "grade_over_bare_students": _ratios(seconds, "grade", "bare_students"),
        "grade_over_bare_main_and_variants": _ratios(seconds, "grade", "bare_main",
                                                     "bare_variants"),
        "bare_main_over_bare_students": _ratios(seconds, "bare_main", "bare_students"),
        "bare_variants_over_bare_main": _ratios(seconds, "bare_variants", "bare_main"),
        "bare_reference_over_bare_main": _ratios(seconds, "bare_reference", "bare_main"),
    }
    return {
        "submissions": count,
        "notebooks": {"students": len(p["students"]), "reference": len(p["reference"]),
                      "main": len(p["main"]), "variants": len(p["variants"])},
        "points_of_the_class": p["points"],
        "seconds": {k: _summary(v, count if k != "bare_reference" else None)
                    for k, v in seconds.items()},
        "peak_mb": {k: round(max(v)) for k, v in peak.items()},
        "ratios_per_repeat": per_repeat,
        "median_of_ratios": {k: round(statistics.median(v), 3) if None not in v else None
                             for k, v in per_repeat.items()},
        "load_average_before_each_run": loads,
    }


def _previous(output: Path) -> dict | None:
    """The lab-1 figures of the run that wrote ``output`` before this one (either layout)."""
    try:
        old = json.loads(output.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if "labs" not in old:                               # the one-lab layout of issue 17
        return old
    if subs.LAB not in old["labs"]:
        return old.get("previous")
    keep = {k: old[k] for k in ("what", "submissions", "repeats", "jobs", "machine",
                                "duration_seconds") if k in old}
    return {**keep, "lab": subs.LAB, **old["labs"][subs.LAB]}


def main(repeats: int = 3) -> dict:
    """Entry point for ``benchmarks/run.py`` (``make bench``): the default comparison."""
    return measure(repeats=repeats)


def cli(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labs", nargs="+", default=LABS, metavar="LAB",
                        help=f"lab ids (default: {' '.join(LABS)})")
    parser.add_argument("--lab", action="append", dest="lab", metavar="LAB",
                        help="one lab (may be repeated; the same as --labs)")
    parser.add_argument("--count", type=int, default=8, help="submissions per lab")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    result = measure(args.lab or args.labs, args.count, args.repeats, args.output, args.jobs)
    print(json.dumps({lab: {"seconds": {k: v["median"] for k, v in r["seconds"].items()},
                            "ratios": r["median_of_ratios"]}
                      for lab, r in result["labs"].items()}, indent=1))
    print(f"took {result['duration_seconds']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(cli())
