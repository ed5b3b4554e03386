"""coursetools.grading.audit: the mutation audit, its thresholds, and every lab passing them.

``test_every_lab_passes_the_audit`` is what ``make test`` runs on every lab (labs added later
included: it takes every instructor notebook in solutions/)."""
from __future__ import annotations

import json

import pytest

from coursetools.grading import audit, mutants
from coursetools.grading.lab import instructor
from tests.conftest import ROOT

LABS = sorted(p.stem for p in (ROOT / "solutions").glob("*.ipynb"))


def _mutant(item="f", unit=None, number=1):
    return mutants.Mutant(id=f"{unit or item}:flip_operator:{number}", item=item,
                          unit=unit or item, source="", line=1)


def test_thresholds_name_each_problem():
    caught = audit.MutantResult(_mutant(), {"t_f": 2.0}, [])
    crossing = audit.MutantResult(_mutant(number=2), {"t_f": 2.0, "t_g": 1.0}, ["t_g"])
    survivor = audit.MutantResult(_mutant(number=3), {}, [])
    excused = audit.MutantResult(_mutant(number=4), {}, [])
    item = audit.ItemAudit("f", [caught, crossing, survivor, excused],
                           {excused.mutant.id: "the same function"})
    assert item.rate == pytest.approx(2 / 3)          # the equivalent survivor is not counted
    result = audit.Audit("lab", [item], untestable=["t_h"], stale=[])
    problems = "\n".join(result.problems())
    assert "test t_h: no mutant of the items it grades makes it fail" in problems
    assert "f:flip_operator:2 costs tests that do not grade f: t_g" in problems
    assert "f: 2 of 3 mutants caught (67% < 90%); survivors: f:flip_operator:3" in problems
    item.equivalent[survivor.mutant.id] = "also the same"
    ok = audit.Audit("lab", [audit.ItemAudit("f", [caught, survivor], {
        survivor.mutant.id: "the same function"})], [], [])
    assert ok.problems() == []
    assert "largest cost" in audit.table(ok) and "100%" in audit.table(ok)


def test_a_survivor_listed_without_a_reason_is_refused(tmp_path):
    lab = instructor.load(ROOT / "solutions" / "lab1_scalar.ipynb", "lab1_scalar")
    copy = tmp_path / "lab1_scalar.ipynb"
    copy.write_bytes(lab.path.read_bytes())
    (tmp_path / "lab1_scalar.survivors.json").write_text(json.dumps({"loss:x:1": " "}))
    with pytest.raises(ValueError, match="needs a reason"):
        audit._equivalent(instructor.load(copy, "lab1_scalar"))


@pytest.mark.slow
def test_the_audit_finds_a_test_that_cannot_fail_and_a_listing_gone_stale(tmp_path):
    """Lab 1 with a forward test declared as grading loss (forward official): no mutant of
    loss can fail it; and a survivors file naming a mutant that is caught."""
    import nbformat

    nb = nbformat.read(ROOT / "solutions" / "lab1_scalar.ipynb", as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace(
            'with graded("forward_active_unit", points=1, grades=["forward"]):',
            'with graded("forward_active_unit", points=1, grades=["loss"], official=["forward"]):'
            '\n    loss')
    path = tmp_path / "lab1_scalar.ipynb"
    nbformat.write(nb, path)
    (tmp_path / "lab1_scalar.survivors.json").write_text(json.dumps({
        "forward:return_none:1": "listed by mistake", "nothing:flip_operator:9": "gone"}))
    result = audit.audit(instructor.load(path, "lab1_scalar"), jobs=2)
    problems = "\n".join(result.problems())
    assert result.untestable == ["forward_active_unit"]
    assert "test forward_active_unit: no mutant of the items it grades makes it fail" in problems
    assert "forward:return_none:1 is listed as equivalent but is caught" in problems
    assert "nothing:flip_operator:9 is no mutant of the lab" in problems


@pytest.mark.slow
@pytest.mark.parametrize("lab", LABS)
def test_every_lab_passes_the_audit(lab):
    """The thresholds, on the AST mutants and the hand-written ones the lab tests use too."""
    fixtures = ROOT / "tests" / "files" / "labs" / lab
    result = audit.audit(instructor.load(ROOT / "solutions" / f"{lab}.ipynb", lab),
                         fixtures=fixtures if fixtures.is_dir() else None, jobs=2)
    assert result.problems() == [], audit.report(result)
