"""Grading without kernels, for what grades many variants of one lab (the mutation audit, the
tests): the grader's own steps (read, extract, build, score, charge once, fair costs) with the
execute step replaced by running the grading notebook's cells in this process.

Only the execution differs from ``coursetools grade``: no sandbox, no nbval, no budgets, and the
setup cell (the guard, whose audit hook would stay in this process) is skipped. Everything that
decides points (which code is kept, the isolation of each test, the varied inputs, the
comparison with the reference) is the package's own code; ``tests/grading/test_pipeline.py``
checks that a real grading run gives the same points. Never use it on students' code: it runs
the code in the grader's own process.
"""
from __future__ import annotations

import contextlib
import io
import signal
import sys

import nbformat

from coursetools import cells
from coursetools.grading import pipeline
from coursetools.grading.lab import build, extract, instructor
from coursetools.grading.records import CellResult, Role, Submission
from coursetools.grading.score import judge as score


class CellTimeout(Exception):
    """A cell ran longer than the in-process time limit (the sandbox's budget, here)."""


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    if not seconds:
        yield
        return

    def stop(signum, frame):
        raise CellTimeout(f"ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def execute(nb, timeout: float | None = None) -> list[CellResult]:
    """Run a grading notebook's cells in a fresh namespace; one CellResult per cell
    (``timeout``: seconds per cell, main thread only)."""
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
            module.SESSION.sink = result.payloads.append
            module.SESSION.namespace = lambda: namespace
        try:
            with contextlib.redirect_stdout(io.StringIO()), \
                    contextlib.redirect_stderr(io.StringIO()), _time_limit(timeout):
                exec(compile(cell.source, f"<grading cell {index}>", "exec"), namespace)
        except Exception as error:  # noqa: BLE001 - as a kernel would report it
            result.errors.append((type(error).__name__, str(error)))
        if role is Role.RECORDING:
            sys.modules[cells.MODULE].SESSION.sink = result.payloads.append
    return results


def reference(lab: instructor.Lab, seed: str) -> dict:
    """The reference results (raises judge.ReferenceFailure if the instructor's code fails)."""
    nb = build.grading_notebook(lab, lab.definitions, seed=seed, variants=True)
    return score.reference(lab, execute(nb))


def grade_definitions(lab: instructor.Lab, refs: dict, codes: list[extract.CellCode],
                      seed: str, sub: Submission, timeout: float | None = None) -> Submission:
    """Score extracted definitions as the grader does: the tests, the method variants of the
    failing ones (charge once), fair costs, the statuses the run reveals."""
    results = execute(build.grading_notebook(lab, codes, seed=seed), timeout)
    sub.tests = score.score(lab, refs, results)
    variants = {test: execute(build.variant_notebook(lab, codes, test, seed=seed), timeout)
                for test in score.variant_candidates(lab, sub.tests)}
    if variants:
        sub.tests = score.charge_once(lab, sub.tests, score.score_variants(lab, refs, variants))
    sub.tests = score.share_costs(lab, refs, sub.tests)
    score.runtime_statuses(sub, results)
    return sub


def grade(lab: instructor.Lab, refs: dict, notebook, seed: str) -> Submission:
    """A Submission graded as ``coursetools grade`` would (points, codes, statuses, notes)."""
    sub = Submission(student="inprocess", raw=nbformat.writes(notebook).encode())
    codes = pipeline.prepare(sub, lab, {})
    if codes is None:
        sub.tests = pipeline.tests_not_executed(sub, lab, refs)
        return sub
    return grade_definitions(lab, refs, codes, seed, sub)
