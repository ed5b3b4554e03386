"""coursetools.grading.lab and .notebook: the instructor notebook read once, notebooks built."""
from __future__ import annotations

import ast
import copy
from pathlib import Path

import nbformat
import pytest

from coursetools.grading import extract, lab as labmod, notebook

ROOT = Path(__file__).resolve().parents[1]
LAB = labmod.load(ROOT / "solutions" / "lab1_scalar.ipynb", "lab1_scalar")


def test_contract_functions_tests_and_protected_names():
    assert LAB.functions == ["forward", "loss", "backward", "train"] and LAB.methods == {}
    xor = labmod.load(ROOT / "solutions" / "lab4_xor.ipynb", "lab4_xor")
    assert "Linear" in xor.functions and "backward" in xor.methods["Linear"]
    assert len(LAB.test_ids) == len(set(LAB.test_ids)) >= 8
    assert any(c.hidden for c in LAB.test_cells) and any(not c.hidden for c in LAB.test_cells)
    assert {"check", "graded", "enable_recording", "np", "_STATE"} <= LAB.reserved
    assert LAB.title.startswith("Lab 1")


def _check_calls(source):
    return [n for n in ast.walk(ast.parse(source))
            if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "check"]


def test_graded_cells_lose_their_expected_values():
    for cell in LAB.test_cells:
        calls = _check_calls(cell.source)
        assert calls, cell.index
        for call in calls:
            expect = [k.value for k in call.keywords if k.arg == "expect"] + call.args[2:3]
            assert all(isinstance(v, ast.Constant) and v.value is None for v in expect)


def test_assignments_only_for_expected_values_are_removed():
    source = '''
with graded("t", points=1):
    x_h = 1.5
    pre_h = 2 * x_h
    want_h = (pre_h, max(pre_h, 0))
    check(f, dict(x=x_h), want_h, ("a", "b"), vary=("x",))
'''
    stripped = labmod.strip_expectations([source])[0]
    assert "want_h" not in stripped and "pre_h" not in stripped
    assert "x_h = 1.5" in stripped and "vary=('x',)" in stripped


def _renamed(nb, title):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            cell.source = title + "\n" + cell.source.split("\n", 1)[1]
            return nb


def test_wrong_lab_from_the_metadata():
    student = nbformat.read(ROOT / "labs" / "lab1_scalar.ipynb", as_version=4)
    assert labmod.wrong_lab(student, LAB, {}) is None
    other = nbformat.read(ROOT / "labs" / "lab2_vector.ipynb", as_version=4)
    assert labmod.wrong_lab(other, LAB, {}) == "lab2_vector"


def test_wrong_lab_without_metadata_but_a_renamed_notebook_is_not():
    student = nbformat.read(ROOT / "labs" / "lab1_scalar.ipynb", as_version=4)
    student.metadata.pop("coursetools", None)
    assert labmod.wrong_lab(student, LAB, {}) is None
    assert labmod.wrong_lab(_renamed(student, "# Alice's homework"), LAB, {}) is None
    assert labmod.wrong_lab(_renamed(student, "# Lab 3: something else"), LAB, {}) == "Lab 3"
    bare = copy.deepcopy(student)
    bare.cells = [c for c in bare.cells if c.cell_type == "code"]
    assert labmod.wrong_lab(bare, LAB, {}) is None
    others = {"lab9_other": ("Lab 9: other", frozenset({"shared", "only in lab 9"}))}
    other = nbformat.v4.new_notebook()
    other.cells = [nbformat.v4.new_markdown_cell("only in lab 9"),
                   nbformat.v4.new_markdown_cell("shared")]
    assert labmod.wrong_lab(other, LAB, others) == "lab9_other"


def test_unknown_lab_names_the_known_ones(tmp_path):
    with pytest.raises(labmod.LabError, match="unknown lab 'nope'.*lab1_scalar"):
        labmod.instructor_path(ROOT, "nope")
    with pytest.raises(labmod.LabError, match="not a lab id"):
        labmod.instructor_path(ROOT, "../secret")
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{")
    with pytest.raises(labmod.LabError, match="not a readable notebook"):
        labmod.load(broken, "broken")


def test_grading_notebook_layout(tmp_path):
    student = nbformat.read(ROOT / "labs" / "lab1_scalar.ipynb", as_version=4)
    cells = extract.extract_notebook(student, reserved=LAB.reserved,
                                     checks_header="# CHECKS:")
    nb = notebook.grading_notebook(LAB, cells, nonce="n", private_dir=str(tmp_path),
                                   memory_bytes=2**30, cell_seconds=5)
    roles = [c.metadata["coursetools"]["role"] for c in nb.cells]
    first_test = roles.index("test")
    assert roles[:2] == ["setup", "checks"] and roles[first_test - 1] == "recording"
    assert set(roles[2:first_test - 1]) == {"definitions"}
    assert roles[first_test:] == ["test"] * len(LAB.test_cells)
    assert nb.cells[1].source == LAB.checks_source
    assert "sys.addaudithook(hook)" in nb.cells[0].source
    assert "'matplotlib.pyplot'" in nb.cells[0].source     # the lab imports it: preloaded
    compile(nb.cells[0].source, "setup", "exec")
    hidden = [c for c in nb.cells if c.metadata["coursetools"].get("hidden")]
    assert hidden and all(c.metadata["coursetools"]["tests"] for c in hidden)
