"""The ``coursetools`` command: one subcommand per flow, each a thin call into its module.

- ``labs``: student labs from instructor notebooks (``student_labs``);
- ``clean-notebooks``: strip outputs from committed notebooks (``notebooks``);
- ``grade``: grade a class's submissions (``grading``, see ``coursetools.grading.cli``);
- ``merge``: combine the results of several grading runs (shards) into one;
- ``audit``: the mutation audit of a lab's tests (``grading.audit``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coursetools import markers, notebooks, student_labs


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
    refused = _refused_declarations(root)
    if refused:
        print(f"error: {refused}", file=sys.stderr)
        return 2
    orphans = [p for p in stale
               if p.parent.name == "labs" and not (root / "solutions" / p.name).exists()]
    for path in stale:
        what = ("has no instructor notebook in solutions/" if path in orphans
                else "is out of date" if args.check else "written")
        print(f"{path.relative_to(root)} {what}")
    if args.check and stale:
        print("run `make labs` to regenerate", file=sys.stderr)
        return 1
    return 1 if orphans else 0


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
    labs = commands.add_parser("labs", help="regenerate labs/ (and the helper cells) from solutions/")
    labs.add_argument("--check", action="store_true",
                      help="write nothing; exit 1 if labs/ or a helper cell is out of date")
    labs.add_argument("--root", default=".", help="the repository (default: current folder)")
    labs.set_defaults(run=_labs)
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
