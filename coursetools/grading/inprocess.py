"""Grading without kernels, for what grades many variants of one lab (the mutation audit, the
tests): the grader's own flow (``pipeline.PER_STUDENT``: prepare, build, execute, score, second
round, fair costs) with ``run.inprocess.InProcessRunner`` as its runner, which runs the grading
notebooks' cells in this process.

Only the runner differs from ``coursetools grade``: no sandbox, no nbval, no budgets; and with
the references given (``reference``, shared by many variants) the reference notebook runs, in
this process too, only on the inputs keys they do not hold yet, and they keep those: each
variant's key runs once. ``tests/grading/test_pipeline.py`` checks that both runners give the
same points. Never use it on students' code: it runs the code in the grader's own process.
"""
from __future__ import annotations

import nbformat

from coursetools.grading import pipeline
from coursetools.grading.lab import extract, instructor
from coursetools.grading.records import Submission
from coursetools.grading.run.inprocess import InProcessRunner, execute
from coursetools.grading.score.judge import References

__all__ = ["execute", "reference", "grade", "grade_definitions"]


def _conduct(lab: instructor.Lab, seed: str, refs: References | None, subs: list[Submission],
             timeout: float | None = None, prepared: dict | None = None,
             keys: dict | None = None) -> pipeline.Run:
    with pipeline.work_folder() as work:
        run = pipeline.Run(lab, seed, InProcessRunner(timeout), work, subs=subs, refs=refs,
                           prepared=dict(prepared or {}), keys=dict(keys or {}))
        return pipeline.conduct(run)


def reference(lab: instructor.Lab, seed: str, keys=(),
              refs: References | None = None) -> References:
    """The reference results of the inputs ``keys`` (``build.inputs_key``; none: the
    instructor's own), added to ``refs`` when given (raises pipeline.GradingError if the
    instructor's code fails)."""
    keys = {f"key{n}": key for n, key in enumerate(keys)}
    return _conduct(lab, seed, refs, [], keys=keys).refs


def grade_definitions(lab: instructor.Lab, refs: References, codes: list[extract.CellCode],
                      seed: str, sub: Submission, timeout: float | None = None) -> Submission:
    """Score extracted definitions as the grader does (``sub`` has no file: the definitions
    are what prepare would have kept); ``timeout``: seconds per cell."""
    sub.key = "s00001"
    _conduct(lab, seed, refs, [sub], timeout, {sub.key: codes})
    return sub


def grade(lab: instructor.Lab, refs: References, notebook, seed: str) -> Submission:
    """A Submission graded as ``coursetools grade`` would (points, codes, statuses, notes)."""
    sub = Submission(student="inprocess", raw=nbformat.writes(notebook).encode())
    _conduct(lab, seed, refs, [sub])
    return sub
