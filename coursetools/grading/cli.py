"""``coursetools grade``, ``merge`` and ``render``: the command lines of the grader.

``render`` rewrites a results folder from its results.json (after editing overrides.csv, or to
change the late rule) without executing anything.

Exit status 0 when the batch ran, whatever the students' notebooks did; 2 when grading itself
cannot run (unknown lab, missing folder, no sandbox, an instructor notebook that fails its own
tests, a results folder the grader did not write), with the reason on stderr.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _shard(text: str) -> tuple[int, int]:
    from coursetools.grading.intake import shards

    try:
        return shards.parse(text, os.environ)
    except shards.ShardError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _lms_files() -> str:
    from coursetools.grading.lms import registry

    return ", ".join(f"OUT/{name}" for name in registry.export_files())


def add_parsers(commands) -> None:
    parser = commands.add_parser(
        "grade", help="grade a class's submitted notebooks",
        description="Grade every notebook of a submissions folder (or .zip) with the official "
                    "visible and hidden tests, each in a sandboxed kernel; writes "
                    "OUT/grades.csv, OUT/feedback/, OUT/report.html, OUT/results.json, "
                    f"the LMS files of the class's platform ({_lms_files()}) and "
                    "appends the run to OUT/runs.jsonl.")
    parser.add_argument("--lab", required=True, help="lab id, e.g. lab1_scalar")
    parser.add_argument("--submissions", required=True, type=Path,
                        help="folder (or .zip) of submitted notebooks (only read, never changed)")
    parser.add_argument("--out", required=True, type=Path, help="folder for the results")
    parser.add_argument("--instructor", type=Path, default=None,
                        help="instructor notebook with the hidden tests and the seed "
                             "(default: solutions/<lab>.ipynb of the repository)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="notebooks executed in parallel (default: number of cores)")
    parser.add_argument("--timeout", type=float, default=20.0,
                        help="seconds one cell of a submission may run (default 20)")
    parser.add_argument("--notebook-timeout", type=float, default=300.0,
                        help="seconds one submission may run in all (default 300)")
    parser.add_argument("--memory", type=int, default=2048,
                        help="MiB of address space a submission's kernel may use (default 2048)")
    parser.add_argument("--seed", default=None,
                        help="seed of the varied test inputs (default: the instructor "
                             "notebook's metadata.coursetools.seed)")
    parser.add_argument("--fresh", action="store_true",
                        help="start over: forget the results already in OUT")
    parser.add_argument("--shard", type=_shard, default=None,
                        help="grade only part i of N of the class (e.g. 2/3), or 'auto': i and N "
                             "from the batch system (a Slurm array's SLURM_ARRAY_TASK_*, or "
                             "COURSETOOLS_SHARD_INDEX from 0 and COURSETOOLS_SHARD_COUNT); "
                             "combine the parts with merge")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="grade without the sandbox where none can run (macOS, Windows): "
                             "a submission could then read the tests; the report says so")
    parser.add_argument("--keep-work", action="store_true",
                        help="keep the grading notebooks and the pytest log in OUT/work")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    parser.add_argument("--policy", choices=("latest", "best"), default=None,
                        help="which of a student's graded files counts when a student is graded "
                             "again: latest (the newest file) or best (the most points after "
                             "the late penalty); every attempt stays in the history (default: "
                             "the folder's policy, else latest)")
    _add_similarity_option(parser)
    _add_lms_options(parser)
    parser.set_defaults(run=run)

    merge = commands.add_parser("merge", help="combine results folders (shards) into one",
                                description="Merge the results.json of several grading runs of "
                                            "the same lab into OUT, and render its outputs.")
    merge.add_argument("folders", nargs="+", type=Path, help="results folders to merge")
    merge.add_argument("--out", required=True, type=Path, help="folder for the merged results")
    merge.add_argument("--prefer-newer", action="store_true",
                       help="a student in two folders keeps the row of the newer run (default: "
                            "refuse, one of the rows is stale)")
    merge.set_defaults(run=run_merge)

    again = commands.add_parser(
        "render", help="apply OUT/overrides.csv and rewrite OUT's files, without grading",
        description="Render every output of a results folder again from its results.json: "
                    "after editing overrides.csv, or to change the late-penalty rule, deadline "
                    "or LMS assignment name. No notebook is executed.")
    again.add_argument("--out", required=True, type=Path, help="the results folder")
    _add_similarity_option(again)
    _add_lms_options(again, roster=False)
    again.set_defaults(run=run_render)


def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share between 0 and 1 (e.g. 0.6)")
    return value


def _add_similarity_option(parser) -> None:
    from coursetools.grading.score import similarity

    parser.add_argument("--similarity-threshold", type=_threshold, default=None,
                        help="OUT/similarity.html lists the pairs of students (and a student "
                             "and the course's solution) when this share of one side's graded "
                             "code is found in the other (default: the folder's, else "
                             f"{similarity.DEFAULT_THRESHOLD}); it never changes a grade")


def _add_lms_options(parser, roster: bool = True) -> None:
    """The LMS options: each is kept in results.json until given again."""
    from coursetools.grading.lms import registry

    if roster:
        parser.add_argument("--roster", type=Path, default=None,
                            help=f"class list CSV: {registry.roster_help()}; every student on "
                                 "it gets a row (missing: nothing handed in)")
    parser.add_argument("--deadline", default=None,
                        help="YYYY-MM-DD[THH:MM], in the LMS's time zone: hand-ins whose "
                             "recorded time (Gradescope's, a Moodle worksheet's, else the zip's; "
                             "not Canvas's) is later are late")
    parser.add_argument("--late-penalty", default=None,
                        help="penalty rule for late rows, e.g. 10%%/day,max=50%% or 2/day,max=6 "
                             "(per started day), 20%% or 5 (once), none")
    parser.add_argument("--assignment", default=None,
                        help="the lab's column name in the LMS gradebook, as its export writes "
                             "it, e.g. 'Lab 4: XOR layers (8812)' (default: the roster's column "
                             "of the lab; without one, grading stops and asks for this)")
    parser.add_argument("--points-possible", type=float, default=None,
                        help="the assignment's points in the LMS: the LMS files scale the "
                             "points to it (default: the roster's, e.g. Canvas's Points "
                             "Possible row; grades.csv keeps the raw points)")


def run(args) -> int:
    from coursetools.grading import pipeline
    from coursetools.grading.records import fmt
    from coursetools.grading.run import execute, sandbox

    limits = sandbox.Limits(memory_bytes=args.memory * sandbox.MIB)
    options = pipeline.Options(
        lab=args.lab, submissions=args.submissions, out=args.out, instructor=args.instructor,
        jobs=args.jobs, seed=args.seed, fresh=args.fresh, shard=args.shard,
        unsafe_no_sandbox=args.unsafe_no_sandbox, keep_work=args.keep_work,
        progress=not args.quiet,
        budgets=execute.Budgets(cell_seconds=args.timeout, notebook_seconds=args.notebook_timeout,
                                limits=limits),
        roster=args.roster, deadline=args.deadline, late_penalty=args.late_penalty,
        assignment=args.assignment, points_possible=args.points_possible, policy=args.policy,
        similarity_threshold=args.similarity_threshold)
    try:
        outcome = pipeline.grade(options)
    except pipeline.GradingError as error:
        print(f"grade: {error}", file=sys.stderr)
        return 2
    if args.unsafe_no_sandbox:
        print(pipeline.UNSAFE_WARNING, file=sys.stderr)
    flagged = [s for s in outcome.graded if s.statuses]
    print(f"graded {_count(len(outcome.graded), 'submission')} of {outcome.lab.lab_id} (max "
          f"{fmt(outcome.store.max_points)} points) in run {outcome.run}; "
          f"{len(flagged)} with a status other than ok; "
          f"{_count(len(outcome.store.students), 'student')} in the results")
    for sub in flagged:
        print(terminal_text(f"  {sub.student}: {sub.status_text}"))
    for warning in outcome.warnings:
        print(terminal_text(f"  warning: {warning}"))
    _print_outputs(args.out)
    return 0


def terminal_text(text: str) -> str:
    """Student text on the instructor's terminal (``render.escape``)."""
    from coursetools.grading.render import escape

    return escape.terminal_text(text)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _print_outputs(out: Path) -> None:
    from coursetools.grading.results import outdir

    extra = [str(out / name) for name in outdir.LMS_FILES if (out / name).is_file()]
    print(f"results: {out / 'grades.csv'}, {out / 'feedback'}/, {out / 'report.html'}, "
          f"{out / 'similarity.html'}" + "".join(f", {name}" for name in extra))


