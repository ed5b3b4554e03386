"""The instructor's points for written answers: ``OUT/manual.csv``, read on every render.

Like ``overrides.csv``, the grader never writes this file; you do (UTF-8 CSV, any editor or
spreadsheet, or the *Export points as CSV* button of a question page ``answers/<id>.html``):

```
student,answer,points,comment
12345,why_not_zero,2,symmetry explained
Eve Müller,why_not_zero,1,"says the units stay alike, not why"
23456,why_not_zero,,
```

- ``student``: the row's id (the ``student`` column of ``grades.csv``), or its name when only
  one row has it; ``answer``: the id of a written answer of the lab;
- ``points``: a number from 0 to the answer's points; an empty field means *not graded yet*
  (so a page's export, or a template ``answers/<id>.csv``, can be pasted in half done);
- ``comment``: optional; the student sees it in their feedback.

Every problem (a missing column, an unknown student or answer, points out of range or not a
number, the same student and answer twice) is reported with its line number and stops the
render before anything is written: a mark that cannot be applied is never silently dropped.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from coursetools.grading.records import fmt
from coursetools.grading.results.overrides import _lookups, _read, _student

FILE = "manual.csv"
COLUMNS = ("student", "answer", "points", "comment")


class ManualError(ValueError):
    """manual.csv has lines that cannot be applied (the message lists them)."""


@dataclasses.dataclass(frozen=True)
class Mark:
    line: int
    student: str        # the row's id, once matched
    answer: str
    points: float
    comment: str


def _number(text: str) -> float:
    return float(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text)


def load(out: Path, answers: dict[str, float], students: dict[str, str]) -> list[Mark]:
    """The marks of ``OUT/manual.csv`` (none if absent); blank points are skipped.

    ``answers``: answer id -> points; ``students``: row id -> display name.
    Raises ManualError listing every line that cannot be applied.
    """
    path = Path(out) / FILE
    if not path.is_file():
        return []
    try:
        rows = _read(path)
    except ValueError as error:
        raise ManualError(str(error)) from None
    header = [h.strip().casefold() for h in (rows[0] if rows else [])]
    if tuple(header[:3]) != COLUMNS[:3] or header[3:4] not in ([], ["comment"]):
        raise ManualError(f"{path}: the first line must be the header {','.join(COLUMNS)} "
                          f"(it is {','.join(header) or 'empty'})")
    ids, names = _lookups(students)
    marks, errors, seen = [], [], {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{FILE} line {number}"
        if len(row) < 3:
            errors.append(f"{where}: {len(row)} fields; expected {','.join(COLUMNS)}")
            continue
        who, answer, points_text = (c.strip() for c in row[:3])
        comment = row[3].strip() if len(row) > 3 else ""
        problems = []
        student, why = _student(who, ids, names)
        if student is None and who.startswith("'"):   # as the page's export and the template
            student, why = _student(who[1:], ids, names)   # protect a formula-like id
        if student is None:
            problems.append(why or f"no student {who!r} in the results")
        if answer not in answers:
            problems.append(f"unknown answer {answer!r} (the lab's answers: "
                            f"{', '.join(answers) or 'none'})")
        points = None
        if points_text:
            try:
                points = _number(points_text)
                if answer in answers and not 0 <= points <= answers[answer]:
                    problems.append(f"points {points_text} outside 0..{fmt(answers[answer])}")
            except ValueError:
                problems.append(f"points {points_text!r} is not a number")
        if problems:
            errors.append(f"{where}: " + "; ".join(problems))
            continue
        if (student, answer) in seen:
            errors.append(f"{where}: {who} / {answer} was already given on line "
                          f"{seen[(student, answer)]}")
            continue
        seen[(student, answer)] = number
        if points is not None:
            marks.append(Mark(number, student, answer, points, comment))
    if errors:
        raise ManualError(f"{FILE} cannot be applied:\n  " + "\n  ".join(errors))
    return marks
