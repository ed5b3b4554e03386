"""The instructor's corrections: ``OUT/overrides.csv``, applied on every grading run and merge.

The grader never writes this file; you do, in any spreadsheet or editor (UTF-8 CSV):

```
student,test,points,reason
12345,backward_active_unit,2,the sign convention of the lecture notes was ambiguous
Eve Müller,total,18,oral exam replaced the hidden tests
23456,penalty,0,extension granted (doctor's note)
```

- ``student``: the row's id (the ``student`` column of ``grades.csv``), or its name when only
  one row has it;
- ``test``: a test id of the lab (the points earned in that test), ``total`` (the final points,
  after everything else), or ``penalty`` (the late penalty in points; 0 waives it);
- ``points``: a number from 0 to the test's (or the lab's) points;
- ``reason``: required; the student sees it in their feedback.

Every problem (a missing column, an unknown test, points out of range, a student named twice for
the same target) is reported with its line number before anything is graded, and stops the run.
An override for a student the results do not have (yet) is only a warning.
"""
from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

from coursetools.grading.records import fmt
from coursetools.grading.lms.roster import name_forms, normal_id, normal_name

FILE = "overrides.csv"
COLUMNS = ("student", "test", "points", "reason")
TOTAL, PENALTY = "total", "penalty"


class OverridesError(ValueError):
    """overrides.csv has lines that cannot be applied (the message lists them)."""


@dataclasses.dataclass(frozen=True)
class Override:
    line: int
    student: str        # the row's id, once matched
    target: str         # a test id, "total" or "penalty"
    points: float
    reason: str


def _read(path: Path) -> list[list[str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise OverridesError(f"{path}: not UTF-8 text; save it as CSV UTF-8") from None
    return list(csv.reader(io.StringIO(text)))


def _student(text: str, ids: dict[str, str], names: dict[str, list[str]]) -> tuple[str | None, str]:
    if normal_id(text) in ids:
        return ids[normal_id(text)], ""
    found = names.get(normal_name(text), [])
    if len(found) == 1:
        return found[0], ""
    if len(found) > 1:
        return None, f"the name {text!r} is shared by {len(found)} rows: use the id"
    return None, ""


def _lookups(students: dict[str, str]) -> tuple[dict, dict]:
    """Row ids by normalised id, and by every written form of the name ("Müller, Eve", ...)."""
    ids = {normal_id(s): s for s in students}
    names: dict[str, list[str]] = {}
    for sid, name in students.items():
        for form in name_forms("", "", name):
            names.setdefault(form, []).append(sid)
    return ids, names


def _points(target: str, text: str, reason: str, tests: dict[str, float],
            max_points: float) -> tuple[float, list[str]]:
    """The points of one line and what is wrong with the line (test, points, reason)."""
    problems = []
    if target not in tests and target not in (TOTAL, PENALTY):
        problems.append(f"unknown test {target!r} (use a test id of the lab, {TOTAL} or "
                        f"{PENALTY})")
    limit = tests.get(target, max_points)
    try:
        points = float(text.replace(",", ".") if text.count(",") == 1 and "." not in text
                       else text)
        if not 0 <= points <= limit:
            problems.append(f"points {text} outside 0..{fmt(limit)}")
    except ValueError:
        problems.append(f"points {text!r} is not a number")
        points = 0.0
    if not reason:
        problems.append("no reason (the student sees it in the feedback)")
    return points, problems


def load(out: Path, tests: dict[str, float], max_points: float,
         students: dict[str, str]) -> tuple[list[Override], list[str]]:
    """The overrides of ``OUT/overrides.csv`` (none if absent) and warnings.

    ``tests``: test id -> points; ``students``: row id -> display name.
    Raises OverridesError listing every malformed line.
    """
    path = Path(out) / FILE
    if not path.is_file():
        return [], []
    rows = _read(path)
    header = [h.strip().casefold() for h in (rows[0] if rows else [])]
    if tuple(header[:4]) != COLUMNS:
        raise OverridesError(f"{path}: the first line must be the header "
                             f"{','.join(COLUMNS)} (it is {','.join(header) or 'empty'})")
    ids, names = _lookups(students)
    found, errors, warnings, seen = [], [], [], {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{path.name} line {number}"
        if len(row) < 4:
            errors.append(f"{where}: {len(row)} fields; expected student,test,points,reason")
            continue
        who, target, points_text, reason = (c.strip() for c in row[:4])
        target = target if target in tests else target.casefold()
        points, problems = _points(target, points_text, reason, tests, max_points)
        student, why = _student(who, ids, names)
        problems += [why] if why else []
        if problems:
            errors.append(f"{where}: " + "; ".join(problems))
        elif student is None:
            warnings.append(f"{where}: no student {who!r} in the results; not applied")
        elif (student, target) in seen:
            errors.append(f"{where}: {who} / {target} was already overridden on line "
                          f"{seen[(student, target)]}")
        else:
            seen[(student, target)] = number
            found.append(Override(number, student, target, points, reason))
    if errors:
        raise OverridesError("overrides.csv cannot be applied:\n  " + "\n  ".join(errors))
    return found, warnings
