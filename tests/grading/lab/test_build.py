"""coursetools.grading.lab.build: the grading notebook of a submission."""
from __future__ import annotations

from pathlib import Path

import nbformat

from coursetools import cells as cellmod
from coursetools.grading.lab import build, extract, instructor
from coursetools.grading.records import Role
from tests.conftest import ROOT

LAB = instructor.load(ROOT / "solutions" / "lab1_scalar.ipynb", "lab1_scalar")


def _grading_notebook():
    student = nbformat.read(ROOT / "labs" / "lab1_scalar.ipynb", as_version=4)
    codes = extract.extract_notebook(student, skip=cellmod.is_helper_cell)
    return build.grading_notebook(LAB, codes, key="k")


def test_layout_prelude_then_one_isolation_cell_per_subject_in_contract_order():
    nb = _grading_notebook()
    roles = [Role(c.metadata["coursetools"]["role"]) for c in nb.cells]
    first = roles.index(Role.RECORDING)
    assert roles[:2] == [Role.SETUP, Role.HELPERS]
    assert set(roles[2:first]) == {Role.DEFINITIONS}
    isolations = [c.metadata["coursetools"]["subject"] for c in nb.cells
                  if c.metadata["coursetools"]["role"] == "isolation"]
    assert isolations == ["forward", "loss", "backward", "train"]
    subjects = [c.metadata["coursetools"]["subject"] for c in nb.cells
                if c.metadata["coursetools"]["role"] == "test"]
    assert subjects == sorted(subjects, key=LAB.contract.index), "tests grouped by subject"
    assert sorted(t for c in nb.cells for t in c.metadata["coursetools"].get("tests", [])) == \
        sorted(LAB.test_ids)
    for cell in nb.cells:
        compile(cell.source, "cell", "exec")


def test_no_official_definition_of_a_function_reaches_the_kernel_before_its_tests_ran():
    nb = _grading_notebook()
    done = set()
    for cell in nb.cells:
        meta = cell.metadata["coursetools"]
        if meta["role"] == "isolation":
            exposed = set(meta["names"])
            assert not exposed & ({meta["subject"]} | (set(LAB.contract) - done - exposed))
            done |= exposed
        if meta["role"] == "test":
            assert meta["subject"] not in done


def test_the_helpers_are_the_graders_own_and_the_setup_cell_the_guard():
    nb = _grading_notebook()
    assert nb.cells[1].source == cellmod.helper_source(LAB.lab_id, LAB.contract, LAB.methods,
                                                       diagnosis=LAB.diagnosis)
    assert LAB.diagnosis["relu"], "the lab's diagnosis vocabulary reaches the grading kernel"
    assert "addaudithook" in nb.cells[0].source and "enable_recording('k')" \
        in next(c.source for c in nb.cells if c.metadata["coursetools"]["role"] == "recording")


def test_the_seed_never_enters_a_kernel_only_a_key_derived_from_it_one_way():
    seed = "private-copy-seed-7f3a"
    key = build.inputs_key(seed, LAB.definitions)
    nbs = [*build.reference_notebooks(LAB, [key, build.inputs_key(seed, [])], 1),
           build.grading_notebook(LAB, LAB.definitions, key=key)]
    nbs += [build.variant_notebook(LAB, LAB.definitions, test, key=key)
            for cell in LAB.test_cells if LAB.method_variant(cell) for test in cell.tests]
    for nb in nbs:
        assert not any(seed in cell.source for cell in nb.cells)
    # the seed decides the inputs
    assert key != build.inputs_key(seed + "x", LAB.definitions)
    assert seed not in key


def test_many_student_cells_are_grouped_into_a_bounded_number_of_cells():
    codes = [extract.extract_cell(f"C{i} = {i}", index=i) for i in range(10_000)]
    nb = build.grading_notebook(LAB, codes, key="k")
    definitions = [c for c in nb.cells if c.metadata["coursetools"]["role"] == "definitions"]
    assert len(definitions) <= build.MAX_DEFINITION_CELLS
    namespace = {}
    for cell in definitions:
        exec(cell.source, namespace)
    assert namespace["C9999"] == 9999


def test_method_variants_only_in_the_reference_and_alone_for_a_student():
    lab = instructor.load(ROOT / "solutions" / "lab6_autograd.ipynb", "lab6_autograd")
    plain = build.grading_notebook(lab, lab.definitions, key="k")
    (reference,) = build.reference_notebooks(lab, ["k"], 2)
    def tests(nb):
        return [t for c in nb.cells for t in c.metadata["coursetools"].get("tests", [])]
    assert not any(t.endswith("~methods") for t in tests(plain))
    assert "value_sub_div_neg~methods" in tests(reference)
    assert "hidden_value_formulas~methods" not in tests(reference)   # it names no method
    one = build.variant_notebook(lab, lab.definitions, "value_sub_div_neg", key="k")
    assert tests(one) == ["value_sub_div_neg~methods"]
    isolating = one.cells[-2].source
    assert "isolate_methods('Value', ['__neg__', '__sub__', '__truediv__']" in isolating
    assert "def __sub__" not in isolating and "def __mul__" in isolating
