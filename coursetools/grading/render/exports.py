"""Outputs for the LMS: grades its gradebook import accepts, feedback files its bulk upload matches.

Written next to ``grades.csv`` when the class came from that LMS (its roster, or files it named):

- ``canvas.csv``, for Canvas's Grades -> Import: the columns ``Student, ID, SIS User ID,
  SIS Login ID, Section`` in that order (Canvas reads them by position: a name, the Canvas user
  id, the SIS ids, and a last student column named ``Section``), then one column for the lab,
  named like the assignment's column of the roster (``Lab 1 (4521)``) so that the import fills
  that assignment, or after the lab (a new assignment) when the roster has none; a
  ``Points Possible`` row gives the lab's points. Canvas matches a row by ``ID``, then by the
  SIS ids, then by name.
- ``moodle.csv``, for Moodle's Gradebook -> Import -> CSV file: ``First name, Last name,
  ID number, Email address`` and one column for the lab; map ``Email address`` (or ``ID
  number``) to the user, and the lab's column to the grade item.
- ``brightspace.csv``, for Brightspace's Grades -> Import: ``OrgDefinedId, Username``, the
  lab's ``<item> Points Grade`` column (the roster's own column when it has one, so the import
  fills that grade item; else a new item named after the lab) and ``End-of-Line Indicator``
  (``#``). Brightspace's download carries no ids, so this needs its grade export as the roster.
- ``feedback-canvas.zip``, for Canvas's "Upload Submissions"/feedback upload of the assignment:
  one ``<name>_[LATE_]<user id>_<file id>_feedback.html`` per student, the prefix of the file
  that was graded: Canvas attaches each to the submission whose user id and file id it names.
- ``feedback-moodle.zip``, for Moodle's "Upload multiple feedback files in a zip": one folder
  ``<Full Name>_<participant id>_assignfeedback_file_`` per student holding
  ``feedback-<lab>.html``.

A row that is ``missing`` gets an empty grade (the import then leaves the LMS's cell as it
is); a row ``not on roster`` is left out (say so to the instructor). Text that a spreadsheet
would run as a formula is prefixed with ``'``, as in ``grades.csv`` (names come from profiles
that students may edit). Feedback can only go back to students whose file carries the LMS's
ids (Canvas's anonymous names carry none). Zips are built in memory with a fixed date, so the
same results give the same bytes.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile

from coursetools.grading.lms import roster as rostermod
from coursetools.grading.records import fmt
from coursetools.grading.render.escape import safe_cell
from coursetools.grading.records import Status, Submission
from coursetools.grading.results.store import Store

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_COLUMNS = ("First name", "Last name", "ID number", "Email address")
BRIGHTSPACE_COLUMNS = ("OrgDefinedId", "Username")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def lms_of(store: Store) -> list[str]:
    """The LMSs the class came from: its roster's, and those that named its files."""
    found = set()
    roster_format = (store.roster or {}).get("format", "")
    if roster_format == "canvas":
        found.add("canvas")
    if roster_format.startswith("moodle"):
        found.add("moodle")
    if roster_format == "brightspace":
        found.add("brightspace")
    for sub in store.students.values():
        scheme = sub.lms.get("scheme", "")
        if scheme.startswith("canvas"):
            found.add("canvas")
        elif scheme in ("moodle", "brightspace"):
            found.add(scheme)
    return sorted(found)


def assignment(store: Store) -> str:
    """The lab's column name in the LMS gradebook."""
    if store.assignment:
        return store.assignment
    roster = rostermod.Roster.from_dict(store.roster) if store.roster else None
    return rostermod.assignment_column(roster, store.lab) or store.lab


def _off_roster(sub: Submission) -> bool:
    return any(s.status is Status.NOT_ON_ROSTER for s in sub.statuses)


def _grade(sub: Submission) -> str:
    return "" if any(s.status is Status.MISSING for s in sub.statuses) else fmt(sub.final_points)


def _rows(store: Store) -> list[Submission]:
    return sorted(store.students.values(),
                  key=lambda s: ((s.name or s.student).casefold(), s.student))


def _csv(header, rows) -> str:
    handle = io.StringIO()
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return handle.getvalue()


