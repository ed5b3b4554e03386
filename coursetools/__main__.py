"""Command line: ``python -m coursetools <command>``; ``--help`` lists the commands."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coursetools import notebooks


def _clean_notebooks(args) -> int:
    paths = []
    for target in args.paths or list(notebooks.NOTEBOOK_DIRS):
        target = Path(target)
        if target.is_dir():
            paths += sorted(target.rglob("*.ipynb"))
        elif target.exists():
            paths.append(target)
        else:
            print(f"skipped {target}: no such file or folder", file=sys.stderr)
    for path in notebooks.clean_files(paths):
        print(f"cleaned {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m coursetools", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    clean = commands.add_parser("clean-notebooks", help="strip outputs, counts and widget state")
    clean.add_argument("paths", nargs="*", help="notebooks or folders (default: all course folders)")
    clean.set_defaults(run=_clean_notebooks)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
