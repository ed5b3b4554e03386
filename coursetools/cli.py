"""The ``coursetools`` command: one subcommand per flow, each a thin call into its module.

- ``labs``: student labs from instructor notebooks (``student_labs``);
- ``clean-notebooks``: strip outputs from committed notebooks (``notebooks``);
- ``grade``: grade a class's submissions (``grading``, see ``coursetools.grading.cli``);
- ``merge``: combine the results of several grading runs (shards) into one;
- ``release``: the student-facing repository, without solutions or hidden tests (``release``);
- ``sync``: keep private instructor notebooks in step with the course (``private_copies``);
- ``audit``: the mutation audit of a lab's tests (``grading.audit``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coursetools import markers, notebooks, private_copies, release, student_labs


def _clean_notebooks(args) -> int:
    paths = []
    for target in args.paths or list(notebooks.NOTEBOOK_DIRS):
        target = Path(target)
        if target.is_dir():
            paths += notebooks.notebooks_under(target)
        elif target.exists():
            paths.append(target)
        else:
            print(f"skipped {target}: no such file or folder", file=sys.stderr)
    for path in notebooks.clean_files(paths):
        print(f"cleaned {path}")
    return 0


def _labs(args) -> int:
    root = Path(args.root)
    try:
        stale = student_labs.generate(root, check=args.check)
    except markers.MarkerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    orphans = [p for p in stale
               if p.parent.name == "labs" and not (root / "solutions" / p.name).exists()]
    for path in stale:
        what = ("has no instructor notebook in solutions/" if path in orphans
                else "is out of date" if args.check else "written")
        print(f"{path.relative_to(root)} {what}")
    if args.check and stale:   # (an outdated helper cell would make every notebook refused)
        print("run `make labs` to regenerate", file=sys.stderr)
        return 1
    refused = _refused_declarations(root)
    if refused:
        print(f"error: {refused}", file=sys.stderr)
        return 2
    return 1 if orphans else 0


def _release(args) -> int:
    try:
        written = release.release(Path(args.root), Path(args.dest), args.repository, args.branch)
    except (release.ReleaseError, markers.MarkerError, OSError) as error:
        print(f"release: {error}", file=sys.stderr)
        return 2
    print(f"wrote the release ({len(written)} files) into {args.dest}; it holds no solutions, "
          "hidden tests or seeds")
    return 0


def _sync(args) -> int:
    status = 0
    for path in args.private:
        try:
            report = private_copies.sync(Path(args.root), Path(path),
                                         take_solutions=args.take_solutions,
                                         new_seed=args.new_seed)
        except private_copies.SyncError as error:
            print(f"sync: {error}", file=sys.stderr)
            status = 2
            continue
        print(f"{path} ({report.lab}):")
        for change in report.changes:
            print(f"  {change.text}")
        if report.pending and args.write:
            private_copies.write(report)
            print(f"  written: {len(report.pending)} update(s)")
        elif report.pending:
            print(f"  nothing written: pass --write to apply {len(report.pending)} update(s)")
        if (report.pending and not args.write) or report.to_review:
            status = max(status, 1)
    return status


def _refused_declarations(root: Path) -> str | None:
    """Why an instructor notebook cannot be graded (its tests' declarations disagree with their
    calls, say), or None: ``make labs`` refuses what the grader would refuse."""
    from coursetools.grading.lab import instructor

    for path in sorted((root / "solutions").glob("*.ipynb")):
        try:
            instructor.load(path, path.stem)
        except instructor.LabError as error:
            return str(error)
    return None


def _audit(args) -> int:
    from coursetools.grading import audit
    from coursetools.grading.lab import instructor

    root = Path(args.root)
    try:
        lab = instructor.load(instructor.instructor_path(root, args.lab, args.instructor),
                              args.lab)
    except instructor.LabError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    result = audit.audit(lab, seed=args.seed, fixtures=args.fixtures, jobs=args.jobs)
    print(audit.report(result), end="")
    return 1 if result.problems() else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coursetools", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    clean = commands.add_parser("clean-notebooks", help="strip outputs, counts and widget state")
    clean.add_argument("paths", nargs="*", help="notebooks or folders (default: all course folders)")
    clean.set_defaults(run=_clean_notebooks)
    labs = commands.add_parser("labs", help="regenerate labs/ from solutions/ (and the helper and figure cells)")
    labs.add_argument("--check", action="store_true",
                      help="write nothing; exit 1 if labs/ or a helper cell is out of date")
    labs.add_argument("--root", default=".", help="the repository (default: current folder)")
    labs.set_defaults(run=_labs)
    sync = commands.add_parser(
        "sync", help="compare private instructor notebooks with the course's and update them",
        description="Compare each private copy of an instructor notebook with the course's "
                    "(helper cell, contract, visible tests, solutions, seed) and, with --write, "
                    "update what is safe to update. Exit 1 when updates are pending or a part "
                    "needs review, 2 when a copy cannot be read.")
    sync.add_argument("private", nargs="+", help="private instructor notebooks")
    sync.add_argument("--write", action="store_true", help="apply the safe updates in place")
    sync.add_argument("--take-solutions", action="store_true",
                      help="also replace solution cells that differ by the course's")
    sync.add_argument("--new-seed", action="store_true",
                      help="draw a seed of its own for a copy with none or the course's")
    sync.add_argument("--root", default=".", help="the course repository (default: current folder)")
    sync.set_defaults(run=_sync)
    rel = commands.add_parser(
        "release", help="write the student-facing repository (no solutions, hidden tests, seeds)",
        description="Write the course as students see it into DEST (a new folder, or an earlier "
                    "release: everything but .git is replaced): chapters, student labs, the "
                    "site's configuration, its own README, Makefile and CI.")
    rel.add_argument("dest", help="the release repository's folder")
    rel.add_argument("--repository", default=None,
                     help="the release repository's URL, for the Colab links (default: "
                          "repository.url of _config.yml)")
    rel.add_argument("--branch", default="main", help="its branch (default: main)")
    rel.add_argument("--root", default=".", help="the source repository (default: current folder)")
    rel.set_defaults(run=_release)
    audit = commands.add_parser("audit", help="mutation audit of a lab's tests (exit 1 if a "
                                              "threshold fails)")
    audit.add_argument("lab", help="the lab id, e.g. lab4_xor (solutions/<lab>.ipynb)")
    audit.add_argument("--instructor", type=Path, help="another instructor notebook")
    audit.add_argument("--seed", help="the seed of the varied inputs (default: the lab's)")
    audit.add_argument("--fixtures", type=Path,
                       help="a folder whose mutants/*.py are hand-written mutants to grade too")
    audit.add_argument("--jobs", type=int, default=2, help="processes (default: 2)")
    audit.add_argument("--root", default=".", help="the repository (default: current folder)")
    audit.set_defaults(run=_audit)
    from coursetools.grading import cli as grading_cli

    grading_cli.add_parsers(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
