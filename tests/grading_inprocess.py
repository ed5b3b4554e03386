"""Grading without kernels, for tests that grade many variants: the grader's own steps
(read, extract, build, score) with the execute step replaced by running the grading notebook's
cells in this process.

Only the execution differs from ``coursetools grade``: no sandbox, no nbval, no budgets, and the
setup cell (the guard, whose audit hook would stay in this process) is skipped. Everything
that decides points (which code is kept, the isolation of each function, the varied inputs,
the comparison with the reference) is the package's own code. ``tests/grading/test_pipeline.py``
checks that a real grading run gives the same points as this driver.
"""
from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import nbformat

from coursetools import cells
from coursetools.grading import pipeline
from coursetools.grading.lab import build, instructor
from coursetools.grading.score import judge as score
from coursetools.grading.records import CellResult, Role, Submission

ROOT = Path(__file__).resolve().parents[1]
_LABS: dict[str, instructor.Lab] = {}
_REFERENCES: dict[tuple[str, str], dict] = {}


def lab(lab_id: str) -> instructor.Lab:
    if lab_id not in _LABS:
        _LABS[lab_id] = instructor.load(ROOT / "solutions" / f"{lab_id}.ipynb", lab_id)
    return _LABS[lab_id]


def execute(nb) -> list[CellResult]:
    """Run a grading notebook's cells in a fresh namespace; one CellResult per cell."""
    namespace, results = {"__name__": "__main__"}, []
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata["coursetools"]
        role = Role(meta["role"])
        result = CellResult(notebook="inprocess", index=index, role=role,
                            tests=list(meta.get("tests", [])), source_cell=meta.get("cell"))
        results.append(result)
        if role is Role.SETUP:
            continue
        module = sys.modules.get(cells.MODULE)
        if module is not None and role is not Role.HELPERS:
            module._STATE["sink"] = result.payloads.append
            module._user_namespace = lambda: namespace
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(cell.source, f"<grading cell {index}>", "exec"), namespace)
        except Exception as error:  # noqa: BLE001 - as a kernel would report it
            result.errors.append((type(error).__name__, str(error)))
        if role is Role.RECORDING:
            sys.modules[cells.MODULE]._STATE["sink"] = result.payloads.append
    return results


def reference(lab_id: str, seed: str) -> dict:
    key = (lab_id, seed)
    if key not in _REFERENCES:
        the_lab = lab(lab_id)
        nb = build.grading_notebook(the_lab, the_lab.definitions, seed=seed, variants=True)
        _REFERENCES[key] = score.reference(the_lab, execute(nb))
    return _REFERENCES[key]


def grade(lab_id: str, notebook, seed: str = "tests") -> Submission:
    """A Submission graded as ``coursetools grade`` would (points, codes, statuses, notes)."""
    the_lab = lab(lab_id)
    sub = Submission(student="inprocess", raw=nbformat.writes(notebook).encode())
    refs = reference(lab_id, seed)
    codes = pipeline.prepare(sub, the_lab, {})
    if codes is None:
        sub.tests = pipeline.tests_not_executed(sub, the_lab, refs)
        return sub
    results = execute(build.grading_notebook(the_lab, codes, seed=seed))
    sub.tests = score.score(the_lab, refs, results)
    variants = {test: execute(build.variant_notebook(the_lab, codes, test, seed=seed))
                for test in score.variant_candidates(the_lab, sub.tests)}
    if variants:
        sub.tests = score.charge_once(the_lab, sub.tests,
                                      score.score_variants(the_lab, refs, variants))
    sub.tests = score.share_costs(the_lab, refs, sub.tests)
    score.runtime_statuses(sub, results)
    return sub
