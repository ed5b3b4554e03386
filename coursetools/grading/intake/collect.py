"""Step: a submissions folder (or the .zip an LMS hands out) becomes one ``Submission`` per student.

Every file is accounted for: a notebook is graded; any other file is a row with a status or a
note that names it, never silence. The folder is only read: files are read once into memory
(a .zip is never unpacked to disk), symbolic links are never followed, and nothing is written.

Who handed in what comes from the path, as each LMS names it (``identify``):

- Canvas bulk download, one flat folder: ``name_[LATE_]userid_fileid_original[-N].ext``
  (``name`` is the student's sortable name, lower case, without spaces or punctuation;
  ``LATE`` is Canvas's late flag; ``fileid`` is the id of the uploaded file; ``-N`` is added by
  Canvas when a file of the same name was uploaded before). Anonymous grading writes
  ``[LATE_]anon_<id>_fileid_original``; a text entry or a URL is ``name_userid_text.html`` /
  ``name_userid_link.html``.
- Moodle "Download all submissions": a folder per student
  ``Full Name_participantid_assignsubmission_file`` (older versions end it with ``_``), or,
  without folders, files ``Full Name_participantid_assignsubmission_file_original``.
- Blackboard Learn "Assignment File Download", one flat folder:
  ``Assignment_username_attempt_YYYY-MM-DD-HH-MM-SS_original`` and, per attempt, a receipt
  ``Assignment_username_attempt_YYYY-MM-DD-HH-MM-SS.txt`` whose ``Name: Full Name (username)``
  line gives the name (and the username, which may itself hold underscores); the time in the
  name is the hand-in time. A receipt alone is a text-only submission.
- Brightspace (D2L) "Download" of a dropbox folder: a folder per submission
  ``<number>-<number> - Full Name - Mon D, YYYY HMM AM/``, or flat files
  ``<number>-<number> - Full Name - Mon D, YYYY HMM AM - original``, beside an ``index.html``;
  no user id, so the student is the name (a roster matches it by name), and the date is the
  hand-in time.
- a folder per student (GitHub Classroom, your own): ``alice/lab1.ipynb``;
- Gradescope "Export Submissions": a folder ``submission_<id>`` per submission and a
  ``submission_metadata.yml`` that names its submitters (``:name:``, ``:sid:``, ``:email:``) and
  its time (``:created_at:``); a submitter's SID (else e-mail, else name) is the id, and each
  member of a group submission gets a row (graded once, from the same file);
- one file per student at the top: ``alice.ipynb``.

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
import re
import unicodedata
import zipfile
from pathlib import Path, PurePosixPath
from typing import Callable

import yaml

from coursetools.grading.records import Status, Submission

NOTEBOOK_SUFFIXES = (".ipynb", ".ipynb.txt", ".ipynb.json")
IGNORED = {".DS_Store", "Thumbs.db", "desktop.ini"}
MAX_ZIP_BYTES = 2 * 2**30
MAX_FILE_BYTES = 64 * 2**20

CANVAS = re.compile(r"^(?P<name>.+?)_(?:(?P<late>LATE)_)?(?P<user>\d+)_(?P<file>\d+)_"
                    r"(?P<original>.+)$")
CANVAS_ANONYMOUS = re.compile(
    r"^(?:(?P<late>LATE)_)?(?P<user>anon_[A-Za-z0-9]+)_(?P<file>\d+)_(?P<original>.+)$")
CANVAS_TEXT = re.compile(r"^(?P<name>.+?)_(?:(?P<late>LATE)_)?(?P<user>\d+)_"
                         r"(?P<kind>text|link)\.html$")
MOODLE = re.compile(r"^(?P<name>[^_]+)_(?P<user>\d+)_assignsubmission_(?P<plugin>[a-z]+)"
                    r"(?:_(?P<original>.*))?$")
ATTEMPT = re.compile(r"^(?P<stem>.+)-(?P<number>\d+)$")
BLACKBOARD = re.compile(r"^(?P<assignment>.+)_(?P<user>[^_]+)_attempt_"
                        r"(?P<when>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})"
                        r"(?:_(?P<original>.+)|\.txt)$")
BLACKBOARD_NAME = re.compile(r"^Name:\s*(?P<name>.*?)\s*\((?P<user>[^()]+)\)\s*$", re.MULTILINE)
BRIGHTSPACE = re.compile(r"^(?P<submission>\d+)-(?P<file>\d+) - (?P<name>.+?) - "
                         r"(?P<month>[A-Za-z]{3})[a-z]*\.? (?P<day>\d{1,2}), (?P<year>\d{4}) "
                         r"(?P<hour>\d{1,2})(?P<minute>\d{2}) (?P<half>[AP]M)"
                         r"(?: - (?P<original>.+))?$")
MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                      "sep", "oct", "nov", "dec"], start=1)}
GRADESCOPE_METADATA = "submission_metadata.yml"


@dataclasses.dataclass
class File:
    """One file of the hand-in: its path inside the hand-in, its bytes, and any problem."""

    path: PurePosixPath
    raw: bytes | None = None
    problem: str = ""          # why it cannot be read (a link, too large...)
    mtime: tuple | None = None   # the time stored in the zip (None for a folder)


@dataclasses.dataclass
class Claim:
    """Who a file says it belongs to, as its LMS named it."""

    key: str                   # the id the name gives (LMS user id, folder or file name)
    name: str = ""             # the person's name in the path, if any
    scheme: str = "file"       # canvas, canvas-text, moodle, folder, file
    late: bool = False
    attempt: int = 0           # Canvas's -N
    order: int = 0             # the LMS's file id: a later upload has a larger one
    original: str = ""         # the file name the student gave
    user: str = ""             # the LMS's id of the student (Canvas user, Moodle participant)
    prefix: str = ""           # the LMS's prefix of the name (for its bulk feedback upload)
    submitted: str = ""        # the hand-in time the LMS recorded (ISO), if it says
    group: tuple[tuple[str, str], ...] = ()  # the other members of a group: (id, name)
    off_roster: bool = False   # set by a roster that knows nobody of that id or name
    why: str = ""              # ... and why, when several roster students would fit


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


def _stem(name: str) -> str:
    lower = name.lower()
    for suffix in NOTEBOOK_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name.rsplit(".", 1)[0] if "." in name else name


# ------------------------------------------------------------------ who is it
def _canvas(name: str) -> Claim | None:
    match = CANVAS_TEXT.match(name)
    if match:
        return Claim(match["user"], match["name"], "canvas-text", bool(match["late"]),
                     original=f"{match['kind']}.html", user=match["user"],
                     prefix=name.rsplit("_", 1)[0])
    match = CANVAS_ANONYMOUS.match(name) or CANVAS.match(name)
    if not match:
        return None
    original = match["original"]
    attempt = ATTEMPT.match(_stem(original))
    return Claim(match["user"], match.groupdict().get("name") or "", "canvas",
                 bool(match["late"]), int(attempt["number"]) if attempt else 0,
                 int(match["file"]), original, user=match["user"],
                 prefix=name[: len(name) - len(original) - 1])


def _moodle(part: str, rest: tuple[str, ...]) -> Claim | None:
    match = MOODLE.match(part)
    if not match:
        return None
    original = "/".join(rest) if rest else (match["original"] or "")
    name = "" if match["name"] == "Participant" else match["name"]   # blind marking
    return Claim(match["user"], name, "moodle", original=original, user=match["user"],
                 prefix=f"{match['name']}_{match['user']}")


def _blackboard(name: str) -> Claim | None:
    match = BLACKBOARD.match(name)
    if not match:
        return None
    when = match["when"]
    day, time = when[:10], when[11:].replace("-", ":")
    prefix = name[: match.end("when")]
    return Claim(match["user"], "", "blackboard" if match["original"] else "blackboard-text",
                 order=int(when.replace("-", "")), original=match["original"] or "",
                 user=match["user"], prefix=prefix, submitted=f"{day}T{time}")


def _brightspace(part: str, rest: tuple[str, ...]) -> Claim | None:
    match = BRIGHTSPACE.match(part)
    if not match or not (rest or match["original"]) or match["month"].lower() not in MONTHS:
        return None
    hour = int(match["hour"]) % 12 + (12 if match["half"] == "PM" else 0)
    try:
        when = datetime.datetime(int(match["year"]), MONTHS[match["month"].lower()],
                                 int(match["day"]), hour, int(match["minute"]))
    except ValueError:
        return None
    name = match["name"].strip()
    return Claim(name, name, "brightspace", order=int(when.strftime("%Y%m%d%H%M")),
                 original="/".join(rest) if rest else match["original"],
                 prefix=part[: match.end("half")], submitted=when.isoformat())


def identify(file: File) -> Claim:
    """Who ``file`` belongs to, from its path (the schemes of the module docstring)."""
    parts = file.path.parts
    lms = _moodle(parts[0], parts[1:]) or _brightspace(parts[0], parts[1:])
    if lms:
        return lms
    if len(parts) > 1:
        return Claim(parts[0], scheme="folder", original="/".join(parts[1:]))
    return (_blackboard(parts[0]) or _canvas(parts[0])
            or Claim(_stem(parts[0]), original=parts[0]))


def _gradescope(files: list[File], warnings: list[str]) -> tuple[list[File], dict[str, Claim]]:
    """Gradescope's metadata file (taken out of the files) as a claim per submission folder."""
    meta = next((f for f in files if str(f.path) == GRADESCOPE_METADATA and f.raw), None)
    if meta is None:
        return files, {}
    try:
        data = yaml.safe_load(meta.raw.decode("utf-8"))
        claims = {}
        for folder, info in (data or {}).items():
            people = [p for p in info.get(":submitters") or [] if isinstance(p, dict)]
            ids = [str(p.get(":sid") or p.get(":email") or p.get(":name") or folder)
                   for p in people] or [str(folder)]
            names = [str(p.get(":name") or "") for p in people] or [""]
            when = info.get(":created_at")
            if isinstance(when, datetime.datetime):
                when = when.replace(tzinfo=None, microsecond=0).isoformat()
            claims[str(folder)] = Claim(ids[0], names[0], "gradescope", user=ids[0],
                                        submitted=str(when or "")[:19].replace(" ", "T"),
                                        group=tuple(zip(ids[1:], names[1:])))
    except (yaml.YAMLError, UnicodeDecodeError, AttributeError, TypeError) as error:
        warnings.append(f"{GRADESCOPE_METADATA}: not read ({type(error).__name__}); the "
                        "submission folders keep their names")
        return [f for f in files if f is not meta], {}
    return [f for f in files if f is not meta], claims


