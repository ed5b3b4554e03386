"""Step: the student's written answers, read from the Markdown cells of their notebook.

An answer is found by its marker line (``<!-- answer: ID ...``, the first line of the cell the
student lab gives), matched by the id alone, so that an edited ``points=`` does not lose it.
The rest of the cell is the answer; the untouched placeholder, or nothing, means *no answer*
(""). A student who deleted or changed the marker line has no answer cell for that id (None):
the grader says so in the feedback and does not guess which other cell might be the answer.
"""
from __future__ import annotations

import re

from coursetools import markers
from coursetools.grading.lab import extract
from coursetools.grading.lab.instructor import Lab

_ID = re.compile(r"^<!--\s*answer:\s*(?P<id>[A-Za-z0-9_]+)")


def read(nb: dict, lab: Lab) -> tuple[dict[str, str | None], list[str]]:
    """(answer id -> text, "" or None) for every answer of ``lab``, and notes for the student."""
    wanted = {answer.id for answer in lab.answers}
    texts: dict[str, list[str]] = {}
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
            continue
        lines = extract.cell_text(cell).strip("\n").split("\n")
        found = _ID.match(lines[0].strip())
        if found and found["id"] in wanted:
            text = "\n".join(lines[1:]).strip()
            if text and text != markers.ANSWER_PLACEHOLDER:
                texts.setdefault(found["id"], []).append(text)
            else:
                texts.setdefault(found["id"], [])
    notes, answers = [], {}
    for answer in lab.answers:
        if answer.id not in texts:
            answers[answer.id] = None
            notes.append(f"The cell of the written answer {answer.id} (its first line "
                         f"`{answer.marker}`) is not in your notebook: the line was deleted or "
                         "changed, so your answer could not be found and was not graded. Tell "
                         "your instructor where your answer is.")
        else:
            answers[answer.id] = "\n\n".join(texts[answer.id])
            if len(texts[answer.id]) > 1:
                notes.append(f"The written answer {answer.id} has {len(texts[answer.id])} cells "
                             "with its first line; all of them were given to your instructor.")
    return answers, notes
