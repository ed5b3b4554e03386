"""Grading without kernels for the tests: ``coursetools.grading.inprocess`` (the grader's own
flow with the in-process runner) with each lab and its references loaded once per test
session (the references of each inputs key a test grades on are added as it asks for them)."""
from __future__ import annotations

from pathlib import Path

import nbformat

from coursetools.grading import inprocess, pipeline
from coursetools.grading.lab import instructor
from coursetools.grading.records import CELL_META, Role, Submission
from coursetools.grading.run.inprocess import InProcessRunner
from coursetools.grading.score.judge import References

ROOT = Path(__file__).resolve().parents[1]
execute = inprocess.execute
_LABS: dict[str, instructor.Lab] = {}
_REFERENCES: dict[tuple[str, str], References] = {}


def lab(lab_id: str) -> instructor.Lab:
    if lab_id not in _LABS:
        _LABS[lab_id] = instructor.load(ROOT / "solutions" / f"{lab_id}.ipynb", lab_id)
    return _LABS[lab_id]


def reference(lab_id: str, seed: str, *keys: str) -> References:
    """The references of the lab on ``seed``: of the instructor's own inputs key, of every key
    graded in process so far, and of ``keys`` (run now if they are new)."""
    if (lab_id, seed) not in _REFERENCES:
        _REFERENCES[lab_id, seed] = inprocess.reference(lab(lab_id), seed)
    refs = _REFERENCES[lab_id, seed]
    missing = [key for key in keys if key not in refs.by_key]
    return inprocess.reference(lab(lab_id), seed, missing, refs) if missing else refs


def grade(lab_id: str, notebook, seed: str = "tests") -> Submission:
    """A Submission graded as ``coursetools grade`` would (points, codes, statuses, notes)."""
    return inprocess.grade(lab(lab_id), reference(lab_id, seed), notebook, seed)


class Kernels:
    """Stands in for ``execute.run_sessions`` (monkeypatched) to run ``pipeline.grade`` without
    kernels, on our own submissions only: ``InProcessRunner`` runs the notebooks, and this
    remembers each one (every notebook would have been one kernel) with the inputs keys its
    recording cells switch to."""

    def __init__(self):
        self.keys: dict[str, list[str]] = {}    # notebook name -> the keys its cells switch to

    def __call__(self, workdir, sessions, **options):
        for session in sessions.values():
            for notebook, path in session.notebooks.items():
                cells = nbformat.read(path, as_version=4).cells
                self.keys[notebook] = [c.metadata[CELL_META]["inputs_key"] for c in cells
                                       if c.metadata[CELL_META]["role"] == Role.RECORDING.value]
        return InProcessRunner().run(workdir, sessions)

    def references(self) -> dict[str, list[str]]:
        return {n: k for n, k in self.keys.items() if n.startswith(pipeline.REFERENCE)}
