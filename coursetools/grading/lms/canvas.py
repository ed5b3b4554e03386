"""Canvas: its bulk download, its gradebook export as the roster, its grade import and feedback upload.

- Download (*Assignments -> the lab -> Download Submissions*), one flat folder:
  ``name_[LATE_]userid_fileid_original[-N].ext`` (``name`` is the sortable name, lower case,
  without spaces or punctuation; ``LATE`` is Canvas's late flag; ``fileid`` the uploaded file's
  id; ``-N`` is added when a file of that name was uploaded before). Anonymous grading writes
  ``[LATE_]anon_<id>_fileid_original``; a text entry or a URL is ``name_userid_text.html`` /
  ``name_userid_link.html``.
- Roster (*Grades -> Export*): ``Student, ID, SIS User ID, SIS Login ID, Section`` and one
  column per assignment, named ``Name (assignment id)``; the ``Points Possible`` row gives each
  assignment's points; the posting-policy rows and the Student View's ``Student, Test`` are
  skipped.
- ``canvas.csv`` (*Grades -> Import*): the five student columns in that order (Canvas reads
  them by position), then the lab's assignment column, named exactly as the roster's, and a
  ``Points Possible`` row; the points are scaled to the assignment's points possible. Canvas
  matches a row by ``ID``, then by the SIS ids, then by name.
- ``feedback-canvas.zip`` (*the assignment -> Re-Upload Submissions*): one
  ``<prefix of the graded file>_feedback.html`` per student; Canvas attaches each to the
  submission whose user id and file id its name carries (anonymous names carry none).
"""
from __future__ import annotations

import re

from coursetools.grading.lms import roster as rostermod
from coursetools.grading.lms.platform import Claim, Column, GradeRow, Platform, Table, stem
from coursetools.grading.records import Scheme, fmt

NAME = re.compile(r"^(?P<name>.+?)_(?:(?P<late>LATE)_)?(?P<user>\d+)_(?P<file>\d+)_"
                  r"(?P<original>.+)$")
ANONYMOUS = re.compile(
    r"^(?:(?P<late>LATE)_)?(?P<user>anon_[A-Za-z0-9]+)_(?P<file>\d+)_(?P<original>.+)$")
TEXT = re.compile(r"^(?P<name>.+?)_(?:(?P<late>LATE)_)?(?P<user>\d+)_"
                  r"(?P<kind>text|link)\.html$")
ATTEMPT = re.compile(r"^(?P<stem>.+)-(?P<number>\d+)$")
FIELDS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
NOT_ASSIGNMENTS = re.compile(r"Current |Final |Unposted |Integration ID|Root Account|Notes$")
ASSIGNMENT = re.compile(r"^(?P<title>.*\S)\s*\((?P<id>\d+)\)$")   # "Lab 4: XOR layers (8812)"


class Canvas(Platform):
    name, title = "canvas", "Canvas"
    roster_formats = ("canvas",)
    exports = ("canvas.csv", "feedback-canvas.zip")
    roster_help = "a Canvas gradebook export (Grades -> Export)"
    column_example = "Lab 4: XOR layers (8812)"

    def claim(self, parts):
        if len(parts) != 1:
            return None
        name = parts[0]
        match = TEXT.match(name)
        if match:
            return Claim(match["user"], match["name"], Scheme.CANVAS_TEXT, bool(match["late"]),
                         original=f"{match['kind']}.html", user=match["user"],
                         prefix=name.rsplit("_", 1)[0])
        match = ANONYMOUS.match(name) or NAME.match(name)
        if not match:
            return None
        original = match["original"]
        attempt = ATTEMPT.match(stem(original))
        return Claim(match["user"], match.groupdict().get("name") or "", Scheme.CANVAS,
                     bool(match["late"]), int(attempt["number"]) if attempt else 0,
                     int(match["file"]), original, user=match["user"],
                     prefix=name[: len(name) - len(original) - 1])

    def read_roster(self, header, rows, source):
        has = lambda name: rostermod.column(header, name) is not None  # noqa: E731
        if not (has("Student") and has("ID")
                and any(has(n) for n in ("SIS User ID", "SIS Login ID", "Section"))):
            return None
        columns = {f: rostermod.column(header, f) for f in FIELDS}
        first_assignment = max(i for i in columns.values() if i is not None) + 1
        assignments = [(i, h) for i, h in enumerate(header) if i >= first_assignment
                       and h.strip() and not NOT_ASSIGNMENTS.search(h.strip())]
        students, notes, points = [], [], {}
        for row in rows:
            get = rostermod.reader(row)
            cell = {f: get(i) for f, i in columns.items()}
            if "Points Possible" in (row[0] if row else ""):
                points = {h: float(get(i)) for i, h in assignments
                          if re.fullmatch(r"\d+(\.\d+)?", get(i))}
                continue
            if not cell["ID"]:
                continue
            if cell["Student"] == "Student, Test":
                notes.append(f"{source}: skipped Canvas's test student (Student, Test).")
                continue
            keys = [rostermod.normal_id(cell[f]) for f in ("ID", "SIS User ID", "SIS Login ID")
                    if cell[f]]
            students.append(rostermod.Student(
                cell["ID"], cell["Student"], keys, rostermod.name_forms("", "", cell["Student"]),
                {f: v for f, v in cell.items() if columns[f] is not None}))
        return rostermod.Roster("canvas", students, [h for _, h in assignments], notes, points)

    def column_title(self, column):
        match = ASSIGNMENT.match(column.strip())
        return match["title"] if match else None

    def grade_import(self, rows: list[GradeRow], column: Column, max_points: float):
        possible = column.points_possible if column.points_possible is not None else max_points
        lines, skipped = [["Points Possible", "", "", "", "", fmt(possible)]], []
        for row in rows:
            fields = row.roster if "ID" in row.roster else {}
            user = row.lms.user if row.lms and row.lms.scheme.platform == self.name else ""
            if row.off_roster or not (fields or user.isdigit()):
                skipped.append(row.student)
                continue
            fields = fields or {"Student": row.name, "ID": user}
            lines.append([fields.get(c, "") for c in FIELDS] + [row.grade])
        warnings = [f"canvas.csv leaves out {len(skipped)} row(s) not on the roster or without "
                    f"a Canvas user id: {', '.join(skipped)}"] if skipped else []
        return Table([*FIELDS, column.name], lines), warnings

    def feedback_upload(self, rows, pages, lab):
        return {f"{row.lms.prefix}_feedback.html": pages[row.student] for row in rows
                if row.student in pages and row.lms and row.lms.scheme is Scheme.CANVAS
                and re.search(r"_\d+_\d+$", row.lms.prefix)}
