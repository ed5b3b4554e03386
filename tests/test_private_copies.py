"""coursetools.private_copies: a private instructor notebook that drifted from the course is brought
back in step where that is safe, and says what needs a human where it is not."""
from __future__ import annotations

import copy

import nbformat
import pytest

from coursetools import cells, markers, private_copies
from coursetools.cli import main
from coursetools.grading.lab import instructor
from tests.conftest import ROOT

LAB = "lab1_scalar"
PRIVATE_TEST = (f"{markers.BEGIN_HIDDEN}\nx_p = 0.25\nwith graded(\"private_extra\", points=1, grades=[\"forward\"]):\n"
                f"    check(forward, dict(x=x_p, w1=0.5, w2=-1.5), expect=(0.125, 0.125, -0.1875),\n"
                f"          outputs=(\"y1\", \"y1_relu\", \"y2_pred\"))\n{markers.END_HIDDEN}")


def course():
    return nbformat.read(ROOT / "solutions" / f"{LAB}.ipynb", as_version=4)


def kinds(nb):
    return [(i.kind, tuple(i.tests)) for i in markers.parse_notebook(nb)]


def drifted():
    """A private copy made from an older course: an old helper cell, a visible test changed since,
    one visible test it never had, a solution of its own, a private hidden test and seed, a
    visible test only it has."""
    nb = copy.deepcopy(course())
    infos = markers.parse_notebook(nb)
    helper = next(i.index for i in infos if i.kind == "helpers")
    lines = nb.cells[helper].source.split("\n")
    version = cells.helper_version(nb.cells[helper].source)
    lines[1] = cells.HELPER_MARK.format(version=version - 1)
    nb.cells[helper].source = "\n".join(lines[:2] + ["# an older helper cell"] + lines[2:])
    visible = [i for i in infos if i.kind == "test"]
    changed, removed = visible[0], visible[1]
    nb.cells[changed.index].source += "\n# the old version of this test"
    solution = next(i for i in infos if i.kind == "solution")
    nb.cells[solution.index].source += "\n# my own comment"
    nb.metadata[markers.METADATA]["seed"] = "private-seed-1"
    own = nbformat.v4.new_code_cell(PRIVATE_TEST)
    extra = nbformat.v4.new_code_cell(nb.cells[changed.index].source.replace(
        changed.tests[0], "only_in_the_private_copy"))
    del nb.cells[removed.index]
    nb.cells.insert(len(nb.cells) - 1, own)
    nb.cells.insert(len(nb.cells) - 1, extra)
    return nb, changed.tests, removed.tests, solution


def test_a_drifted_copy_is_updated_where_safe_and_flags_the_rest():
    nb, changed, removed, solution = drifted()
    report = private_copies.compare(course(), nb)
    actions = {c.part: c.action for c in report.changes}
    assert actions["helper cell"] == "updated"
    assert actions[f"visible test {', '.join(changed)}"] == "updated"
    assert actions[f"visible test {', '.join(removed)}"] == "added"
    assert actions["visible test only_in_the_private_copy"] == "review"
    assert any(c.part.startswith("solution") and c.action == "review" for c in report.changes)
    assert actions["seed"] == "kept" and actions["hidden tests"] == "kept"
    updated = report.notebook
    course_tests = [k for k in kinds(course()) if k[0] == "test"]
    assert [k for k in kinds(updated) if k[0] == "test" and k[1] != ("only_in_the_private_copy",)] \
        == course_tests, "the course's visible tests, in the course's order"
    assert ("hidden", ("private_extra",)) in kinds(updated)
    assert updated.metadata[markers.METADATA]["seed"] == "private-seed-1"
    assert updated.cells[solution.index].source.endswith("# my own comment")
    helper = next(c for c in updated.cells if cells.is_helper_cell(c.source))
    cells.require_current(helper.source, "updated copy")


def test_take_solutions_and_new_seed_do_what_they_say():
    nb, _, _, solution = drifted()
    nb.metadata[markers.METADATA]["seed"] = course().metadata[markers.METADATA]["seed"]
    report = private_copies.compare(course(), nb, take_solutions=True, new_seed=True)
    assert report.notebook.cells[solution.index].source == course().cells[solution.index].source
    seed = report.notebook.metadata[markers.METADATA]["seed"]
    assert seed and seed != course().metadata[markers.METADATA]["seed"]


