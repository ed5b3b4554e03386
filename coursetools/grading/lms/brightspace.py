"""Brightspace (D2L): its dropbox download, its grade export as the roster, its grade import.

- Download of a dropbox folder: a folder per submission
  ``<number>-<number> - Full Name - Mon D, YYYY HMM AM/``, or flat files
  ``<number>-<number> - Full Name - Mon D, YYYY HMM AM - original``, beside an ``index.html``
  (its list of the download, ignored); no user id, so the student is the name (a roster matches
  it by name), and the date is the hand-in time.
- Roster (*Grades -> Export*, key field "Both"): ``#``-prefixed ``OrgDefinedId`` and
  ``Username`` (kept as they are for the import), ``First Name``/``Last Name``, and one
  ``<item> Points Grade <Numeric MaxPoints:20 ...>`` column per grade item, which gives its
  points possible.
- ``brightspace.csv`` (*Grades -> Enter Grades -> Import*): ``OrgDefinedId, Username``, the lab's
  grade item column (the roster's own) and ``End-of-Line Indicator`` (``#``); points scaled to
  the item's maximum.
"""
from __future__ import annotations

import datetime
import re

from coursetools.grading.lms import roster as rostermod
from coursetools.grading.lms.platform import Claim, Column, File, GradeRow, Platform, Table
from coursetools.grading.records import Scheme

NAME = re.compile(r"^(?P<submission>\d+)-(?P<file>\d+) - (?P<name>.+?) - "
                  r"(?P<month>[A-Za-z]{3})[a-z]*\.? (?P<day>\d{1,2}), (?P<year>\d{4}) "
                  r"(?P<hour>\d{1,2})(?P<minute>\d{2}) (?P<half>[AP]M)(?: - (?P<original>.+))?$")
MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                      "sep", "oct", "nov", "dec"], start=1)}
ITEM = re.compile(r"^(?P<item>.*?)\s+Points Grade(?:\s*<[^>]*>)?$")
MAX_POINTS = re.compile(r"MaxPoints:\s*(?P<points>\d+(?:\.\d+)?)")
FIELDS = ("OrgDefinedId", "Username")


class Brightspace(Platform):
    name, title = "brightspace", "Brightspace"
    roster_formats = ("brightspace",)
    exports = ("brightspace.csv",)
    roster_help = "a Brightspace grade export"
    column_example = "Lab 4 Points Grade <Numeric MaxPoints:10>"
    import_needs_roster = True         # the download has names only, the import needs ids

    def claim(self, parts):
        match = NAME.match(parts[0])
        rest = parts[1:]
        if not match or not (rest or match["original"]) or match["month"].lower() not in MONTHS:
            return None
        hour = int(match["hour"]) % 12 + (12 if match["half"] == "PM" else 0)
        try:
            when = datetime.datetime(int(match["year"]), MONTHS[match["month"].lower()],
                                     int(match["day"]), hour, int(match["minute"]))
        except ValueError:
            return None
        name = match["name"].strip()
        return Claim(name, name, Scheme.BRIGHTSPACE, order=int(when.strftime("%Y%m%d%H%M")),
                     original="/".join(rest) if rest else match["original"],
                     prefix=parts[0][: match.end("half")], submitted=when.isoformat())

    def prepare(self, files: list[File], warnings: list[str]):
        if not self.recognises(files):
            return files, lambda claim: claim
        index = [f for f in files if str(f.path).lower() == "index.html"]
        warnings += [f"{f.path}: ignored (Brightspace's list of the download)" for f in index]
        return [f for f in files if f not in index], lambda claim: claim

    def read_roster(self, header, rows, source):
        org, user = rostermod.column(header, "OrgDefinedId"), rostermod.column(header, "Username")
        if org is None or user is None:
            return None
        first = rostermod.column(header, "First Name")
        last = rostermod.column(header, "Last Name")
        email = rostermod.column(header, "Email")
        students = []
        for row in rows:
            get = rostermod.reader(row)
            ident = get(org).lstrip("#") or get(user).lstrip("#")
            if not ident:
                continue
            name = f"{get(first)} {get(last)}".strip()
            keys = sorted({rostermod.normal_id(v) for v in (
                get(org).lstrip("#"), get(user).lstrip("#"), get(email)) if v})
            students.append(rostermod.Student(
                ident, name or ident, keys, rostermod.name_forms(get(first), get(last), name),
                {"OrgDefinedId": get(org), "Username": get(user)}))
        items = [h for h in header if ITEM.match(h.strip())]
        points = {h: float(m["points"]) for h in items if (m := MAX_POINTS.search(h))}
        return rostermod.Roster("brightspace", students, items, points=points)

    def column_title(self, column):
        match = ITEM.match(column.strip())
        return match["item"] if match else None

    def grade_import(self, rows: list[GradeRow], column: Column, max_points: float):
        lines, skipped = [], []
        for row in rows:
            fields = row.roster if "OrgDefinedId" in row.roster else {}
            if row.off_roster or not fields:
                skipped.append(row.student)
                continue
            lines.append([fields.get(c, "") for c in FIELDS] + [row.grade, "#"])
        warnings = [f"brightspace.csv leaves out {len(skipped)} row(s) without Brightspace's ids "
                    f"(grade with --roster and Brightspace's grade export): {', '.join(skipped)}"
                    ] if skipped else []
        name = column.name if ITEM.match(column.name) else f"{column.name} Points Grade"
        return Table([*FIELDS, name, "End-of-Line Indicator"], lines), warnings
