"""pytest plugin for grading: nbval executes the grading notebooks, this plugin keeps them in budget
and collects what they emitted.

nbval makes one pytest item per code cell and runs a notebook's cells in order in one kernel
(started in the sandbox by ``provisioner``); ``execute`` runs one pytest session per notebook,
several at once. This plugin adds what grading needs and nbval does not have:

- **Budgets enforced from outside the kernel.** nbval waits for output as long as output keeps
  coming, and its timeout asks the kernel to interrupt itself. Here each kernel object nbval
  creates is watched: a cell gets ``cell_seconds`` of wall clock, a notebook ``notebook_seconds``
  in all, and a cell may send ``output_bytes`` - every byte of every message the kernel sends
  while it runs, whatever its type (metadata and binary buffers included) or the cell it claims
  to answer; and nothing may pile up in the kernel's folder on the grader's disk (its working
  folder is a tmpfs in the sandbox; the folder itself holds only the sockets). Past any of them
  the sandbox is killed (not asked) and the cell's ``Failure`` says which budget it was. The
  student cannot switch this off: it happens in the grader's process.
- **A dead kernel costs only the tests that were running.** Before a test cell runs on a dead
  kernel, a new one is started and the notebook's prelude (setup, helpers, definitions,
  recording) and its latest isolation cell are replayed, at most ``MAX_RESTARTS`` times and
  only while the notebook's time budget lasts.
- **Results as typed records.** Each cell's record-mode payloads, error names and ``Failure``
  become a ``records.CellResult`` in the report's ``user_properties``; ``Collector`` gathers
  them per notebook.
"""
from __future__ import annotations

import collections
import dataclasses
import json
import os
import time
from queue import Empty

import pytest
import zmq

from coursetools.grading.records import CELL_META, PRELUDE, CellResult, Failure, Role
from coursetools.kernel.protocol import MIME

PROPERTY = "coursetools-result"
MAX_RESTARTS = 8
POLL_SECONDS = 0.2
# The kernel's folder on the grader's disk holds its connection file and sockets: anything more
# is a submission writing around its tmpfs.
MAX_FOLDER_BYTES = 2**20


class KernelDied(RuntimeError):
    """The kernel process ended while a cell was running."""


class BudgetExceeded(RuntimeError):
    """A budget ran out before the cell could start."""


def pytest_addoption(parser):
    group = parser.getgroup("coursetools grading budgets")
    group.addoption("--coursetools-cell-seconds", type=float, default=20.0)
    group.addoption("--coursetools-notebook-seconds", type=float, default=300.0)
    group.addoption("--coursetools-output-bytes", type=int, default=2_000_000)
    group.addoption("--coursetools-session-seconds", type=float, default=0.0,
                    help="wall clock for all the notebooks of the session together (0: none)")


_SESSION = {"deadline": None}   # the session's wall-clock deadline (time.monotonic), if any


def pytest_sessionstart(session):
    """The session's clock starts now: it counts every kernel of a submission's notebooks,
    their starts included (what one submission makes the grader spend)."""
    seconds = session.config.getoption("--coursetools-session-seconds")
    _SESSION["deadline"] = time.monotonic() + seconds if seconds > 0 else None


@dataclasses.dataclass
class Budget:
    """The budgets of one notebook, and how the last cell ended."""

    cell_seconds: float
    notebook_seconds: float
    output_bytes: int
    started: float = dataclasses.field(default_factory=time.monotonic)
    cell_deadline: float = 0.0
    cell_bytes: int = 0
    msg_id: str | None = None
    failure: Failure = Failure.NONE
    restarts: int = 0
    lost: set = dataclasses.field(default_factory=set)   # prelude cells that killed a kernel
    session_deadline: float | None = None
    clock_started: bool = False

    def start_clock(self) -> None:
        """The notebook's own clock starts when its first kernel is ready (a slow start on a
        busy machine is not the student's); the session's clock has run since it began."""
        if not self.clock_started:
            self.started, self.clock_started = time.monotonic(), True

    @property
    def notebook_deadline(self) -> float:
        own = self.started + self.notebook_seconds
        return own if self.session_deadline is None else min(own, self.session_deadline)

    def exhausted(self) -> bool:
        return time.monotonic() >= self.notebook_deadline


def _message_bytes(msg) -> int:
    """The size of everything in a kernel message (content, metadata, buffers), of any type:
    what the grader has to hold, not only what nbval keeps as the cell's output."""
    size = sum(len(json.dumps(msg.get(part, {}), default=str))
               for part in ("header", "parent_header", "metadata", "content"))
    return size + sum(len(buffer) for buffer in msg.get("buffers") or [])


def folder_bytes(folder) -> int:
    """What a kernel left in its folder on the grader's disk (its sockets weigh nothing; its
    working folder is a tmpfs inside the sandbox, empty from outside)."""
    total = 0
    try:
        for root, _, files in os.walk(folder):
            for name in files:
                try:
                    total += os.lstat(os.path.join(root, name)).st_size
                except OSError:
                    pass
    except OSError:
        pass
    return total


