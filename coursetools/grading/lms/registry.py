"""The platforms the grader knows, in the order they are asked, and everything derived from them.

A new platform is one module with one ``platform.Platform`` class, added to ``PLATFORMS``:
the download's file names (``claim``, ``prepare``), the roster (``load_roster``), the
assignment column (``assignment_column``), the results folder's known files
(``export_files``, read by ``results.outdir``), the command line's help (``roster_help``) and
the exports (``render.exports``) all come from here.

Order matters where two platforms could claim the same thing: for a path, Moodle's and
Brightspace's folder names come before a plain folder per student, and Blackboard's and
Canvas's flat names before a file named after its student (``folders.file_claim``); for a
roster, the first platform whose header it is wins, and the plain CSV reader is last.
"""
from __future__ import annotations

import re
from pathlib import Path

from coursetools.grading.lms import roster as rostermod
from coursetools.grading.lms.blackboard import Blackboard
from coursetools.grading.lms.brightspace import Brightspace
from coursetools.grading.lms.canvas import Canvas
from coursetools.grading.lms.folders import Folders, file_claim
from coursetools.grading.lms.gradescope import Gradescope
from coursetools.grading.lms.moodle import Moodle
from coursetools.grading.lms.platform import Claim, Column, File, Platform

PLATFORMS: tuple[Platform, ...] = (Moodle(), Brightspace(), Gradescope(), Folders(),
                                   Blackboard(), Canvas())
ROSTER_ORDER = ("canvas", "moodle", "brightspace", "folder")   # the plain reader last
BY_NAME = {p.name: p for p in PLATFORMS}


class ColumnError(ValueError):
    """The lab's column in the LMS gradebook cannot be found (the message asks for --assignment)."""


def platform(name: str) -> Platform:
    return BY_NAME[name]


def of_roster(roster: rostermod.Roster) -> Platform:
    return next(p for p in PLATFORMS if roster.format in p.roster_formats)


# ------------------------------------------------------------------ the download
def claim(parts: tuple[str, ...]) -> Claim:
    """Who a file belongs to, from its path: the first platform that claims it."""
    for candidate in PLATFORMS:
        found = candidate.claim(parts)
        if found is not None:
            return found
    return file_claim(parts[0])


def prepare(files: list[File], warnings: list[str]) -> tuple[list[File], list]:
    """Every platform's files-about-files read and taken out; the claim refinements they add."""
    refinements = []
    for candidate in PLATFORMS:
        files, refine = candidate.prepare(files, warnings)
        refinements.append(refine)
    return files, refinements


def recognises(files: list[File]) -> bool:
    return any(p.recognises(files) for p in PLATFORMS)


# ------------------------------------------------------------------ the roster
def parse_roster(text: str, source: str = "roster") -> rostermod.Roster:
    rows = [r for r in rostermod.rows(text) if any(c.strip() for c in r)]
    if not rows:
        raise rostermod.RosterError(f"{source}: the roster is empty")
    header, body = [h.strip() for h in rows[0]], rows[1:]
    roster = next(found for name in ROSTER_ORDER
                  if (found := BY_NAME[name].read_roster(header, body, source)) is not None)
    if not roster.students:
        raise rostermod.RosterError(f"{source}: no students in the roster (format "
                                    f"{roster.format})")
    seen: set[str] = set()
    for student in roster.students:
        key = rostermod.normal_id(student.id)
        if key in seen:
            raise rostermod.RosterError(f"{source}: the id {student.id!r} is on the roster twice")
        seen.add(key)
    return roster


def load_roster(path: Path) -> rostermod.Roster:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise rostermod.RosterError(f"cannot read the roster {path}: "
                                    f"{error.strerror or error}") from None
    return parse_roster(rostermod.decode(raw), path.name)


def roster_help() -> str:
    return "; ".join(BY_NAME[name].roster_help for name in ROSTER_ORDER)


# ------------------------------------------------------------------ the gradebook column
def _lab_number(text: str) -> str | None:
    match = re.match(r"\s*lab\s*0*(\d+)(?!\d)", text, re.IGNORECASE)
    return match[1] if match else None


def matching_columns(roster: rostermod.Roster, lab: str) -> list[str]:
    """The roster's assignment columns for ``lab``, in its platform's naming: a title equal to
    the lab id (``lab4_xor``), else one of the lab's number ("Lab 4: XOR layers (8812)")."""
    named = {c: of_roster(roster).column_title(c) for c in roster.assignments}
    named = {c: t for c, t in named.items() if t is not None}
    exact = [c for c, t in named.items() if rostermod.normal_name(t) == rostermod.normal_name(lab)]
    number = _lab_number(lab)
    return exact or [c for c, t in named.items() if number and _lab_number(t) == number]


def assignment_column(roster: rostermod.Roster | None, lab: str, platform_name: str,
                      given: str = "", points_possible: float | None = None) -> Column:
    """The lab's column of ``platform_name``'s gradebook, and the assignment's points possible
    (``--points-possible``, else the roster's); raises ColumnError rather than make up a column
    that an import would turn into a new assignment."""
    own = roster if roster is not None and of_roster(roster).name == platform_name else None
    if given:
        name = given
    else:
        found = matching_columns(own, lab) if own is not None else []
        if len(found) == 1:
            name = found[0]
        elif platform(platform_name).maps_columns and not (own is not None and own.assignments):
            name = lab     # its import asks which grade item a column is: no new one made
        else:
            title, example = platform(platform_name).title, platform(platform_name).column_example
            listed = found or (own.assignments if own is not None else [])
            what = (f"several columns of the roster could be {lab}" if len(found) > 1 else
                    f"the roster has no column for {lab}" if own is not None else
                    f"without a {title} roster the lab's column in {title}'s gradebook is unknown")
            raise ColumnError(
                f"{what}; importing under another name would create a new assignment. Pass "
                f"--assignment with the column's name as {title}'s gradebook export writes it"
                + (f" ({', '.join(repr(c) for c in listed)})" if listed else
                   f", e.g. '{example}'")
                + " (coursetools render --out OUT --assignment ... writes the files again).")
    if points_possible is None and own is not None:
        points_possible = own.points.get(name, own.assignment_points)
    return Column(name, points_possible)


def export_files() -> tuple[str, ...]:
    """Every file some platform writes into the results folder."""
    return tuple(name for p in PLATFORMS for name in p.exports)
