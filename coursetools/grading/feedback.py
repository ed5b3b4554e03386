"""Output: one feedback page per student (``feedback/<student>.md``), in the grader's words.

Every test with its points; for a failed visible test the targeted message (inputs, expected and
obtained values, the hint); for a failed hidden test only the standard text of its mistake codes
(never its inputs, values, differences or anything the kernel printed). A test of a function
that uses other functions of the lab ran with the official versions of those, and the page
says so, so a student whose only mistake is in ``forward`` sees ``train`` pass and knows where
to look. Everything that comes from a student (ids, error text) is put in code blocks or
escaped, so it cannot change the page around it.
"""
from __future__ import annotations

from coursetools.grading.gradebook import fmt
from coursetools.grading.records import Status, Submission, TestResult
from coursetools.grading.score import mistake_text
from coursetools.grading.store import Store

WHY_NOT_GRADED = {
    Status.EMPTY: "the file is empty.",
    Status.NOT_A_NOTEBOOK: "the file is not a Jupyter notebook (.ipynb). In Colab use File -> "
                           "Download -> Download .ipynb.",
    Status.NOT_A_NOTEBOOK_FILE: "the file you handed in is not a notebook (.ipynb).",
    Status.WRONG_LAB: "it is a notebook of another lab.",
    Status.TOO_LARGE: "the notebook is larger than the grader accepts.",
    Status.MISSING: "nothing was handed in.",
    Status.NOT_ATTEMPTED: "every function is still the skeleton of the lab (did you hand in the "
                          "notebook you worked on?).",
}


def _block(text: str) -> str:
    return "```text\n" + text.replace("```", "'''").rstrip() + "\n```"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _result(test: TestResult) -> str:
    if test.passed:
        return "passed"
    if not test.codes:
        return "not graded"
    return "failed: " + ", ".join(f"{c} ({mistake_text(c)})" for c in test.codes)


def _isolation_note(test: TestResult, sub: Submission) -> list[str]:
    if not test.isolated_from:
        return []
    failing = sorted({t.subject for t in sub.tests if t.subject in test.isolated_from
                      and not t.passed and t.subject})
    note = (f"This test ran with the official {', '.join(test.isolated_from)}, so its result "
            f"is about {test.subject} alone.")
    if failing:
        note += f" ({', '.join(failing)} fail their own tests: fix those too.)"
    return [note, ""]


def _failures(sub: Submission) -> list[str]:
    lines = []
    for test in (t for t in sub.tests if t.codes):
        kind = "hidden" if test.hidden else "visible"
        lines += [f"### {test.test} ({kind}, {fmt(test.earned)} / {fmt(test.points)} points)", ""]
        lines += _isolation_note(test, sub)
        if test.hidden:
            lines += [f"- {mistake_text(c)}" for c in test.codes] + [""]
        else:
            lines += [_block("\n\n".join(test.details[:3]) or "failed"), ""]
            if len(test.details) > 3:
                lines += [f"({len(test.details) - 3} more failing outputs not shown)", ""]
    return lines


def render(store: Store, sub: Submission) -> str:
    """The Markdown feedback page of one student."""
    lines = [f"# Feedback: {store.lab}", "", f"- Student: `{_cell(sub.student)}`"]
    if sub.name:
        lines.append(f"- Name: {_cell(sub.name)}")
    lines += [f"- Score: **{fmt(sub.points)} / {fmt(store.max_points)}** points",
              f"- Status: {_cell(sub.status_text)}", ""]
    reasons = [WHY_NOT_GRADED[s.status] for s in sub.statuses if s.status in WHY_NOT_GRADED]
    if reasons:
        lines += ["Your notebook could not be graded: " + reasons[0], ""]
    lines += ["## Tests", "", "Hidden tests use inputs you have not seen; for them only the kind "
              "of mistake is shown.", "", "| test | kind | points | result |", "|---|---|---|---|"]
    lines += [f"| {t.test} | {'hidden' if t.hidden else 'visible'} | {fmt(t.earned)} / "
              f"{fmt(t.points)} | {_cell(_result(t))} |" for t in sub.tests]
    failures = _failures(sub)
    if failures:
        lines += ["", "## What went wrong", "", *failures]
    if sub.notes:
        lines += ["## Notes on your notebook", ""] + [f"- {_cell(n)}" for n in sub.notes] + [""]
    return "\n".join(lines).rstrip() + "\n"