class Watch:
    """Wraps one nbval ``RunningKernel``: every wait is bounded by the budgets."""

    def __init__(self, kernel, budget: Budget):
        self.kernel, self.budget = kernel, budget
        self._execute, self._get = kernel.execute_cell_input, kernel.get_message
        self.pending = collections.deque()   # iopub messages read while waiting for the reply
        self.monitor = None
        kernel.execute_cell_input = self.execute_cell_input
        kernel.get_message = self.get_message
        kernel.await_reply = self.await_reply
        kernel._coursetools_watch = self
        budget.cell_deadline, budget.msg_id = 0.0, None   # no cell runs yet on this kernel
        # The client (provisioner.GradingClient) refuses messages over its size limit, and
        # disconnects the kernel that sends one: the monitor tells.
        self.monitor = kernel.kc.iopub_channel.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)

    def dropped_output(self) -> bool:
        """True if ZeroMQ dropped the kernel for sending a message over its size limit.

        A kernel that dies closes its sockets too: a disconnection counts only if the kernel
        is still alive a moment later.
        """
        try:
            if self.monitor is None or not self.monitor.poll(0):
                return False
            self.monitor.recv_multipart()
        except zmq.ZMQError:
            return False
        time.sleep(0.2)
        return self.kernel.is_alive()

    def kill(self, failure: Failure) -> None:
        self.budget.failure = failure
        try:
            self.kernel.km.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - it may be dead already; it must not run on
            pass

    def execute_cell_input(self, source, allow_stdin=None):
        budget = self.budget
        if budget.exhausted():
            self.kill(Failure.NOTEBOOK_TIME)
            raise BudgetExceeded("the notebook's time budget is used up")
        budget.failure = Failure.NONE
        budget.cell_bytes = 0
        budget.cell_deadline = min(time.monotonic() + budget.cell_seconds, budget.notebook_deadline)
        budget.msg_id = self._execute(source, allow_stdin=allow_stdin)
        return budget.msg_id

    def _count(self, msg) -> None:
        """Count every byte the kernel sent while the cell runs (whichever cell the message
        claims to answer); past the budget the kernel is killed."""
        self.budget.cell_bytes += _message_bytes(msg)
        if self.budget.cell_bytes > self.budget.output_bytes:
            self.pending.clear()
            self.kill(Failure.OUTPUT)
            raise Empty

    def _folder_full(self) -> bool:
        folder = getattr(getattr(self.kernel.km, "provisioner", None), "folder", None)
        return folder is not None and folder_bytes(folder) > MAX_FOLDER_BYTES

    def _drain_iopub(self) -> None:
        """While nbval waits for the reply, read (and count) the output that keeps coming, so
        that a cell printing forever is stopped at its output budget, not at its deadline."""
        while True:
            try:
                msg = self._get("iopub", timeout=0)
            except Empty:
                return
            self.pending.append(msg)
            self._count(msg)

    def get_message(self, stream, timeout=None):
        """nbval's ``get_message`` (raises ``Empty`` after ``timeout``), within the budgets."""
        if stream == "iopub" and self.pending:
            return self.pending.popleft()
        budget = self.budget
        wait_until = None if timeout is None else time.monotonic() + float(timeout)
        while True:
            now = time.monotonic()
            if self.dropped_output():
                self.kill(Failure.OUTPUT)
                raise Empty
            if self._folder_full():
                self.kill(Failure.DISK)
                raise Empty
            if budget.cell_deadline and now >= budget.cell_deadline:
                self.kill(Failure.NOTEBOOK_TIME if now >= budget.notebook_deadline
                          else Failure.TIMEOUT)
                raise Empty
            if wait_until is not None and now >= wait_until:
                raise Empty
            limit = min(x for x in (budget.cell_deadline or now + POLL_SECONDS, wait_until,
                                    now + POLL_SECONDS) if x is not None)
            if stream == "shell":
                self._drain_iopub()
            try:
                msg = self._get(stream, timeout=max(0.01, limit - now))
            except Empty:
                if not self.kernel.is_alive():
                    budget.failure = Failure.KERNEL_DIED
                    raise KernelDied("the kernel died while running this cell") from None
                continue
            if stream == "iopub":
                self._count(msg)
            return msg

    def await_reply(self, msg_id, timeout=None):
        while True:
            msg = self.get_message("shell", timeout=timeout)
            if msg["parent_header"].get("msg_id") == msg_id:
                if msg["content"]["status"] == "aborted":
                    raise RuntimeError("Kernel aborted execution request")
                return


def _is_cell(item) -> bool:
    from nbval.plugin import IPyNbCell

    return isinstance(item, IPyNbCell)


def _meta(cell) -> dict:
    return dict(cell.get("metadata", {}).get(CELL_META, {}))


def _role(cell) -> Role | None:
    value = _meta(cell).get("role")
    return Role(value) if value in {r.value for r in Role} else None


