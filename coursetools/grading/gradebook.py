"""The two outputs the instructor hands on: ``grades.csv`` and one feedback file per student.

``grades.csv``: ``student,lab,points,max_points,status`` and then one column per graded test
(its points), one row per submission, sorted by student. ``status`` is ``ok`` or short reasons
joined by ``; `` (``timeout``, ``kernel died``, ``not a notebook``, ``missing function
backward``, ...), so a spreadsheet filter finds the submissions to look at by hand.

``feedback/<student>.md``: every test with its points, and for each failure the targeted
message of the test helpers. For a hidden test only its id, points and hints are shown: never
its source, inputs or expected values. Everything that comes from the student's code (error
messages) is put in code blocks, so it cannot change the page around it.
"""
from __future__ import annotations

import csv
from pathlib import Path


def fmt(points: float) -> str:
    """Points without a useless ``.0``."""
    return str(int(points)) if float(points).is_integer() else f"{points:.2f}".rstrip("0")


def write_csv(outcome, path: Path) -> None:
    lab = outcome.lab
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "lab", "points", "max_points", "status", *lab.test_ids])
        for sub in sorted(outcome.submissions, key=lambda s: s.student):
            earned = {t.test: t.earned for t in sub.tests}
            writer.writerow([sub.student, lab.lab_id, fmt(sub.points), fmt(outcome.max_points),
                             sub.status_text, *(fmt(earned.get(t, 0)) for t in lab.test_ids)])


def _block(text: str) -> str:
    text = text.replace("```", "'''").rstrip()
    return f"```text\n{text}\n```"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def feedback(outcome, sub) -> str:
    """The Markdown feedback page of one student."""
    lab = outcome.lab
    harness = outcome.harness
    lines = [f"# Feedback: {lab.lab_id}", "",
             f"- Student: `{sub.student}`",
             f"- Score: **{fmt(sub.points)} / {fmt(outcome.max_points)}** points",
             f"- Status: {sub.status_text}", ""]
    if sub.folder is None:
        lines += ["Your notebook could not be graded: "
                  + {"empty file": "the file is empty.",
                     "not a notebook": "the file is not a Jupyter notebook (.ipynb). In Colab use "
                                       "*File → Download → Download .ipynb*.",
                     "wrong lab": f"it is not a notebook of {lab.lab_id}."}.get(
                      sub.status_text, "see the status above."), ""]
    lines += ["## Tests", "",
              "Hidden tests use inputs you have not seen; for them only a hint is shown.", "",
              "| test | kind | points | result |", "|---|---|---|---|"]
    for test in sub.tests:
        kind = "hidden" if test.hidden else "visible"
        if test.passed:
            result = "passed"
        elif not test.codes:
            result = "not graded"
        else:
            names = [f"{c} ({_from(harness, c)})" for c in test.codes]
            result = "failed: " + ", ".join(names)
        lines.append(f"| {test.test} | {kind} | {fmt(test.earned)} / {fmt(test.points)} | "
                     f"{_cell(result)} |")
    failed = [t for t in sub.tests if t.codes]
    if failed:
        lines += ["", "## What went wrong", ""]
    for test in failed:
        kind = "hidden" if test.hidden else "visible"
        lines += [f"### {test.test} ({kind}, {fmt(test.earned)} / {fmt(test.points)} points)", ""]
        if test.hidden:
            lines += [f"- {_cell(h)}" for h in test.hints[:6]] or ["- failed"]
            lines.append("")
        else:
            lines += [_block("\n\n".join(test.details[:3]) or "failed"), ""]
            if len(test.details) > 3:
                lines += [f"({len(test.details) - 3} more failing outputs not shown)", ""]
    if sub.notes:
        lines += ["## Notes on your notebook", ""]
        lines += [f"- {_cell(note)}" for note in sub.notes]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _from(harness, code: str) -> str:
    from coursetools.grading.compare import mistake_text

    return mistake_text(harness, code)


def write_feedback(outcome, folder: Path) -> None:
    """One page per student; pages of an earlier run for students no longer there go away."""
    folder.mkdir(parents=True, exist_ok=True)
    current = {f"{sub.student}.md" for sub in outcome.submissions}
    for stale in folder.glob("*.md"):
        if stale.name not in current:
            stale.unlink()
    for sub in outcome.submissions:
        (folder / f"{sub.student}.md").write_text(feedback(outcome, sub), encoding="utf-8")
