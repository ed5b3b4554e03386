"""The class list (``--roster FILE``): who should have handed in, and who each file belongs to.

Accepted as exported, recognised by their header (the first matching format wins):

| format | header it needs | the student's id |
|---|---|---|
| ``canvas`` (Gradebook -> Export) | ``Student``, ``ID``, and ``SIS User ID``/``SIS Login ID``/``Section`` | ``ID`` (Canvas user id) |
| ``moodle-worksheet`` (assignment -> Download grading worksheet) | ``Identifier``, ``Full name`` | ``Email address``, else the participant number |
| ``moodle`` (Participants -> Download table data, or a gradebook export) | ``First name``, ``Last name``, ``Email address`` | ``ID number``, else ``Email address`` |
| ``brightspace`` (Grades -> Export, key field "Both") | ``OrgDefinedId``, ``Username`` | ``OrgDefinedId`` (its ``#`` dropped), else ``Username`` |
| ``github`` (GitHub Classroom roster) | ``identifier``, ``github_username`` | ``identifier`` |
| ``plain`` | an id column (``id``, ``student``, ``username``, ``email``...) and a name column (``name``, or ``first name`` and ``last name``) | that id |

Canvas's ``Points Possible`` row, its empty "posting policy" rows and its ``Student, Test``
(Student View) row are skipped. The delimiter (``,``, ``;`` or tab) and a UTF-8 byte-order
mark are handled; a file that is not UTF-8 is read as Windows-1252.

The grading worksheet's "Last modified (submission)" (English dates) is the hand-in time of
its students' rows (for ``--deadline``), in place of the time stored in the zip.

``resolve`` matches what a file claims (``collect.Claim``) to one roster student: by an id the
LMS gave (Canvas user id, SIS ids, e-mail, GitHub user name, Moodle participant number), then
by a folder name ending in ``-<id>`` (GitHub Classroom's ``<assignment>-<user>``), then by the
name (case, accents as typed, spaces and punctuation ignored; "Last, First" and "First Last"
both match). A claim that matches nobody, or several students, keeps its own id and is marked
``not on roster``; ``missing`` adds a row for every roster student who handed in nothing.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import re
import unicodedata
from pathlib import Path

from coursetools.grading.intake.collect import Claim
from coursetools.grading.records import Status, Submission

CANVAS_FIELDS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_FIELDS = ("First name", "Last name", "ID number", "Email address")
ID_ALIASES = ("id", "student id", "student_id", "studentid", "sid", "student number",
              "username", "user name", "login", "login id", "email", "email address", "e-mail",
              "identifier", "student")
NAME_ALIASES = ("name", "full name", "fullname", "student name", "display name")
BRIGHTSPACE_ITEM = re.compile(r"^(?P<item>.*?)\s+Points Grade(?:\s*<[^>]*>)?$")
CANVAS_NOT_ASSIGNMENTS = re.compile(r"Current |Final |Unposted |Integration ID|Root Account|"
                                    r"Notes$")


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


# ------------------------------------------------------------------ reading
def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _rows(text: str) -> list[list[str]]:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample.splitlines()[0] if sample else ",", ",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _column(header: list[str], *names: str) -> int | None:
    folded = [h.strip().casefold() for h in header]
    for name in names:
        if name.casefold() in folded:
            return folded.index(name.casefold())
    return None


def _canvas(header, rows, source) -> Roster:
    columns = {f: _column(header, f) for f in CANVAS_FIELDS}
    first_assignment = max(i for i in columns.values() if i is not None) + 1
    assignments = [h for h in header[first_assignment:] if h.strip()
                   and not CANVAS_NOT_ASSIGNMENTS.search(h.strip())]
    students, notes = [], []
    for row in rows:
        cell = {f: (row[i].strip() if i is not None and i < len(row) else "")
                for f, i in columns.items()}
        if "Points Possible" in (row[0] if row else "") or not cell["ID"]:
            continue
        if cell["Student"] == "Student, Test":
            notes.append(f"{source}: skipped Canvas's test student (Student, Test).")
            continue
        keys = [normal_id(cell[f]) for f in ("ID", "SIS User ID", "SIS Login ID") if cell[f]]
        students.append(Student(cell["ID"], cell["Student"], keys,
                                name_forms("", "", cell["Student"]),
                                {f: v for f, v in cell.items() if columns[f] is not None}))
    return Roster("canvas", students, assignments, notes)


def _moodle(header, rows, source) -> Roster:
    columns = {f: _column(header, f) for f in (*MOODLE_FIELDS, "Username")}
    assignments = [h for h in header if h.strip().endswith(("(Real)", "(Letter)",
                                                             "(Percentage)"))]
    students = []
    for row in rows:
        cell = {f: (row[i].strip() if i is not None and i < len(row) else "")
                for f, i in columns.items()}
        if not (cell["Email address"] or cell["ID number"]):
            continue
        name = f"{cell['First name']} {cell['Last name']}".strip()
        keys = [normal_id(cell[f]) for f in ("ID number", "Email address", "Username") if cell[f]]
        students.append(Student(cell["ID number"] or cell["Email address"], name, keys,
                                name_forms(cell["First name"], cell["Last name"], name),
                                {f: cell[f] for f in MOODLE_FIELDS if columns[f] is not None}))
    return Roster("moodle", students, assignments)


def _moodle_time(text: str) -> str:
    """Moodle's "Monday, 2 March 2026, 9:15 AM" (English) as ISO; "" for "-" or another form."""
    try:
        return datetime.datetime.strptime(text.strip(), "%A, %d %B %Y, %I:%M %p").isoformat()
    except ValueError:
        return ""