def _blackboard_receipts(files: list[File]) -> tuple[list[File], dict[str, tuple[str, str]]]:
    """Blackboard's receipts: (files without the receipts read, {attempt prefix: (username,
    name)}). A receipt with no other file of its attempt (a text-only submission) is kept, so
    that the student still gets a row."""
    attempts: dict[str, list[File]] = {}
    for file in files:
        claim = _blackboard(file.path.name) if len(file.path.parts) == 1 else None
        if claim is not None:
            attempts.setdefault(claim.prefix, []).append(file)
    people, read = {}, []
    for prefix, group in attempts.items():
        receipt = next((f for f in group if f.path.name == f"{prefix}.txt"), None)
        if receipt is None or receipt.raw is None:
            continue
        match = BLACKBOARD_NAME.search(receipt.raw.decode("utf-8", errors="replace"))
        if match:
            people[prefix] = (match["user"].strip(), match["name"].strip())
        if len(group) > 1:
            read.append(receipt)
    read_ids = {id(r) for r in read}
    return [f for f in files if id(f) not in read_ids], people


def _brightspace_index(files: list[File], warnings: list[str]) -> list[File]:
    """Brightspace puts an ``index.html`` (its list of the download) beside the submissions."""
    if not any(identify(f).scheme == "brightspace" for f in files):
        return files
    index = [f for f in files if str(f.path).lower() == "index.html"]
    warnings += [f"{f.path}: ignored (Brightspace's list of the download)" for f in index]
    return [f for f in files if f not in index]


