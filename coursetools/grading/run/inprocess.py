"""A runner without kernels, for what grades many variants of one lab (the mutation audit, the
tests): each grading notebook's cells run in a fresh namespace of this process.

It serves the grader's own flow (``pipeline.PER_STUDENT``) in place of ``execute.KernelRunner``:
no sandbox, no nbval, no budgets but a time limit per cell, and the setup cell (the guard, whose
audit hook would stay in this process) is skipped. Never use it on students' code: it runs the
code in the grader's own process.
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import signal
import sys
import time
from pathlib import Path

import nbformat

from coursetools import cells
from coursetools.grading.records import CellResult, Role
from coursetools.grading.run.execute import Session, SessionResult


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


def execute(nb, timeout: float | None = None, name: str = "inprocess") -> list[CellResult]:
    """Run a grading notebook's cells in a fresh namespace; one CellResult per cell
    (``timeout``: seconds per cell, main thread only)."""
    namespace, results = {"__name__": "__main__"}, []
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata["coursetools"]
        role = Role(meta["role"])
        result = CellResult(notebook=name, index=index, role=role,
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


@dataclasses.dataclass(frozen=True)
class InProcessRunner:
    """``execute.Runner`` in this process: each notebook of each session, one after the other
    (``timeout``: seconds per cell; ``jobs``, ``title`` and ``what`` are not used)."""

    timeout: float | None = None

    def run(self, work: Path, sessions: dict[str, Session], *, jobs: int | None = None,
            title: str = "grading", what: str = "") -> dict[str, SessionResult]:
        done = {}
        for key, session in sessions.items():
            started = time.monotonic()
            results = {name: execute(nbformat.read(path, as_version=4), self.timeout, name)
                       for name, path in session.notebooks.items()}
            done[key] = SessionResult(results, time.monotonic() - started)
        return done
