"""coursetools.grading.lab.instructor: the instructor notebook read once."""
from __future__ import annotations

import ast
import copy
from pathlib import Path

import nbformat
import pytest

from coursetools.grading.lab import instructor as labmod
from tests.conftest import ROOT

LAB = labmod.load(ROOT / "solutions" / "lab1_scalar.ipynb", "lab1_scalar")
XOR = labmod.load(ROOT / "solutions" / "lab4_xor.ipynb", "lab4_xor")


def test_contract_tests_seed_and_digest():
    assert LAB.contract == ["forward", "loss", "backward", "train"] and LAB.methods == {}
    assert "Linear" in XOR.contract and "backward" in XOR.methods["Linear"]
    assert len(LAB.test_ids) == len(set(LAB.test_ids)) >= 8
    assert any(c.hidden for c in LAB.test_cells) and any(not c.hidden for c in LAB.test_cells)
    assert LAB.title.startswith("Lab 1") and LAB.seed and len(LAB.digest) == 64


def test_each_test_cell_knows_its_subject():
    subjects = {test: cell.subject for cell in LAB.test_cells for test in cell.tests}
    assert subjects["forward_active_unit"] == "forward"
    assert subjects["backward_active_unit"] == "backward"
    assert subjects["hidden_train_random"] == "train"
    xor = {test: cell.subject for cell in XOR.test_cells for test in cell.tests}
    assert xor["linear_backward"] == "Linear"
    assert xor["network_backward"] == "Network"      # it builds official Linear layers too
    assert xor["train_three_epochs"] == "train"


def _cell(lab, test):
    return lab.test_cell(test)


def test_isolation_gives_the_official_versions_of_what_the_graded_items_use_and_nothing_else():
    names, source = LAB.isolation(_cell(LAB, "train_one_step"))
    assert names == ["forward", "loss", "backward"]
    namespace = {}
    exec(source, namespace)
    assert {"forward", "loss", "backward"} <= set(namespace) and "train" not in namespace
    names, source = LAB.isolation(_cell(LAB, "backward_active_unit"))
    assert names == ["forward"] and "def backward" not in source and "def loss" not in source
    assert LAB.isolation(_cell(LAB, "forward_active_unit")) == ([], "")
    names, source = XOR.isolation(_cell(XOR, "network_backward"))
    assert names == ["Linear", "Sigmoid"] and "class Network" not in source
    assert "def train" not in source and "class ReLU" not in source
    # a test that grades two items runs the student's versions of both, nothing official
    assert XOR.isolation(_cell(XOR, "hidden_activations_shapes")) == ([], "")


def test_every_test_cell_declares_what_it_grades():
    items = {test: (cell.items, cell.official) for cell in XOR.test_cells for test in cell.tests}
    assert items["hidden_activations_shapes"] == (["Sigmoid", "ReLU"], [])
    assert items["network_forward"] == (["Network"], ["Linear", "Sigmoid"])
    six = labmod.load(ROOT / "solutions" / "lab6_autograd.ipynb", "lab6_autograd")
    sixes = {test: cell.items for cell in six.test_cells for test in cell.tests}
    assert sixes["mlp_backward"] == sixes["hidden_mlp_other_sizes"] == ["MLP"]
    assert sixes["tensor_add_broadcast"] == ["Value", "Tensor"]     # Tensor inherits Value


def _declaring(tmp_path, test, declaration, lab="lab4_xor"):
    """The instructor notebook of ``lab`` with the ``graded`` call of ``test`` declaring
    ``declaration`` instead (e.g. ``grades=["ReLU"]``)."""
    import re
    nb = nbformat.read(ROOT / "solutions" / f"{lab}.ipynb", as_version=4)
    pattern = re.compile(rf'(with graded\("{test}", points=\d+)[^)]*\)')
    hits = [cell for cell in nb.cells if pattern.search(cell.source)]
    assert len(hits) == 1
    hits[0].source = pattern.sub(lambda m: m.group(1) + (", " + declaration if declaration
                                                         else "") + ")", hits[0].source)
    path = tmp_path / f"{lab}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("declaration, message", [
    ('grades=["ReLU"]', "calls Sigmoid without declaring it"),        # the old charge
    ("", "declares no graded item"),
    ('grades=["Sigmoid", "ReLU", "Linear"]', "declares Linear but never calls it"),
    ('grades=["Sigmoid", "ReLU"], official=["ReLU"]', "declares ReLU both graded and official"),
    ('grades=["Sigmoid", "Relu"]', "not in the contract"),
])
def test_declarations_that_disagree_with_the_calls_are_refused(tmp_path, declaration, message):
    path = _declaring(tmp_path, "hidden_activations_shapes", declaration)
    with pytest.raises(labmod.LabError, match="declarations and calls disagree") as raised:
        labmod.load(path, "lab4_xor")
    assert message in str(raised.value) and "hidden_activations_shapes" in str(raised.value)


