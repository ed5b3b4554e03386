"""pytest plugin: nbval executes the grading notebooks; this plugin collects what they emitted.

nbval makes one pytest item per code cell and runs a notebook's cells in order in one kernel;
pytest-xdist (``--dist loadscope``) spreads the notebooks over the cores. nbval itself only
knows "the cell raised" or "the cell's output differs"; the grader needs the *results* that the
test helpers emit in record mode (display outputs of MIME type ``checks.MIME``). So:

- on the worker that ran a cell, ``pytest_runtest_makereport`` copies those results, the cell's
  error (name and message) and the way it failed (timeout, dead kernel) into the report's
  ``user_properties``, which xdist carries to the controller;
- on the controller, ``Collector.pytest_runtest_logreport`` gathers them per notebook and prints
  a progress line on stderr.

Two changes to nbval's behaviour, both about fault isolation:

- nbval waits the full cell timeout for a reply from a kernel that has already died (e.g.
  ``os._exit`` or a segfault in the student's code). ``await_reply`` is replaced by one that
  polls in short slices and gives up as soon as the kernel process is gone.
- after a kernel died, nbval fails every later cell of the notebook. Instead, before a test
  cell runs on a dead kernel, a new kernel is started and the notebook's setup, checks,
  definitions and recording cells are replayed (at most ``MAX_RESTARTS`` times per notebook),
  so a crash costs only the tests that crash. Not after nbval's backstop timeout, though: code
  that disabled the guard's alarm loses the rest of its tests rather than the class its time.
"""
from __future__ import annotations

import json
import sys
import time
from queue import Empty

import pytest

from coursetools.checks import MIME
from coursetools.grading.guard import GUARD_PREFIX

META = "coursetools"
PROPERTY = "coursetools-result"
MAX_RESTARTS = 3
MAX_PAYLOAD_CHARS = 2_000_000   # one cell's results; more is not a lab's output
PRELUDE = ("setup", "checks", "definitions", "recording")
POLL_SECONDS = 0.5


class KernelDied(RuntimeError):
    """The kernel process ended while a cell was running."""


def _await_reply(self, msg_id, timeout=None):
    """nbval's ``RunningKernel.await_reply``, noticing a dead kernel within POLL_SECONDS."""
    deadline = None if timeout is None else time.monotonic() + float(timeout)
    while True:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise Empty
        wait = POLL_SECONDS if remaining is None else max(0.01, min(POLL_SECONDS, remaining))
        try:
            msg = self.get_message(stream="shell", timeout=wait)
        except Empty:
            if not self.is_alive():
                raise KernelDied("the kernel died while running this cell") from None
            continue
        if msg["parent_header"].get("msg_id") == msg_id:
            if msg["content"]["status"] == "aborted":
                raise RuntimeError("Kernel aborted execution request")
            return


def pytest_configure(config):
    from nbval import kernel

    kernel.RunningKernel.await_reply = _await_reply


def _is_cell(item) -> bool:
    from nbval.plugin import IPyNbCell

    return isinstance(item, IPyNbCell)


def _meta(item) -> dict:
    return dict(item.cell.get("metadata", {}).get(META, {}))


def _restart(item) -> None:
    """A fresh kernel for the item's notebook, with the prelude cells replayed."""
    notebook = item.parent
    old = getattr(notebook, "kernel", None)
    if old is not None:
        try:
            old.stop()
        except Exception:  # noqa: BLE001 - it is dead already; only the new one matters
            pass
    notebook.setup()
    notebook.timed_out = False
    timeout = float(item.config.option.nbval_cell_timeout)
    for cell in notebook.nb.cells:
        if cell.get("metadata", {}).get(META, {}).get("role") in PRELUDE:
            msg_id = notebook.kernel.execute_cell_input(cell.source, allow_stdin=False)
            notebook.kernel.await_reply(msg_id, timeout=timeout)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if not _is_cell(item) or _meta(item).get("role") != "test":
        return
    notebook = item.parent
    kernel = getattr(notebook, "kernel", None)
    if kernel is None or kernel.is_alive():
        return
    restarts = getattr(notebook, "_coursetools_restarts", 0)
    if restarts >= MAX_RESTARTS or getattr(notebook, "timed_out", False):
        # No second chance after nbval's own timeout killed the kernel: the code got past the
        # guard's alarm, and each further attempt would cost the whole backstop timeout.
        return
    notebook._coursetools_restarts = restarts + 1
    try:
        _restart(item)
    except Exception:  # noqa: BLE001 - the cell then fails as "kernel dead", which is reported
        pass


