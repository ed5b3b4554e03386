"""Moodle: its bulk download, its participants export or grading worksheet as the roster, its
gradebook import and its feedback upload.

- Download (*the assignment -> View all submissions -> Download all submissions*): a folder per
  student ``Full Name_participantid_assignsubmission_file`` (older versions end it with ``_``),
  or, without folders, files ``Full Name_participantid_assignsubmission_file_original``; blind
  marking writes ``Participant`` for the name.
- Roster: *Participants -> Download table data* or a gradebook export (``First name, Last name,
  ID number, Email address``; a gradebook export's grade items are ``Assignment: Name (Real)``),
  or the assignment's grading worksheet (``Identifier, Full name, ...``), whose
  "Last modified (submission)" (English dates) is the hand-in time of its rows and whose
  "Maximum grade" is the assignment's points (the grades in ``moodle.csv`` are scaled to it).
- ``moodle.csv`` (*Grades -> Import -> CSV file*): ``First name, Last name, ID number, Email
  address`` and the lab's column (the gradebook export's own grade item when the roster has
  one); map ``Email address`` (or ``ID number``) to the user and the column to the grade item.
- ``feedback-moodle.zip`` (*Upload multiple feedback files in a zip*): a folder
  ``<Full Name>_<participant id>_assignfeedback_file_`` per student with ``feedback-<lab>.html``.
"""
from __future__ import annotations

import datetime
import re

from coursetools.grading.lms import roster as rostermod
from coursetools.grading.lms.platform import Claim, Column, GradeRow, Platform, Table
from coursetools.grading.records import Scheme

NAME = re.compile(r"^(?P<name>[^_]+)_(?P<user>\d+)_assignsubmission_(?P<plugin>[a-z]+)"
                  r"(?:_(?P<original>.*))?$")
FIELDS = ("First name", "Last name", "ID number", "Email address")
GRADE_ITEM = re.compile(r"^(?:Assignment\s*:\s*)?(?P<title>.*?)\s*\((?:Real|Letter|Percentage)\)$")


def _time(text: str) -> str:
    """Moodle's "Monday, 2 March 2026, 9:15 AM" (English) as ISO; "" for "-" or another form."""
    try:
        return datetime.datetime.strptime(text.strip(), "%A, %d %B %Y, %I:%M %p").isoformat()
    except ValueError:
        return ""


def _number(text: str) -> float | None:
    """A worksheet's "20.00" (or "20,00" in locales with a decimal comma) as a number."""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if value > 0 else None


def _split(full: str) -> tuple[str, str]:
    words = full.split()
    return (" ".join(words[:-1]), words[-1]) if len(words) > 1 else (full, "")


class Moodle(Platform):
    name, title = "moodle", "Moodle"
    roster_formats = ("moodle", "moodle-worksheet")
    exports = ("moodle.csv", "feedback-moodle.zip")
    roster_help = "a Moodle participants export or grading worksheet"
    column_example = "Assignment: Lab 4 (Real)"
    maps_columns = True      # Gradebook -> Import -> CSV asks which grade item each column is

    def claim(self, parts):
        match = NAME.match(parts[0])
        if not match:
            return None
        rest = parts[1:]
        original = "/".join(rest) if rest else (match["original"] or "")
        name = "" if match["name"] == "Participant" else match["name"]   # blind marking
        return Claim(match["user"], name, Scheme.MOODLE, original=original, user=match["user"],
                     prefix=f"{match['name']}_{match['user']}")

    def read_roster(self, header, rows, source):
        has = lambda *names: all(rostermod.column(header, n) is not None  # noqa: E731
                                 for n in names)
        if has("Identifier", "Full name"):
            return self._worksheet(header, rows)
        if has("First name", "Last name", "Email address"):
            return self._participants(header, rows)
        return None

    def _participants(self, header, rows):
        columns = {f: rostermod.column(header, f) for f in (*FIELDS, "Username")}
        students = []
        for row in rows:
            get = rostermod.reader(row)
            cell = {f: get(i) for f, i in columns.items()}
            if not (cell["Email address"] or cell["ID number"]):
                continue
            name = f"{cell['First name']} {cell['Last name']}".strip()
            keys = [rostermod.normal_id(cell[f]) for f in ("ID number", "Email address",
                                                           "Username") if cell[f]]
            students.append(rostermod.Student(
                cell["ID number"] or cell["Email address"], name, keys,
                rostermod.name_forms(cell["First name"], cell["Last name"], name),
                {f: cell[f] for f in FIELDS if columns[f] is not None}))
        return rostermod.Roster("moodle", students,
                                [h for h in header if GRADE_ITEM.match(h.strip())])

    def _worksheet(self, header, rows):
        ident, full, email = (rostermod.column(header, n)
                              for n in ("Identifier", "Full name", "Email address"))
        modified = rostermod.column(header, "Last modified (submission)")
        maximum = rostermod.column(header, "Maximum grade")
        students, maxima = [], set()
        for row in rows:
            get = rostermod.reader(row)
            number = re.sub(r"\D", "", get(ident))
            if not number:
                continue
            if maximum is not None and _number(get(maximum)) is not None:
                maxima.add(_number(get(maximum)))
            keys = [rostermod.normal_id(number)] + (
                [rostermod.normal_id(get(email))] if get(email) else [])
            students.append(rostermod.Student(
                get(email) or number, get(full), keys, rostermod.name_forms("", "", get(full)),
                {"Identifier": get(ident), "Full name": get(full), "Email address": get(email)},
                _time(get(modified))))
        notes = [f"the worksheet's rows disagree on the maximum grade ({', '.join(map(str, sorted(maxima)))}): "
                 "grades are not scaled; pass --points-possible"] if len(maxima) > 1 else []
        return rostermod.Roster("moodle-worksheet", students, notes=notes,
                                assignment_points=maxima.pop() if len(maxima) == 1 else None)

    def column_title(self, column):
        match = GRADE_ITEM.match(column.strip())
        return match["title"] if match else None

    def grade_import(self, rows: list[GradeRow], column: Column, max_points: float):
        lines, skipped, unmatched = [], [], []
        for row in rows:
            if row.off_roster:
                skipped.append(row.student)
                continue
            fields = dict(row.roster)
            if "First name" not in fields:
                fields["First name"], fields["Last name"] = _split(fields.get("Full name")
                                                                   or row.name)
            if not (fields.get("Email address") or fields.get("ID number")):
                unmatched.append(row.student)
            lines.append([fields.get(c, "") for c in FIELDS] + [row.grade])
        warnings = []
        if skipped:
            warnings.append(f"moodle.csv leaves out {len(skipped)} row(s) not on the roster: "
                            f"{', '.join(skipped)}")
        if unmatched:
            warnings.append(f"moodle.csv: {len(unmatched)} row(s) have neither an e-mail "
                            "address nor an ID number, which Moodle's import needs (grade with "
                            "--roster and Moodle's participants export)")
        return Table([*FIELDS, column.name], lines), warnings

    def feedback_upload(self, rows, pages, lab):
        return {f"{row.lms.prefix}_assignfeedback_file_/feedback-{lab}.html": pages[row.student]
                for row in rows if row.student in pages and row.lms
                and row.lms.scheme is Scheme.MOODLE and row.lms.prefix}
