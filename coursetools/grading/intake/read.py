"""Step: a submission's bytes become a notebook, or a status that says why they cannot.

Every check here is about the file, not the code: empty, too large, not JSON, not a notebook,
too many cells, a notebook of another lab. Malformed cells (a ``source`` that is a number, a
cell that is not an object) are ignored with a note instead of failing the whole notebook.
"""
from __future__ import annotations

import json

import nbformat

from coursetools.grading.lab import instructor
from coursetools.grading.records import Status, Submission

MAX_BYTES = 20 * 2**20     # a lab notebook with its outputs is well under 5 MB
MAX_CELLS = 2000


def _malformed(nb) -> list[int]:
    bad = []
    for index, cell in enumerate(nb.get("cells", [])):
        source = cell.get("source", "") if isinstance(cell, dict) else None
        if not isinstance(source, (str, list)) or (
                isinstance(source, list) and not all(isinstance(s, str) for s in source)):
            bad.append(index)
    return bad


def notebook(sub: Submission, lab: instructor.Lab, others) -> dict | None:
    """The parsed notebook of ``sub``, or None with a status on ``sub``."""
    raw = sub.raw or b""
    if not raw.strip():
        sub.flag(Status.EMPTY)
        return None
    if len(raw) > MAX_BYTES:
        sub.flag(Status.TOO_LARGE, f"({len(raw) / 2**20:.0f} MB; at most {MAX_BYTES // 2**20} MB)")
        return None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
        if isinstance(data, dict) and int(data.get("nbformat", 4)) < 4:
            data = nbformat.convert(nbformat.from_dict(data), 4)
        if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
            raise ValueError("no list of cells")
    except Exception:  # noqa: BLE001 - any failure to read means the same for the student
        sub.flag(Status.NOT_A_NOTEBOOK)
        sub.notes.append("The file is not a Jupyter notebook. In Colab use File -> Download -> "
                         "Download .ipynb, and hand in that file.")
        return None
    if len(data["cells"]) > MAX_CELLS:
        sub.flag(Status.TOO_LARGE, f"({len(data['cells'])} cells; at most {MAX_CELLS})")
        return None
    for index in _malformed(data):
        sub.notes.append(f"Cell {index + 1} is malformed (its source is not text) and was ignored.")
    other = instructor.wrong_lab(data, lab, others)
    if other:
        sub.flag(Status.WRONG_LAB)
        sub.notes.append(f"This notebook looks like {other}, not {lab.lab_id}: it was not graded.")
        return None
    return data
