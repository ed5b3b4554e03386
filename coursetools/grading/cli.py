"""``python -m coursetools grade``: the command line of the grader (and of ``make grade``).

Exit status 0 when the batch ran, whatever the students' notebooks did; non-zero (2) only when
grading itself cannot run (unknown lab, missing folder, an instructor notebook that fails its
own tests), with the reason on stderr.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(commands) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "grade", help="grade a folder of submitted notebooks",
        description="Grade every *.ipynb of a folder (one student per file, id = file name) "
                    "with the official visible and hidden tests; writes OUT/grades.csv, "
                    "OUT/feedback/<student>.md and OUT/report.html.")
    parser.add_argument("--lab", required=True, help="lab id, e.g. lab1_scalar")
    parser.add_argument("--submissions", required=True, type=Path,
                        help="folder of submitted .ipynb files (only read, never changed)")
    parser.add_argument("--out", required=True, type=Path, help="folder for the results")
    parser.add_argument("--instructor", type=Path, default=None,
                        help="instructor notebook with the hidden tests "
                             "(default: solutions/<lab>.ipynb of the repository)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="notebooks executed in parallel (default: number of cores)")
    parser.add_argument("--timeout", type=float, default=20.0,
                        help="seconds one cell of a submission may run (default 20)")
    parser.add_argument("--memory", type=int, default=1024,
                        help="MiB one submission's kernel may allocate (default 1024)")
    parser.add_argument("--seed", default=None,
                        help="seed of the random test inputs, to grade reproducibly "
                             "(default: a fresh secret one per run; keep it private)")
    parser.add_argument("--keep-work", action="store_true",
                        help="keep the generated grading notebooks and the pytest log")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    from coursetools.grading import batch
    from coursetools.grading.gradebook import fmt

    try:
        outcome = batch.grade(args.lab, args.submissions, args.out, instructor=args.instructor,
                              jobs=args.jobs, timeout=args.timeout, memory_mb=args.memory,
                              progress=not args.quiet, keep_work=args.keep_work,
                              seed=args.seed)
    except batch.GradingError as error:
        print(f"grade: {error}", file=sys.stderr)
        return 2
    subs = outcome.submissions
    flagged = [s for s in subs if s.status_text != "ok"]
    print(f"graded {len(subs)} submissions of {outcome.lab.lab_id} "
          f"(max {fmt(outcome.max_points)} points); {len(flagged)} with a status other than ok")
    for sub in flagged:
        print(f"  {sub.student}: {sub.status_text}")
    print(f"results: {args.out / 'grades.csv'}, {args.out / 'feedback'}/, "
          f"{args.out / 'report.html'}")
    return 0
