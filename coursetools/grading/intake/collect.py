"""Step: a submissions folder (or the .zip an LMS hands out) becomes one ``Submission`` per student.

Every file is accounted for: a notebook is graded; any other file is a row with a status or a
note that names it, never silence. The folder is only read: files are read once into memory
(a .zip is never unpacked to disk), symbolic links are never followed, and nothing is written.

Who handed in what comes from the path, as each learning platform names it: each platform's
module in ``lms`` claims its file names (``lms.registry.claim``: Canvas, Moodle, Blackboard,
Brightspace, Gradescope, a folder per student, one file per student) and reads the files of its
download that are about other files (Gradescope's metadata, Blackboard's receipts,
Brightspace's index).

A folder that wraps the whole download (``lab1 submissions/...``) is looked through. Names are
compared after Unicode normalisation (NFC), and zip members whose names were stored in the
old DOS encoding although they are UTF-8 are decoded as UTF-8. When one student has several
files, the latest attempt of a notebook is graded (``-N``, then the LMS's file id, then the
time in the zip) and the others are listed in the feedback.

With a roster, ``collect`` asks it who each file belongs to (``resolve``), so that the files
of one student are grouped whatever scheme named them.
"""
from __future__ import annotations

import dataclasses
import datetime
import unicodedata
import zipfile
from pathlib import Path, PurePosixPath
from typing import Callable

from coursetools.grading.lms import registry
from coursetools.grading.lms.platform import NOTEBOOK_SUFFIXES, Claim, File
from coursetools.grading.records import LmsIdentity, Scheme, Status, Submission

IGNORED = {".DS_Store", "Thumbs.db", "desktop.ini"}
MAX_ZIP_BYTES = 2 * 2**30
MAX_FILE_BYTES = 64 * 2**20


@dataclasses.dataclass
class Collected:
    submissions: list[Submission]
    warnings: list[str]


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _folder_files(root: Path) -> tuple[list[File], list[str]]:
    files, warnings = [], []
    for path in sorted(root.rglob("*")):
        relative = PurePosixPath(_nfc(path.relative_to(root).as_posix()))
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


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name; UTF-8 stored without the UTF-8 flag is decoded as UTF-8."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return _nfc(name)


def _zip_files(path: Path) -> tuple[list[File], list[str]]:
    files, warnings, total = [], [], 0
    with zipfile.ZipFile(path) as archive:
        for info in sorted(archive.infolist(), key=_member_name):
            shown = _member_name(info)
            name = PurePosixPath(shown)
            if info.is_dir():
                continue
            if name.is_absolute() or ".." in name.parts:
                warnings.append(f"{shown}: ignored (an unsafe path in the zip)")
                continue
            if any(part in IGNORED or part in ("__MACOSX", ".ipynb_checkpoints")
                   for part in name.parts):
                warnings.append(f"{shown}: ignored (a system file)")
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


def identify(file: File) -> Claim:
    """Who ``file`` belongs to, from its path (the first platform that claims it)."""
    return registry.claim(file.path.parts)


def _unwrap(files: list[File]) -> list[File]:
    """Look through one folder that holds the whole download (its files named by an LMS)."""
    tops = {f.path.parts[0] for f in files}
    if len(tops) != 1 or any(len(f.path.parts) < 2 for f in files):
        return files
    inner = [dataclasses.replace(f, path=PurePosixPath(*f.path.parts[1:])) for f in files]
    return inner if registry.recognises(inner) else files


# ------------------------------------------------------------------ one row per student
def _time(file: File, claim: Claim) -> str:
    """The hand-in time the LMS recorded, else the one a zip member carries (not for Canvas:
    its zip holds the time of the download)."""
    if claim.submitted:
        return claim.submitted
    if file.mtime is None or claim.scheme.platform == "canvas":
        return ""
    try:
        return datetime.datetime(*file.mtime).isoformat()
    except ValueError:
        return ""


def _rank(entry: tuple[Claim, File]):
    claim, file = entry
    return (claim.attempt, claim.order, file.mtime or (), str(file.path))


