"""The results folder (OUT): written only by the grader, atomically, never through a link.

OUT has a fixed layout. Before anything is written, every entry is checked: a symbolic link
anywhere, or an entry the grader does not write (a folder named ``grades.csv``, a stray file in
``feedback/``), stops the run with a message that names it; nothing is followed or overwritten.
Each file is written to a temporary name in the same folder and renamed into place, so a crash
never leaves half a gradebook. The one file the grader reads but never writes is
``overrides.csv`` (the instructor's corrections), and so is ``manual.csv`` (the instructor's
points for the written answers).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from coursetools.grading.lms import registry

# Every file a run writes (and overrides.csv, which it reads), in one list: the LMS files are
# those of the platforms of ``lms.registry``, so a new platform's files are known here too.
LMS_FILES = registry.export_files()
FILES = {"grades.csv", "results.json", "runs.jsonl", "report.html", "similarity.html",
         "overrides.csv", "manual.csv", *LMS_FILES}
FOLDERS = {"feedback": {".md", ".html"}, "answers": {".html", ".csv"}}
KEEP = {"work"}   # --keep-work leaves the grading notebooks here


class UnsafeOutput(Exception):
    """OUT holds something the grader did not write (the message names it)."""


def check(out: Path) -> None:
    """Raise UnsafeOutput unless ``out`` is absent, or a real folder with only known entries."""
    out = Path(out)
    if out.is_symlink():
        raise UnsafeOutput(f"{out} is a symbolic link: give the results folder itself")
    if not out.exists():
        return
    if not out.is_dir():
        raise UnsafeOutput(f"{out} is not a folder")
    for entry in out.iterdir():
        if entry.is_symlink():
            raise UnsafeOutput(f"{entry} is a symbolic link; the grader never follows links in "
                               "its results folder: remove it")
        if entry.name in FILES and entry.is_file() or entry.name in KEEP and entry.is_dir():
            continue
        if entry.name in FOLDERS and entry.is_dir():
            for item in entry.iterdir():
                if item.is_symlink() or not item.is_file() or item.suffix not in FOLDERS[entry.name]:
                    raise UnsafeOutput(f"{item} was not written by the grader: remove it")
            continue
        raise UnsafeOutput(f"{entry} was not written by the grader (choose an empty results "
                           "folder, or remove it)")


def write(out: Path, relative: str, data: str | bytes) -> Path:
    """Write one file of OUT atomically (``relative`` like ``feedback/bob.md``)."""
    target = Path(out) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise UnsafeOutput(f"{target} is not a plain file; the grader will not replace it")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(raw)
        os.chmod(temporary, 0o666 & ~_umask())   # as an ordinary file (mkstemp makes it 0600)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def remove_stale(out: Path, folder: str, keep: set[str]) -> None:
    """Delete files of ``OUT/folder`` that are not in ``keep`` (students no longer graded)."""
    path = Path(out) / folder
    if path.is_dir():
        for item in path.iterdir():
            if item.is_file() and not item.is_symlink() and item.name not in keep:
                item.unlink()
