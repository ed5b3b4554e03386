"""Grading without kernels for the tests: ``coursetools.grading.inprocess`` (the grader's own
flow with the in-process runner) with each lab and reference loaded once per test session."""
from __future__ import annotations

from pathlib import Path

from coursetools.grading import inprocess
from coursetools.grading.lab import instructor
from coursetools.grading.records import Submission

ROOT = Path(__file__).resolve().parents[1]
execute = inprocess.execute
_LABS: dict[str, instructor.Lab] = {}
_REFERENCES: dict[tuple[str, str], dict] = {}


def lab(lab_id: str) -> instructor.Lab:
    if lab_id not in _LABS:
        _LABS[lab_id] = instructor.load(ROOT / "solutions" / f"{lab_id}.ipynb", lab_id)
    return _LABS[lab_id]


def reference(lab_id: str, seed: str) -> dict:
    if (lab_id, seed) not in _REFERENCES:
        _REFERENCES[lab_id, seed] = inprocess.reference(lab(lab_id), seed)
    return _REFERENCES[lab_id, seed]


def grade(lab_id: str, notebook, seed: str = "tests") -> Submission:
    """A Submission graded as ``coursetools grade`` would (points, codes, statuses, notes)."""
    return inprocess.grade(lab(lab_id), reference(lab_id, seed), notebook, seed)