def _shown(claim: Claim, file: File) -> str:
    """A file as the student knows it; with its hand-in time where the LMS names attempts by
    time only (Blackboard, Brightspace), so that two attempts of ``lab1.ipynb`` differ."""
    label = claim.original or str(file.path)
    if claim.submitted and claim.scheme in (Scheme.BLACKBOARD, Scheme.BLACKBOARD_TEXT,
                                            Scheme.BRIGHTSPACE):
        label += f" (handed in {claim.submitted.replace('T', ' ')})"
    return label


def _submission(key: str, entries: list[tuple[Claim, File]]) -> Submission:
    notebooks = [e for e in entries if is_notebook_name(e[1].path.name) and not e[1].problem]
    claim, chosen = max(notebooks or entries, key=_rank)
    others = sorted((e for e in entries if e[1] is not chosen), key=_rank)
    sub = Submission(student=key, name=claim.name, source=str(chosen.path),
                     other_files=[str(f.path) for _, f in others], attempt=claim.attempt,
                     late=claim.late, submitted=_time(chosen, claim), lms=claim.identity())
    if claim.off_roster:
        sub.flag(Status.NOT_ON_ROSTER, claim.why)
    if claim.group:
        sub.notes.append("A group submission, also for: "
                         + ", ".join(name or member for member, name in claim.group) + ".")
    label = claim.original or chosen.path.name
    if chosen.problem:
        sub.flag(Status.NOT_A_NOTEBOOK_FILE, f"({chosen.problem})")
    elif claim.scheme.text_entry:
        sub.flag(Status.NOT_A_NOTEBOOK_FILE, "(a text entry or link, not a file)")
        sub.notes.append("You submitted a text entry or a link: hand in the .ipynb file "
                         "(Colab: File -> Download -> Download .ipynb).")
    elif not is_notebook_name(chosen.path.name):
        sub.flag(Status.NOT_A_NOTEBOOK_FILE, f"({PurePosixPath(label).name})")
        sub.notes.append(f"{PurePosixPath(label).name} is not a notebook: hand in the .ipynb "
                         "file (Colab: File -> Download -> Download .ipynb).")
    else:
        sub.raw = chosen.raw
        if not chosen.path.name.endswith(".ipynb"):
            sub.notes.append(f"The file was named {PurePosixPath(label).name}; it was graded as "
                             "a notebook.")
        if len(notebooks) > 1:
            sub.notes.append(f"Graded: {_shown(claim, chosen)} (your latest attempt).")
    if others:
        sub.notes.append("Other files you handed in, not graded: "
                         + ", ".join(_shown(c, f) for c, f in others) + ".")
    return sub


def collect(submissions: Path,
            resolve: Callable[[Claim], Claim] | None = None) -> Collected:
    """One Submission per student found in ``submissions`` (see the module docstring).

    ``resolve`` (a roster's) turns what a file claims into the student it belongs to.
    """
    files, warnings = read_files(submissions)
    files, refinements = registry.prepare(_unwrap(files), warnings)
    groups: dict[str, list[tuple[Claim, File]]] = {}
    keys: dict[str, str] = {}
    for file in files:
        claim = identify(file)
        for refine in refinements:
            claim = refine(claim)
        if resolve is not None:
            claim = resolve(claim)
        folded = _nfc(claim.key).casefold()
        keys.setdefault(folded, claim.key)
        groups.setdefault(folded, []).append((claim, file))
    result = [_submission(keys[k], groups[k]) for k in sorted(groups)]
    result += _members(result, set(groups), resolve)
    return Collected(result, warnings)


def _members(leaders: list[Submission], handed_in: set[str], resolve) -> list[Submission]:
    """A row for each other member of a group submission (``share_group_results`` fills
    in its tests once the group's file is graded); a member who handed in a file of their own
    keeps that."""
    rows = []
    for leader in leaders:
        for member, name in leader.lms.group if leader.lms else ():
            claim = Claim(member, name, Scheme.GRADESCOPE, user=member)
            if resolve is not None:
                claim = resolve(claim)
            if _nfc(claim.key).casefold() in handed_in:
                continue
            handed_in.add(_nfc(claim.key).casefold())
            row = Submission(student=claim.key, name=claim.name, source=leader.source,
                             submitted=leader.submitted, late=leader.late,
                             lms=LmsIdentity(Scheme.GRADESCOPE, member,
                                             group_of=leader.student))
            if claim.off_roster:
                row.flag(Status.NOT_ON_ROSTER, claim.why)
            rows.append(row)
    return rows
