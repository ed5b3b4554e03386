"""Step: a submissions folder (or the .zip an LMS hands out) becomes one ``Submission`` per student.

Every file is accounted for: a notebook is graded; any other file is a row with a status or a
warning that names it, never silence. The folder is only read: files are read once into memory
(a .zip is never unpacked to disk), symbolic links are never followed, and nothing is written.

Who handed in what comes from the path: ``student.ipynb`` at the top, or any file inside a
folder per student (``alice/lab1.ipynb``, as GitHub Classroom and Gradescope exports have
it). When one student has several notebooks, the latest attempt is graded and the others are
listed in the feedback.
"""
from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path, PurePosixPath

from coursetools.grading.records import Status, Submission

NOTEBOOK_SUFFIXES = (".ipynb", ".ipynb.txt", ".ipynb.json")
IGNORED = {".DS_Store", "Thumbs.db", "desktop.ini"}
MAX_ZIP_BYTES = 2 * 2**30
MAX_FILE_BYTES = 64 * 2**20


@dataclasses.dataclass
class File:
    """One file of the hand-in: its path inside the hand-in, its bytes, and any problem."""

    path: PurePosixPath
    raw: bytes | None = None
    problem: str = ""          # why it cannot be read (a link, too large...)
    mtime: tuple | None = None


@dataclasses.dataclass
class Collected:
    submissions: list[Submission]
    warnings: list[str]


def _folder_files(root: Path) -> tuple[list[File], list[str]]:
    files, warnings = [], []
    for path in sorted(root.rglob("*")):
        relative = PurePosixPath(path.relative_to(root).as_posix())
        if any(part in IGNORED or part == ".ipynb_checkpoints" or part == "__MACOSX"
               for part in relative.parts):
            warnings.append(f"{relative}: ignored (a system file)")
            continue
        if path.is_symlink():
            files.append(File(relative, problem="a symbolic link (hand in the file itself)"))
        elif path.is_file():
            size = path.stat().st_size
            files.append(File(relative, problem=f"too large ({size / 2**20:.0f} MB)")
                         if size > MAX_FILE_BYTES else File(relative, path.read_bytes()))
    return files, warnings


def _zip_files(path: Path) -> tuple[list[File], list[str]]:
    files, warnings, total = [], [], 0
    with zipfile.ZipFile(path) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            name = PurePosixPath(info.filename)
            if info.is_dir():
                continue
            if name.is_absolute() or ".." in name.parts:
                warnings.append(f"{info.filename}: ignored (an unsafe path in the zip)")
                continue
            if any(part in IGNORED or part in ("__MACOSX", ".ipynb_checkpoints")
                   for part in name.parts):
                warnings.append(f"{info.filename}: ignored (a system file)")
                continue
            total += info.file_size
            if info.file_size > MAX_FILE_BYTES or total > MAX_ZIP_BYTES:
                files.append(File(name, problem="too large"))
                continue
            files.append(File(name, archive.read(info), mtime=info.date_time))
    return files, warnings


def read_files(submissions: Path) -> tuple[list[File], list[str]]:
    """The files of a submissions folder or .zip, with warnings for what is ignored."""
    submissions = Path(submissions)
    if submissions.is_file() and submissions.suffix.lower() == ".zip":
        return _zip_files(submissions)
    return _folder_files(submissions)


def is_notebook_name(name: str) -> bool:
    return name.lower().endswith(NOTEBOOK_SUFFIXES)


def _stem(name: str) -> str:
    lower = name.lower()
    for suffix in NOTEBOOK_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name.rsplit(".", 1)[0] if "." in name else name


def identify(file: File) -> tuple[str, str, int]:
    """(student id, display name, attempt) of a file, from its path."""
    if len(file.path.parts) > 1:
        return file.path.parts[0], file.path.parts[0], 0
    return _stem(file.path.name), "", 0


def _submission(student: str, name: str, chosen: File, others: list[File]) -> Submission:
    sub = Submission(student=student, name=name, source=str(chosen.path),
                     other_files=[str(f.path) for f in others])
    if chosen.problem:
        sub.flag(Status.NOT_A_NOTEBOOK_FILE, f"({chosen.problem})")
    elif not is_notebook_name(chosen.path.name):
        sub.flag(Status.NOT_A_NOTEBOOK_FILE, f"({chosen.path.name})")
        sub.notes.append(f"{chosen.path.name} is not a notebook: hand in the .ipynb file "
                         "(Colab: File -> Download -> Download .ipynb).")
    else:
        sub.raw = chosen.raw
        if not chosen.path.name.endswith(".ipynb"):
            sub.notes.append(f"The file was named {chosen.path.name}; it was graded as a notebook.")
    if others:
        sub.notes.append("Other files you handed in, not graded: "
                         + ", ".join(str(f.path) for f in others) + ".")
    return sub


def collect(submissions: Path) -> Collected:
    """One Submission per student found in ``submissions`` (see the module docstring)."""
    files, warnings = read_files(submissions)
    by_student: dict[str, list[tuple[int, File, str]]] = {}
    for file in files:
        student, name, attempt = identify(file)
        by_student.setdefault(student, []).append((attempt, file, name))
    result = []
    for student in sorted(by_student, key=str.casefold):
        entries = by_student[student]
        notebooks = [e for e in entries if is_notebook_name(e[1].path.name) and not e[1].problem]
        ranked = sorted(notebooks or entries, key=lambda e: (e[0], str(e[1].path)))
        attempt, chosen, name = ranked[-1]
        others = [e[1] for e in entries if e[1] is not chosen]
        sub = _submission(student, name, chosen, others)
        sub.attempt = attempt
        result.append(sub)
    return Collected(result, warnings)