def _failure(excinfo) -> str | None:
    """How a cell failed, in the grader's words (None: it ran, errors are in its outputs)."""
    if excinfo is None:
        return None
    error = excinfo.value
    text = str(error)
    if isinstance(error, KernelDied):
        return "kernel died"
    if "Kernel dead" in text:
        return "kernel dead"
    if "Timeout" in text:
        return "timeout"
    if type(error).__name__ == "NbCellError":
        return None
    return f"{type(error).__name__}: {text}"[:300]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if not _is_cell(item):
        return
    if call.when == "setup" and call.excinfo is None:
        return
    if call.when not in ("setup", "call"):
        return
    report = outcome.get_result()
    payloads, errors, guard, size = [], [], [], 0
    for output in item.test_outputs or []:
        kind = output.get("output_type")
        if kind in ("display_data", "execute_result"):
            data = output.get("data", {}).get(MIME)
            if data is None:
                continue
            text = json.dumps(data)
            size += len(text)
            if size > MAX_PAYLOAD_CHARS:
                errors.append({"ename": "OutputTooLarge",
                               "evalue": "the cell emitted more results than a lab produces"})
                break
            payloads.append(data)
        elif kind == "stream":
            for line in str(output.get("text", "")).splitlines():
                if line.startswith(GUARD_PREFIX) and len(guard) < 20:
                    guard.append(line[len(GUARD_PREFIX):].strip()[:300])
        elif kind == "error":
            errors.append({"ename": str(output.get("ename", ""))[:100],
                           "evalue": str(output.get("evalue", ""))[:500]})
    excinfo = call.excinfo
    if excinfo is not None and type(excinfo.value).__name__ == "Skipped":
        excinfo = None
    result = {"notebook": item.path.parent.name, "cell_number": item.cell_num,
              "meta": _meta(item), "payloads": payloads, "errors": errors,
              "failure": _failure(excinfo), "when": call.when, "guard": guard}
    report.user_properties.append((PROPERTY, json.dumps(result)))


class Collector:
    """Controller side: the results of every cell, by notebook folder, and a progress line."""

    def __init__(self, cells_per_notebook: dict[str, int], progress=True, stream=None):
        self.expected = dict(cells_per_notebook)
        self.results: dict[str, list[dict]] = {name: [] for name in self.expected}
        self.done: set[str] = set()
        self.progress = progress
        self.stream = stream or sys.stderr
        self.started = time.monotonic()

    def pytest_runtest_logreport(self, report):
        for name, value in report.user_properties:
            if name != PROPERTY:
                continue
            result = json.loads(value)
            cells = self.results.setdefault(result["notebook"], [])
            cells.append(result)
            if len(cells) >= self.expected.get(result["notebook"], 0):
                self.done.add(result["notebook"])
                self._show()

    def _show(self, final=False):
        if not self.progress:
            return
        total = len(self.expected)
        done = len(self.done)
        width = 30
        filled = int(width * done / total) if total else width
        elapsed = time.monotonic() - self.started
        self.stream.write(f"\rgrading [{'#' * filled}{'.' * (width - filled)}] "
                          f"{done}/{total} notebooks, {elapsed:.0f} s")
        if final:
            self.stream.write("\n")
        self.stream.flush()

    def finish(self):
        self._show(final=True)