def _unwrap(files: list[File]) -> list[File]:
    """Look through one folder that holds the whole download (its files named by an LMS)."""
    tops = {f.path.parts[0] for f in files}
    if len(tops) != 1 or any(len(f.path.parts) < 2 for f in files):
        return files
    inner = [dataclasses.replace(f, path=PurePosixPath(*f.path.parts[1:])) for f in files]
    if any(identify(f).scheme not in ("file", "folder") for f in inner) or any(
            str(f.path) == GRADESCOPE_METADATA for f in inner):
        return inner
    return files


# ------------------------------------------------------------------ one row per student
def _time(file: File, claim: Claim) -> str:
    """The hand-in time the LMS recorded, else the one a zip member carries (not for Canvas:
    its zip holds the time of the download)."""
    if claim.submitted:
        return claim.submitted
    if file.mtime is None or claim.scheme.startswith("canvas"):
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
    if claim.submitted and claim.scheme in ("blackboard", "blackboard-text", "brightspace"):
        label += f" (handed in {claim.submitted.replace('T', ' ')})"
    return label


def _submission(key: str, entries: list[tuple[Claim, File]]) -> Submission:
    notebooks = [e for e in entries if is_notebook_name(e[1].path.name) and not e[1].problem]
    claim, chosen = max(notebooks or entries, key=_rank)
    others = sorted((e for e in entries if e[1] is not chosen), key=_rank)
    sub = Submission(student=key, name=claim.name, source=str(chosen.path),
                     other_files=[str(f.path) for _, f in others], attempt=claim.attempt,
                     late=claim.late, submitted=_time(chosen, claim))
    if claim.scheme != "file":
        sub.lms = {k: v for k, v in (("scheme", claim.scheme), ("user", claim.user),
                                     ("prefix", claim.prefix)) if v}
    if claim.off_roster:
        sub.flag(Status.NOT_ON_ROSTER, claim.why)
    if claim.group:
        sub.lms["group"] = [list(member) for member in claim.group]
        sub.notes.append("A group submission, also for: "
                         + ", ".join(name or member for member, name in claim.group) + ".")
    label = claim.original or chosen.path.name
    if chosen.problem:
        sub.flag(Status.NOT_A_NOTEBOOK_FILE, f"({chosen.problem})")
    elif claim.scheme in ("canvas-text", "blackboard-text"):
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
    files, gradescope = _gradescope(_unwrap(files), warnings)
    files, blackboard = _blackboard_receipts(files)
    files = _brightspace_index(files, warnings)
    groups: dict[str, list[tuple[Claim, File]]] = {}
    keys: dict[str, str] = {}
    for file in files:
        claim = identify(file)
        if claim.scheme == "folder" and claim.key in gradescope:
            claim = dataclasses.replace(gradescope[claim.key], original=claim.original)
        if claim.scheme.startswith("blackboard") and claim.prefix in blackboard:
            user, name = blackboard[claim.prefix]
            claim = dataclasses.replace(claim, key=user, user=user, name=name)
        if resolve is not None:
            claim = resolve(claim)
        folded = _nfc(claim.key).casefold()
        keys.setdefault(folded, claim.key)
        groups.setdefault(folded, []).append((claim, file))
    result = [_submission(keys[k], groups[k]) for k in sorted(groups)]
    result += _members(result, set(groups), resolve)
    return Collected(result, warnings)


def _members(leaders: list[Submission], handed_in: set[str], resolve) -> list[Submission]:
    """A row for each other member of a group submission (``lms.share_group_results`` fills
    in its tests once the group's file is graded); a member who handed in a file of their own
    keeps that."""
    rows = []
    for leader in leaders:
        for member, name in leader.lms.get("group", []):
            claim = Claim(member, name, "gradescope", user=member)
            if resolve is not None:
                claim = resolve(claim)
            if _nfc(claim.key).casefold() in handed_in:
                continue
            handed_in.add(_nfc(claim.key).casefold())
            row = Submission(student=claim.key, name=claim.name, source=leader.source,
                             submitted=leader.submitted, late=leader.late,
                             lms={"scheme": "gradescope", "user": member,
                                  "group_of": leader.student})
            if claim.off_roster:
                row.flag(Status.NOT_ON_ROSTER, claim.why)
            rows.append(row)
    return rows