def _reader(row: list[str]):
    """get(i): column ``i`` of ``row`` stripped ("" for a column the header lacks or a short row)."""
    return lambda i: row[i].strip() if i is not None and i < len(row) else ""


def _moodle_worksheet(header, rows, source) -> Roster:
    ident, full, email = (_column(header, n) for n in ("Identifier", "Full name", "Email address"))
    modified = _column(header, "Last modified (submission)")
    students = []
    for row in rows:
        get = _reader(row)
        number = re.sub(r"\D", "", get(ident))
        if not number:
            continue
        keys = [normal_id(number)] + ([normal_id(get(email))] if get(email) else [])
        students.append(Student(get(email) or number, get(full), keys,
                                name_forms("", "", get(full)),
                                {"Identifier": get(ident), "Full name": get(full),
                                 "Email address": get(email)}, _moodle_time(get(modified))))
    return Roster("moodle-worksheet", students)


def _brightspace(header, rows, source) -> Roster:
    """Brightspace's grade export: ``#``-prefixed OrgDefinedId and Username (the import takes
    them as they are, so the raw values are kept for ``brightspace.csv``), names in ``First
    Name``/``Last Name``, and a ``<item> Points Grade <Numeric MaxPoints:..>`` column per item."""
    org, user = _column(header, "OrgDefinedId"), _column(header, "Username")
    first, last = _column(header, "First Name"), _column(header, "Last Name")
    email = _column(header, "Email")
    students = []
    for row in rows:
        get = _reader(row)
        ident = get(org).lstrip("#") or get(user).lstrip("#")
        if not ident:
            continue
        name = f"{get(first)} {get(last)}".strip()
        keys = sorted({normal_id(v) for v in (get(org).lstrip("#"), get(user).lstrip("#"),
                                              get(email)) if v})
        students.append(Student(ident, name or ident, keys, name_forms(get(first), get(last), name),
                                {"OrgDefinedId": get(org), "Username": get(user)}))
    return Roster("brightspace", students, [h for h in header if BRIGHTSPACE_ITEM.match(h.strip())])


def _plain(header, rows, source, format="plain") -> Roster:
    id_column = _column(header, *ID_ALIASES)
    name_column = _column(header, *NAME_ALIASES)
    first, last = _column(header, "first name", "firstname", "given name"), \
        _column(header, "last name", "lastname", "surname", "family name")
    if id_column is None or (name_column is None and (first is None or last is None)):
        raise RosterError(f"{source}: a roster needs an id column ({', '.join(ID_ALIASES[:6])}, "
                          "...) and a name column (name, or first name and last name); its "
                          f"header is: {', '.join(header)}")
    extra = [_column(header, n) for n in ("github_username", "email", "email address",
                                          "sis id", "username")]
    students = []
    for row in rows:
        get = _reader(row)
        if not get(id_column):
            continue
        name = get(name_column) or f"{get(first)} {get(last)}".strip()
        keys = sorted({normal_id(get(i)) for i in [id_column, *extra] if get(i)})
        students.append(Student(get(id_column), name or get(id_column), keys,
                                name_forms(get(first), get(last), name), {}))
    return Roster(format, students)


def parse(text: str, source: str = "roster") -> Roster:
    rows = [r for r in _rows(text) if any(c.strip() for c in r)]
    if not rows:
        raise RosterError(f"{source}: the roster is empty")
    header, body = [h.strip() for h in rows[0]], rows[1:]
    has = lambda *names: all(_column(header, n) is not None for n in names)  # noqa: E731
    if has("Student", "ID") and any(has(n) for n in ("SIS User ID", "SIS Login ID", "Section")):
        roster = _canvas(header, body, source)
    elif has("Identifier", "Full name"):
        roster = _moodle_worksheet(header, body, source)
    elif has("First name", "Last name", "Email address"):
        roster = _moodle(header, body, source)
    elif has("OrgDefinedId", "Username"):
        roster = _brightspace(header, body, source)
    elif has("identifier", "github_username"):
        roster = _plain(header, body, source, "github")
    else:
        roster = _plain(header, body, source)
    if not roster.students:
        raise RosterError(f"{source}: no students in the roster (format {roster.format})")
    seen: dict[str, str] = {}
    for student in roster.students:
        key = normal_id(student.id)
        if key in seen:
            raise RosterError(f"{source}: the id {student.id!r} is on the roster twice")
        seen[key] = student.id
    return roster


def load(path: Path) -> Roster:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise RosterError(f"cannot read the roster {path}: {error.strerror or error}") from None
    return parse(_decode(raw), path.name)


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


def assignment_column(roster: Roster | None, lab: str) -> str:
    """The roster's gradebook column of this lab ("Lab 1: scalar (4521)"), if one matches."""
    if roster is None:
        return ""
    wanted = normal_name(lab)
    for column in roster.assignments:
        title = re.sub(r"\s*\((\d+|Real|Letter|Percentage)\)\s*$", "", column)
        title = re.sub(r"^(Assignment|Quiz)\s*:\s*", "", title)
        item = BRIGHTSPACE_ITEM.match(title.strip())
        title = item["item"] if item else title
        if normal_name(title) == wanted:
            return column
    return ""
