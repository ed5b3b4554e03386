"""Outputs for the LMS: the grade import and bulk feedback upload of each platform the class came from.

Which platforms: the roster's, and those that named the class's files (``lms_of``). What each
writes is its module's in ``lms`` (``canvas.csv``, ``moodle.csv``, ``brightspace.csv``,
``feedback-canvas.zip``, ``feedback-moodle.zip``: see ``lms.canvas``, ``lms.moodle``,
``lms.brightspace``); this module hands each one the rows and writes its files:

- **The column** is the lab's own column of the platform's gradebook, named exactly as the
  roster export names it ("Lab 4: XOR layers (8812)"), or ``--assignment``; when neither says
  which column it is, nothing is made up (an import would create a new assignment): rendering
  stops with ``ExportError``, whose message asks for ``--assignment``.
- **The points** are scaled to the assignment's points possible (``--points-possible``, else the
  roster's: Canvas's ``Points Possible`` row, Brightspace's ``MaxPoints``), so a lab worth 31
  raw points imports 31/31 as 10 into a 10-point assignment; ``grades.csv`` keeps the raw
  points. Without either, the raw points go out of the lab's own maximum, with a warning.
- A ``missing`` row gets an empty grade (the import then leaves the LMS's cell as it is); a row
  ``not on roster`` is left out (the warning names it).
- Every cell goes through ``escape.safe_cell`` (names come from profiles that students may edit);
  zips are built in memory with a fixed date, so the same results give the same bytes.
"""
from __future__ import annotations

import csv
import io
import zipfile

from coursetools.grading.lms import registry, roster as rostermod
from coursetools.grading.lms.platform import Column, GradeRow, Table
from coursetools.grading.records import Status, Submission, fmt
from coursetools.grading.render.escape import safe_cell
from coursetools.grading.results.store import Store

ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ExportError(ValueError):
    """An LMS file cannot be written as the LMS would import it (the message says what to pass)."""


def lms_of(store: Store) -> list[str]:
    """The platforms with exports that the class came from: its roster's, and those that named
    its files."""
    found = set()
    if store.roster:
        found.add(registry.of_roster(rostermod.Roster.from_dict(store.roster)).name)
    found.update(sub.lms.scheme.platform for sub in store.students.values() if sub.lms)
    return sorted(name for name in found if registry.platform(name).exports)


def column(store: Store, platform: str) -> Column:
    """The lab's column of ``platform``'s gradebook and its points possible (ExportError if
    unknown)."""
    roster = rostermod.Roster.from_dict(store.roster) if store.roster else None
    try:
        return registry.assignment_column(roster, store.lab, platform, store.assignment,
                                          store.points_possible)
    except registry.ColumnError as error:
        raise ExportError(str(error)) from None


def scaled(points: float, max_points: float, column: Column) -> float:
    """``points`` of ``max_points`` as points of the column's points possible."""
    if column.points_possible is None or not max_points:
        return points
    return round(points * column.points_possible / max_points, 2)


def _grade(sub: Submission, max_points: float, column: Column) -> str:
    if any(s.status is Status.MISSING for s in sub.statuses):
        return ""
    return fmt(scaled(sub.final_points, max_points, column))


def grade_rows(store: Store, column: Column) -> list[GradeRow]:
    """The class's rows for an import, sorted by name, with grades scaled to ``column``."""
    subs = sorted(store.students.values(), key=lambda s: ((s.name or s.student).casefold(),
                                                          s.student))
    return [GradeRow(sub.student, sub.name, dict(sub.roster), sub.lms,
                     _grade(sub, store.max_points, column),
                     any(s.status is Status.NOT_ON_ROSTER for s in sub.statuses))
            for sub in subs]


def csv_text(table: Table) -> str:
    """A grade import as CSV, every cell escaped for a spreadsheet."""
    handle = io.StringIO()
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow([safe_cell(c) for c in table.header])
    writer.writerows([[safe_cell(c) for c in row] for row in table.rows])
    return handle.getvalue()


def zip_bytes(files: dict[str, str]) -> bytes:
    handle = io.BytesIO()
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name].encode("utf-8"))
    return handle.getvalue()


def export(store: Store, platform_name: str) -> tuple[str, list[str]]:
    """The grade import of one platform (CSV text) and warnings."""
    platform = registry.platform(platform_name)
    where = column(store, platform_name)
    table, warnings = platform.grade_import(grade_rows(store, where), where, store.max_points)
    if where.points_possible is None and store.max_points:
        warnings.append(f"{platform.exports[0]}: points out of the lab's {fmt(store.max_points)}; "
                        f"if the assignment is worth another number of points in "
                        f"{platform.title}, pass --points-possible")
    return csv_text(table), warnings


def render(store: Store, pages: dict[str, str]) -> tuple[dict[str, str | bytes], list[str]]:
    """Every LMS output of the class (file name -> content) and warnings; raises ExportError."""
    outputs, warnings = {}, []
    roster = registry.of_roster(rostermod.Roster.from_dict(store.roster)).name \
        if store.roster else ""
    for name in lms_of(store):
        platform = registry.platform(name)
        if platform.import_needs_roster and roster != name:
            warnings.append(f"no {platform.exports[0]}: {platform.title}'s import needs the ids "
                            f"of its own roster export (grade with --roster)")
        else:
            text, notes = export(store, name)
            outputs[platform.exports[0]] = text
            warnings += notes
        files = platform.feedback_upload(grade_rows(store, Column(name)), pages, store.lab)
        if files and len(platform.exports) > 1:
            outputs[platform.exports[1]] = zip_bytes(files)
    return outputs, warnings
