"""The class list (``--roster FILE``): its records, and who each file belongs to.

Each platform reads its own export (``read_roster`` of its module; ``registry.load_roster``
tries them in order, by header, the first that recognises it wins):

| format | header it needs | the student's id |
|---|---|---|
| ``canvas`` (Gradebook -> Export) | ``Student``, ``ID``, and ``SIS User ID``/``SIS Login ID``/``Section`` | ``ID`` (Canvas user id) |
| ``moodle-worksheet`` (assignment -> Download grading worksheet) | ``Identifier``, ``Full name`` | ``Email address``, else the participant number |
| ``moodle`` (Participants -> Download table data, or a gradebook export) | ``First name``, ``Last name``, ``Email address`` | ``ID number``, else ``Email address`` |
| ``brightspace`` (Grades -> Export, key field "Both") | ``OrgDefinedId``, ``Username`` | ``OrgDefinedId`` (its ``#`` dropped), else ``Username`` |
| ``github`` (GitHub Classroom roster) | ``identifier``, ``github_username`` | ``identifier`` |
| ``plain`` | an id column (``id``, ``student``, ``username``, ``email``...) and a name column (``name``, or ``first name`` and ``last name``) | that id |

Canvas's ``Points Possible`` row (and Brightspace's ``MaxPoints``) give each assignment column's
points possible (``Roster.points``); Canvas's empty "posting policy" rows and its
``Student, Test`` (Student View) row are skipped. The delimiter (``,``, ``;`` or tab) and a UTF-8 byte-order
mark are handled; a file that is not UTF-8 is read as Windows-1252.

The grading worksheet's "Last modified (submission)" (English dates) is the hand-in time of
its students' rows (for ``--deadline``), in place of the time stored in the zip.

``resolver`` matches what a file claims (``platform.Claim``) to one roster student: by an id the
LMS gave (Canvas user id, SIS ids, e-mail, GitHub user name, Moodle participant number), then
by a folder name ending in ``-<id>`` (GitHub Classroom's ``<assignment>-<user>``), then by the
name (case, accents as typed, spaces and punctuation ignored; "Last, First" and "First Last"
both match). A claim that matches nobody, or several students, keeps its own id and is marked
``not on roster``; ``missing`` adds a row for every roster student who handed in nothing.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import unicodedata

from coursetools.grading.lms.platform import Claim
from coursetools.grading.records import Status, Submission


class RosterError(Exception):
    """The roster cannot be read (the message says why and where)."""


@dataclasses.dataclass
class Student:
    id: str
    name: str
    keys: list[str]                  # every id it may be known by, normalised
    names: list[str]                 # the name in the orders people and LMSs write it, normalised
    fields: dict[str, str]           # the export's own columns, for the LMS exports
    submitted: str = ""              # the hand-in time the export records (ISO), if any


@dataclasses.dataclass
class Roster:
    format: str
    students: list[Student]
    assignments: list[str] = dataclasses.field(default_factory=list)   # gradebook columns
    notes: list[str] = dataclasses.field(default_factory=list)
    points: dict[str, float] = dataclasses.field(default_factory=dict)  # column -> possible
    # An export of one assignment (Moodle's grading worksheet) has no column names: its points
    # possible are those of whichever column the lab is graded into
    assignment_points: float | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Roster":
        data = dict(data)
        data["students"] = [Student(**s) for s in data["students"]]
        return cls(**data)


def normal_name(text: str) -> str:
    """A name to match: NFC, case-folded, letters and digits only ("Müller, Eve": "müllereve")."""
    return "".join(c for c in unicodedata.normalize("NFC", str(text)).casefold() if c.isalnum())


def normal_id(text: str) -> str:
    return unicodedata.normalize("NFC", str(text)).strip().casefold()


def name_forms(first: str, last: str, full: str) -> list[str]:
    forms = []
    if first or last:
        forms += [normal_name(first + last), normal_name(last + first)]
    if full:
        if "," in full:                               # "Last, First" (Canvas's sortable name)
            last_part, first_part = full.split(",", 1)
            forms += [normal_name(first_part + last_part), normal_name(last_part + first_part)]
        else:
            words = full.split()
            forms += [normal_name(full)]
            if len(words) > 1:
                forms.append(normal_name(words[-1] + "".join(words[:-1])))
    return sorted({f for f in forms if f})


# ------------------------------------------------------------------ reading (the platforms')
def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def rows(text: str) -> list[list[str]]:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample.splitlines()[0] if sample else ",", ",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def column(header: list[str], *names: str) -> int | None:
    folded = [h.strip().casefold() for h in header]
    for name in names:
        if name.casefold() in folded:
            return folded.index(name.casefold())
    return None


def reader(row: list[str]):
    """get(i): column ``i`` of ``row`` stripped ("" for a column the header lacks or a short row)."""
    return lambda i: row[i].strip() if i is not None and i < len(row) else ""


# ------------------------------------------------------------------ matching
def _unique(found: list[Student]) -> tuple[Student | None, list[Student]]:
    distinct = {id(s): s for s in found}
    return (next(iter(distinct.values())) if len(distinct) == 1 else None), list(distinct.values())


def find(roster: Roster, key: str, name: str = "", user: str = "") -> tuple[Student | None, str]:
    """The roster student a file's id/name claims, or None and why (nobody, or several)."""
    ids = {normal_id(k) for k in (key, user) if k}
    found = [s for s in roster.students if ids & set(s.keys)]
    if not found:
        folded = normal_id(key)
        found = [s for s in roster.students for k in s.keys
                 if len(k) >= 2 and (folded.endswith("-" + k) or folded.endswith("_" + k))]
    if not found:
        wanted = {normal_name(n) for n in (name, key) if normal_name(n)}
        found = [s for s in roster.students if wanted & set(s.names)]
    student, matches = _unique(found)
    if student is not None:
        return student, ""
    if matches:
        return None, f"(matches {len(matches)} roster students: " + ", ".join(
            sorted(s.name or s.id for s in matches)) + ")"
    return None, ""


def resolver(roster: Roster):
    """A ``collect`` resolve function: a file's claim becomes its roster student's id and name."""
    def resolve(claim: Claim) -> Claim:
        student, why = find(roster, claim.key, claim.name, claim.user)
        if student is None:
            return dataclasses.replace(claim, off_roster=True, why=why)
        return dataclasses.replace(claim, key=student.id, name=student.name)
    return resolve


def attach(roster: Roster, subs: list[Submission]) -> list[Submission]:
    """Give matched rows their roster fields; return a ``missing`` row for everyone else."""
    by_id = {normal_id(s.id): s for s in roster.students}
    handed_in = set()
    for sub in subs:
        student = by_id.get(normal_id(sub.student))
        if student is not None and not any(s.status is Status.NOT_ON_ROSTER for s in sub.statuses):
            sub.roster = dict(student.fields)
            sub.submitted = student.submitted or sub.submitted    # the LMS's record wins
            handed_in.add(normal_id(student.id))
    missing = []
    for student in roster.students:
        if normal_id(student.id) not in handed_in:
            row = Submission(student=student.id, name=student.name, roster=dict(student.fields))
            row.flag(Status.MISSING)
            missing.append(row)
    return missing
