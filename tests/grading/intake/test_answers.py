"""coursetools.grading.intake.answers: a student's written answers, found by their marker."""
import nbformat
from nbformat import v4

from coursetools import markers
from coursetools.grading.intake import answers
from coursetools.grading.lab import instructor
from tests.conftest import ROOT

LAB = instructor.load(ROOT / "solutions" / "lab4_xor.ipynb", "lab4_xor")


def student(text):
    nb = nbformat.read(ROOT / "labs" / "lab4_xor.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.source.startswith("<!-- answer: why_not_zero"))
    if text is None:
        nb.cells.remove(cell)
    else:
        cell.source = text
    return nbformat.from_dict(nb)


def test_the_lab_knows_its_answer():
    (answer,) = LAB.answers
    assert (answer.id, answer.points) == ("why_not_zero", 2.0)
    assert answer.question.startswith("### Exercise 5") and "symmetry" in answer.model


def test_placeholder_answer_and_missing_marker():
    marker = LAB.answers[0].marker
    found, notes = answers.read(student(f"{marker}\n{markers.ANSWER_PLACEHOLDER}"), LAB)
    assert found == {"why_not_zero": ""} and notes == []
    found, notes = answers.read(student(f"{marker}\n\n  They stay identical.\n"), LAB)
    assert found == {"why_not_zero": "They stay identical."}
    found, _ = answers.read(student("<!-- answer: why_not_zero points=5 -->\nEdited points."), LAB)
    assert found == {"why_not_zero": "Edited points."}
    found, notes = answers.read(student("They stay identical (I deleted the first line)."), LAB)
    assert found == {"why_not_zero": None} and "could not be found" in notes[0]
    found, notes = answers.read(student(None), LAB)
    assert found == {"why_not_zero": None} and marker in notes[0]