def run_merge(args) -> int:
    from coursetools.grading import pipeline
    from coursetools.grading.results import merge, outdir

    try:
        outdir.check(args.out)
        folders = [merge.read(folder) for folder in args.folders]
        merged, runs, warnings = merge.merge(folders, prefer_newer=args.prefer_newer)
    except (OSError, ValueError, outdir.UnsafeOutput) as error:   # merge.MergeError too
        print(f"merge: {error}", file=sys.stderr)
        return 2
    outdir.write(args.out, "runs.jsonl", runs)
    try:
        warnings += pipeline.render(args.out, merged)
    except ValueError as error:          # overrides.OverridesError
        print(f"merge: {error}", file=sys.stderr)
        return 2
    print(f"merged {len(args.folders)} results folders: {len(merged.students)} students of "
          f"{merged.lab} in {args.out}")
    for warning in warnings:
        print(terminal_text(f"  warning: {warning}"))
    return 0


def run_render(args) -> int:
    from coursetools.grading import pipeline
    from coursetools.grading.results import class_settings, outdir, store

    try:
        outdir.check(args.out)
        results = store.from_json((args.out / "results.json").read_text(encoding="utf-8"))
        settings = class_settings.load(args.out, None, args.deadline, args.late_penalty,
                                       args.assignment, points_possible=args.points_possible)
        settings.store_into(results)
        if args.similarity_threshold is not None:
            results.similarity_threshold = args.similarity_threshold
        warnings = pipeline.render(args.out, results)
    except (OSError, ValueError, outdir.UnsafeOutput, class_settings.SettingsError) as error:
        print(f"render: {error}", file=sys.stderr)
        return 2
    print(f"rendered {len(results.students)} students of {results.lab} in {args.out}")
    for warning in warnings:
        print(terminal_text(f"  warning: {warning}"))
    _print_outputs(args.out)
    return 0