def test_written_copy_grades_and_a_second_sync_has_nothing_left(tmp_path, capsys):
    nb, *_ = drifted()
    path = tmp_path / "private_lab1.ipynb"
    nbformat.write(nb, path)
    root = str(ROOT)
    assert main(["sync", str(path), "--root", root]) == 1
    assert "nothing written" in capsys.readouterr().out
    assert nbformat.read(path, as_version=4) == nb, "nothing is written without --write"
    assert main(["sync", str(path), "--root", root, "--write", "--take-solutions"]) == 1
    out = capsys.readouterr().out
    assert "written" in out and "only_in_the_private_copy" in out   # still to review by hand
    report = private_copies.sync(ROOT, path)
    assert not report.pending
    lab = instructor.load(path, LAB)                                 # as the grader reads it
    assert "private_extra" in lab.test_ids and "only_in_the_private_copy" in lab.test_ids


def test_a_copy_of_another_lab_or_a_non_notebook_is_refused(tmp_path, capsys):
    other = nbformat.read(ROOT / "solutions" / "lab2_vector.ipynb", as_version=4)
    with pytest.raises(private_copies.SyncError, match="lab2_vector"):
        private_copies.compare(course(), other)
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    assert main(["sync", str(broken), "--root", str(ROOT)]) == 2
    assert "not a readable notebook" in capsys.readouterr().err


def test_written_answers_and_the_diagnosis_vocabulary_reach_the_copy(tmp_path):
    """Lab 4's written answer: a copy made before it existed gets it with its question; a copy
    whose answer has other points or rubric is flagged, never overwritten; an answer only the copy
    has is kept. A copy without the lab's mistake vocabulary gets it, in its metadata and in its
    helper cell (the one the instructor runs), so its hints say what the course's say."""
    xor = nbformat.read(ROOT / "solutions" / "lab4_xor.ipynb", as_version=4)
    answer = next(i for i in markers.parse_notebook(xor) if i.kind == "answer")
    question = xor.cells[answer.index - 1].source
    old = copy.deepcopy(xor)
    del old.cells[answer.index - 1:answer.index + 1]
    del old.metadata[markers.METADATA]["diagnosis"]
    meta = old.metadata[markers.METADATA]
    helper_cell = next(c for c in old.cells if cells.is_helper_cell(c.source))
    helper_cell.source = cells.helper_source("lab4_xor", meta["contract"], meta["methods"], strict=True)
    old.metadata[markers.METADATA]["seed"] = "private-seed-4"
    report = private_copies.compare(xor, old)
    actions = {c.part: c.action for c in report.changes}
    assert actions[f"written answer {answer.answer.id}"] == "added"
    assert actions["diagnosis"] == "updated" and actions["helper cell"] == "updated"
    sources = [c.source for c in report.notebook.cells]
    at = sources.index(xor.cells[answer.index].source)
    assert sources[at - 1] == question, "the question comes with its answer"
    path = tmp_path / "private_lab4.ipynb"
    report.path = path
    private_copies.write(report)
    lab = instructor.load(path, "lab4_xor")
    assert [a.id for a in lab.answers] == [answer.answer.id] and lab.diagnosis
    helper = next(c.source for c in report.notebook.cells if cells.is_helper_cell(c.source))
    assert helper == next(c.source for c in xor.cells if cells.is_helper_cell(c.source))
    assert not private_copies.sync(ROOT, path).pending, "a second sync has nothing left"

    mine = copy.deepcopy(xor)
    marker = xor.cells[answer.index].source.split("\n")[0]
    mine.cells[answer.index].source = mine.cells[answer.index].source.replace(
        marker, marker.replace(f"points={answer.answer.points:g}", "points=5"), 1)
    mine.cells += [nbformat.v4.new_markdown_cell("Why ReLU?"),
                   nbformat.v4.new_markdown_cell("<!-- answer: why_relu points=1 -->\nIt is cheap.")]
    report = private_copies.compare(xor, mine)
    actions = {c.part: c.action for c in report.changes}
    assert actions[f"written answer {answer.answer.id}"] == "review"
    assert actions["written answer why_relu"] == "kept"
    assert "points=5" in report.notebook.cells[answer.index].source, "never overwritten"