def test_a_graded_subclass_needs_its_contract_base_graded_too(tmp_path):
    path = _declaring(tmp_path, "tensor_add_broadcast", 'grades=["Tensor"]', "lab6_autograd")
    with pytest.raises(labmod.LabError, match="grades Tensor, a subclass of Value"):
        labmod.load(path, "lab6_autograd")


def test_a_contract_out_of_dependency_order_is_refused(tmp_path):
    nb = nbformat.read(ROOT / "solutions" / "lab1_scalar.ipynb", as_version=4)
    nb.metadata["coursetools"]["contract"] = ["forward", "loss", "train", "backward"]
    path = tmp_path / "lab.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(labmod.LabError, match="dependency order: train uses backward"):
        labmod.load(path, "lab1_scalar")


def test_an_outdated_helper_cell_is_refused(tmp_path):
    nb = nbformat.read(ROOT / "solutions" / "lab1_scalar.ipynb", as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace("test helpers v3:", "test helpers v1:")
    path = tmp_path / "lab.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(labmod.LabError, match="version 1, the grader's is 3"):
        labmod.load(path, "lab1_scalar")


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


AUTOGRAD = labmod.load(ROOT / "solutions" / "lab6_autograd.ipynb", "lab6_autograd")


def test_a_class_test_is_about_the_methods_its_checks_name():
    cell = AUTOGRAD.test_cell("value_sub_div_neg")
    assert AUTOGRAD.about(cell) == ["__neg__", "__sub__", "__truediv__"]
    keep, replaced = AUTOGRAD.method_variant(cell)
    assert keep == ["__neg__", "__sub__", "__truediv__"] and "__mul__" in replaced
    assert "backward" in replaced and not set(keep) & set(replaced)
    # a test that names no method, and a test of a function, have no variant
    assert AUTOGRAD.method_variant(AUTOGRAD.test_cell("hidden_value_formulas")) is None
    assert AUTOGRAD.method_variant(AUTOGRAD.test_cell("sigmoid")) is None
    assert all(LAB.method_variant(c) is None for c in LAB.test_cells)


def test_a_variant_source_never_holds_the_methods_it_grades():
    source = AUTOGRAD.variant_source("Value", ["__mul__", "__rmul__"])
    tree = ast.parse(source)
    value = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Value")
    defined = {n.name for n in value.body if isinstance(n, ast.FunctionDef)}
    assert "__mul__" not in defined and "__rmul__" not in defined
    assert {"__add__", "__sub__", "backward"} <= defined
    namespace = {}
    exec(compile(source, "<variant>", "exec"), namespace)   # it runs as it is
    assert not hasattr(namespace["Value"], "__mul__")


@pytest.mark.parametrize("column", ["points", "status", "late"])
def test_an_id_equal_to_a_fixed_gradebook_column_is_refused(tmp_path, column):
    """A written answer (or test) named like a fixed column of grades.csv would make two
    columns of one name: the instructor notebook is refused, with the name and the fix."""
    nb = nbformat.read(ROOT / "solutions" / "lab1_scalar.ipynb", as_version=4)
    nb.cells += [nbformat.v4.new_markdown_cell("Why start from random weights?"),
                 nbformat.v4.new_markdown_cell(f"<!-- answer: {column} points=2 -->\nSymmetry.")]
    path = tmp_path / "lab1_scalar.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(labmod.LabError, match=rf"{column}: a test or answer id that is also a "
                                              "fixed column of grades.csv"):
        labmod.load(path, "lab1_scalar")
    nb.cells[-1].source = "<!-- answer: why_random points=2 -->\nSymmetry."
    nbformat.write(nb, path)
    assert [a.id for a in labmod.load(path, "lab1_scalar").answers] == ["why_random"]