def canvas_csv(store: Store) -> tuple[str, list[str]]:
    """canvas.csv and warnings (rows that cannot be imported)."""
    rows, skipped = [["Points Possible", "", "", "", "", fmt(store.max_points)]], []
    for sub in _rows(store):
        fields = sub.roster if "ID" in sub.roster else {}
        user = sub.lms.get("user", "") if sub.lms.get("scheme", "").startswith("canvas") else ""
        if _off_roster(sub) or not (fields or user.isdigit()):
            skipped.append(sub.student)
            continue
        fields = fields or {"Student": sub.name, "ID": user}
        rows.append([safe_cell(fields.get(c, "")) for c in CANVAS_COLUMNS] + [_grade(sub)])
    warnings = [f"canvas.csv leaves out {len(skipped)} row(s) not on the roster or without a "
                f"Canvas user id: {', '.join(skipped)}"] if skipped else []
    return _csv([*CANVAS_COLUMNS, assignment(store)], rows), warnings


def _split(full: str) -> tuple[str, str]:
    words = full.split()
    return (" ".join(words[:-1]), words[-1]) if len(words) > 1 else (full, "")


def moodle_csv(store: Store) -> tuple[str, list[str]]:
    """moodle.csv and warnings (rows Moodle cannot match: no e-mail and no ID number)."""
    rows, skipped, unmatched = [], [], []
    for sub in _rows(store):
        if _off_roster(sub):
            skipped.append(sub.student)
            continue
        fields = dict(sub.roster)
        if "First name" not in fields:
            fields["First name"], fields["Last name"] = _split(fields.get("Full name")
                                                               or sub.name)
        if not (fields.get("Email address") or fields.get("ID number")):
            unmatched.append(sub.student)
        rows.append([safe_cell(fields.get(c, "")) for c in MOODLE_COLUMNS] + [_grade(sub)])
    warnings = []
    if skipped:
        warnings.append(f"moodle.csv leaves out {len(skipped)} row(s) not on the roster: "
                        f"{', '.join(skipped)}")
    if unmatched:
        warnings.append(f"moodle.csv: {len(unmatched)} row(s) have neither an e-mail address "
                        "nor an ID number, which Moodle's import needs (grade with --roster "
                        "and Moodle's participants export)")
    return _csv([*MOODLE_COLUMNS, assignment(store)], rows), warnings


def brightspace_csv(store: Store) -> tuple[str, list[str]]:
    """brightspace.csv and warnings (rows without Brightspace's ids: grade with its roster)."""
    rows, skipped = [], []
    for sub in _rows(store):
        fields = sub.roster if "OrgDefinedId" in sub.roster else {}
        if _off_roster(sub) or not fields:
            skipped.append(sub.student)
            continue
        rows.append([safe_cell(fields.get(c, "")) for c in BRIGHTSPACE_COLUMNS]
                    + [_grade(sub), "#"])
    warnings = [f"brightspace.csv leaves out {len(skipped)} row(s) without Brightspace's ids "
                f"(grade with --roster and Brightspace's grade export): {', '.join(skipped)}"
                ] if skipped else []
    item = assignment(store)
    column = item if rostermod.BRIGHTSPACE_ITEM.match(item) else f"{item} Points Grade"
    return _csv([*BRIGHTSPACE_COLUMNS, column, "End-of-Line Indicator"], rows), warnings


def _zip(files: dict[str, str]) -> bytes:
    handle = io.BytesIO()
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name].encode("utf-8"))
    return handle.getvalue()


def feedback_zip(store: Store, pages: dict[str, str], lms: str) -> bytes | None:
    """The bulk feedback upload of ``lms`` from the HTML pages (student id -> page)."""
    files = {}
    for sub in store.students.values():
        prefix, scheme = sub.lms.get("prefix", ""), sub.lms.get("scheme", "")
        if sub.student not in pages or not prefix:
            continue
        if lms == "canvas" and scheme == "canvas" and re.search(r"_\d+_\d+$", prefix):
            files[f"{prefix}_feedback.html"] = pages[sub.student]
        elif lms == "moodle" and scheme == "moodle":
            files[f"{prefix}_assignfeedback_file_/feedback-{store.lab}.html"] = pages[sub.student]
    return _zip(files) if files else None


def render(store: Store, pages: dict[str, str]) -> tuple[dict[str, str | bytes], list[str]]:
    """Every LMS output of the class (file name -> content) and warnings."""
    outputs, warnings = {}, []
    for lms in lms_of(store):
        text, notes = {"canvas": canvas_csv, "moodle": moodle_csv,
                       "brightspace": brightspace_csv}[lms](store)
        outputs[f"{lms}.csv"] = text
        warnings += notes
        archive = feedback_zip(store, pages, lms)
        if archive is not None:
            outputs[f"feedback-{lms}.zip"] = archive
    return outputs, warnings