def _budget(item) -> Budget:
    notebook = item.parent
    budget = getattr(notebook, "_coursetools_budget", None)
    if budget is None:
        option = item.config.getoption
        budget = Budget(option("--coursetools-cell-seconds"),
                        option("--coursetools-notebook-seconds"),
                        option("--coursetools-output-bytes"),
                        session_deadline=_SESSION["deadline"])
        notebook._coursetools_budget = budget
    return budget


def _watch(item) -> None:
    kernel = getattr(item.parent, "kernel", None)
    if kernel is not None and not hasattr(kernel, "_coursetools_watch"):
        budget = _budget(item)
        budget.start_clock()
        Watch(kernel, budget)


def _restart(item, budget: Budget) -> None:
    """A fresh kernel for the item's notebook, with the cells before it replayed: the prelude
    (except cells that killed a kernel before: a definition that hangs costs only itself) and
    the latest isolation cell."""
    notebook = item.parent
    try:
        notebook.kernel.stop()
    except Exception:  # noqa: BLE001 - it is dead already; only the new one matters
        pass
    notebook.setup()
    notebook.timed_out = False
    Watch(notebook.kernel, budget)
    cells = notebook.nb.cells[:item.cell_num]
    replay = [c for i, c in enumerate(cells) if _role(c) in PRELUDE and i not in budget.lost]
    isolation = [c for c in cells if _role(c) is Role.ISOLATION]
    for cell in replay + isolation[-1:]:
        msg_id = notebook.kernel.execute_cell_input(cell.source, allow_stdin=False)
        notebook.kernel.await_reply(msg_id)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    """Before the cell: a new kernel if the last one died. After nbval's own set-up (which
    starts the notebook's first kernel): the kernel is watched."""
    if _is_cell(item):
        _before_cell(item)
    yield
    if _is_cell(item):
        _watch(item)


def _before_cell(item) -> None:
    budget = _budget(item)
    if budget.exhausted():
        budget.failure = Failure.NOTEBOOK_TIME
        pytest.skip("the notebook's time budget is used up")
    kernel = getattr(item.parent, "kernel", None)
    if kernel is None or kernel.is_alive() or budget.restarts >= MAX_RESTARTS:
        return
    budget.restarts += 1
    try:
        _restart(item, budget)
    except Exception:  # noqa: BLE001 - the cell then fails as not run, which is reported
        budget.failure = Failure.NOT_RUN


def _failure(item, excinfo) -> Failure:
    """How the cell ended, from what the grader observed (never from the kernel's words)."""
    budget = _budget(item)
    if budget.failure is not Failure.NONE:
        return budget.failure
    if excinfo is None:
        return Failure.NONE
    error = excinfo.value
    if isinstance(error, KernelDied):
        return Failure.KERNEL_DIED
    if type(error).__name__ == "NbCellError" and getattr(item, "test_outputs", None) is not None:
        return Failure.NONE   # the cell ran and raised: its error is in the outputs
    kernel = getattr(item.parent, "kernel", None)
    if kernel is None or not kernel.is_alive():
        return Failure.NOT_RUN
    return Failure.GRADER


def _collect_outputs(outputs) -> tuple[list[dict], list[tuple[str, str]]]:
    payloads, errors = [], []
    for output in outputs or []:
        kind = output.get("output_type")
        if kind in ("display_data", "execute_result"):
            data = output.get("data", {}).get(MIME)
            if isinstance(data, dict):
                payloads.append(data)
        elif kind == "error":
            errors.append((str(output.get("ename", ""))[:100], str(output.get("evalue", ""))[:300]))
    return payloads, errors


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if not _is_cell(item) or call.when not in ("setup", "call"):
        return
    if call.when == "setup" and call.excinfo is None:
        return
    report = outcome.get_result()
    excinfo = call.excinfo
    skipped = excinfo is not None and type(excinfo.value).__name__ == "Skipped"
    payloads, errors = _collect_outputs(getattr(item, "test_outputs", None))
    meta = _meta(item.cell)
    failure = _failure(item, None if skipped else excinfo)
    if skipped and failure is Failure.NONE:
        failure = Failure.NOT_RUN
    result = CellResult(notebook=item.path.stem, index=item.cell_num,
                        role=_role(item.cell) or Role.TEST, tests=list(meta.get("tests", [])),
                        source_cell=meta.get("cell"), payloads=payloads, errors=errors,
                        failure=failure)
    budget = _budget(item)
    if failure in (Failure.TIMEOUT, Failure.OUTPUT, Failure.DISK, Failure.KERNEL_DIED) and result.role in PRELUDE:
        budget.lost.add(item.cell_num)
    budget.failure = Failure.NONE if failure is not Failure.NOTEBOOK_TIME else failure
    report.user_properties.append((PROPERTY, result.to_json()))


class Collector:
    """The results of every cell of a session's notebooks, by notebook name."""

    def __init__(self, cells_per_notebook: dict[str, int]):
        self.results: dict[str, list[CellResult]] = {name: [] for name in cells_per_notebook}

    def pytest_runtest_logreport(self, report):
        for name, value in report.user_properties:
            if name == PROPERTY:
                result = CellResult.from_json(value)
                self.results.setdefault(result.notebook, []).append(result)
