"""coursetools.grading.intake.read: bytes become a notebook, or a status that says why not."""
import json

import nbformat
import pytest

from coursetools.grading.intake import read
from coursetools.grading.lab import instructor
from coursetools.grading.records import Status, Submission
from tests.conftest import ROOT

LAB = instructor.load(ROOT / "solutions" / "lab1_scalar.ipynb", "lab1_scalar")
STUDENT = (ROOT / "labs" / "lab1_scalar.ipynb").read_bytes()


def statuses(raw, others=None):
    sub = Submission(student="s", raw=raw)
    nb = read.notebook(sub, LAB, others or {})
    return nb, [s.text for s in sub.statuses], sub.notes


@pytest.mark.parametrize("raw, status", [
    (b"", "empty file"), (b"  \n", "empty file"),
    (b"{", "not a notebook"), (b"[1, 2]", "not a notebook"), (b'{"cells": 3}', "not a notebook"),
    (b"\xff\xfe not utf-8", "not a notebook"),
])
def test_files_that_are_not_notebooks(raw, status):
    nb, found, notes = statuses(raw)
    assert nb is None and found == [status]
    if status == "not a notebook":
        assert "Download .ipynb" in notes[0]


def test_a_student_lab_reads_and_a_byte_order_mark_is_fine():
    nb, found, _ = statuses(b"\xef\xbb\xbf" + STUDENT)
    assert nb is not None and found == []


def test_too_large_and_too_many_cells(monkeypatch):
    monkeypatch.setattr(read, "MAX_BYTES", 1000)
    assert statuses(STUDENT)[1][0].startswith("notebook too large")
    monkeypatch.undo()
    data = json.loads(STUDENT)
    data["cells"] = data["cells"] * 100
    assert statuses(json.dumps(data).encode())[1][0].startswith("notebook too large (")


def test_malformed_cells_are_noted_not_fatal():
    data = json.loads(STUDENT)
    data["cells"].append({"cell_type": "code", "source": 42, "metadata": {}, "outputs": []})
    nb, found, notes = statuses(json.dumps(data).encode())
    assert nb is not None and found == [] and any("malformed" in n for n in notes)


def test_a_notebook_of_another_lab():
    other = (ROOT / "labs" / "lab2_vector.ipynb").read_bytes()
    nb, found, notes = statuses(other)
    assert nb is None and found == ["wrong lab"] and "lab2_vector" in notes[0]


def test_an_old_format_notebook_is_converted():
    old = nbformat.v3.new_notebook(worksheets=[nbformat.v3.new_worksheet(cells=[
        nbformat.v3.new_code_cell(input="def forward(x, w1, w2):\n    return x")])])
    nb, found, _ = statuses(nbformat.writes(old, version=3).encode())
    assert nb is not None and found == [] and "".join(nb["cells"][0]["source"]).startswith("def forward")
