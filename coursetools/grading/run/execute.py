"""Step: execute the grading notebooks with pytest + nbval, every kernel in the sandbox.

Each notebook is one pytest session (``pytest.main``, nbval collecting its cells, the plugin
``nbval_plugin`` keeping it in budget and collecting its results). With ``--jobs N`` a pool of N
worker processes, forked from the grader with everything already imported, takes the notebooks
one by one, so the cores stay busy until the last notebook and no process has to relay every
cell's report to another (measured: 2 workers grade 1.8-1.9 times as fast as 1; pytest-xdist
reached 1.5). With ``--jobs 1`` too the notebooks run in a worker, never in the grader's own
process. The results come back to the grader as ``CellResult`` records; the scoring
happens in the grader's process, outside every student's kernel. pytest's terminal output goes
to a log file in the work folder. The kernels are started by nbval through the grading
kernelspec, whose provisioner puts each one in the sandbox with a folder of its own.
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import multiprocessing
import os
import sys
import time
import typing
from pathlib import Path

import pytest

from coursetools.grading.run import nbval_plugin, provisioner, sandbox
from coursetools.grading.records import CellResult

# nbval's own cell timeout is only a backstop: the plugin enforces the real budgets.
BACKSTOP_MARGIN = 60.0


@dataclasses.dataclass(frozen=True)
class Budgets:
    cell_seconds: float = 20.0
    notebook_seconds: float = 300.0
    output_bytes: int = 2_000_000
    limits: sandbox.Limits = sandbox.Limits()


@contextlib.contextmanager
def _environment(extra: dict[str, str]):
    saved = {key: os.environ.get(key) for key in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def pytest_args(paths: list[str], ini: Path, kernel: str | None, budgets: Budgets,
                session_seconds: float = 0.0) -> list[str]:
    args = [*paths, "-c", str(ini), "--rootdir", str(ini.parent), "-p", "no:xdist",
            "-p", "coursetools.grading.run.nbval_plugin", "-p", "no:cacheprovider", "-p", "no:warnings",
            "--nbval-lax", f"--nbval-cell-timeout={budgets.cell_seconds + BACKSTOP_MARGIN:g}",
            "--nbval-kernel-startup-timeout=120", "--color=no", "-q", "-rN", "--tb=no",
            f"--coursetools-cell-seconds={budgets.cell_seconds:g}",
            f"--coursetools-notebook-seconds={budgets.notebook_seconds:g}",
            f"--coursetools-output-bytes={budgets.output_bytes}",
            f"--coursetools-session-seconds={max(0.0, session_seconds):g}"]
    args += [f"--nbval-kernel-name={kernel}"] if kernel else ["--nbval-current-env"]
    return args


@dataclasses.dataclass(frozen=True)
class Session:
    """Notebooks of one submission run one after the other in one pytest session (each in
    kernels of its own), within ``seconds`` of wall clock for all of them (0: each notebook
    only within its own budget). File stems are the notebooks' names."""

    notebooks: dict[str, Path]
    cells: dict[str, int]
    seconds: float = 0.0


@dataclasses.dataclass(frozen=True)
class SessionResult:
    results: dict[str, list[CellResult]]
    seconds: float     # wall clock the session took, kernel starts included


class Runner(typing.Protocol):
    """What the grading flow needs of an execution: each session's results. ``jobs``: at most
    that many sessions at once (None: the runner's own number); ``title`` and ``what`` name
    them on a progress line. ``KernelRunner`` runs them in kernels;
    ``run.inprocess.InProcessRunner`` in the grader's own process (never students' code)."""

    def run(self, work: Path, sessions: dict[str, Session], *, jobs: int | None = None,
            title: str = "grading", what: str = "") -> dict[str, SessionResult]: ...


@dataclasses.dataclass(frozen=True)
class KernelRunner:
    """The grader's runner: ``run_sessions`` with the run's budgets and ``--jobs``, every
    kernel in the sandbox unless ``sandboxed`` is False (``--unsafe-no-sandbox``)."""

    budgets: Budgets = Budgets()
    jobs: int | None = None
    sandboxed: bool = True
    progress: bool = True

    def run(self, work: Path, sessions: dict[str, Session], *, jobs: int | None = None,
            title: str = "grading", what: str = "") -> dict[str, SessionResult]:
        jobs = jobs or max(1, int(self.jobs or os.cpu_count() or 1))
        return run_sessions(work, sessions, jobs=jobs, budgets=self.budgets,
                            sandboxed=self.sandboxed, progress=self.progress, title=title,
                            what=what)


@dataclasses.dataclass(frozen=True)
class _Job:
    ini: Path
    kernel: str | None
    budgets: Budgets
    log: Path


def _run_one(job: _Job, session: Session) -> tuple[dict[str, list[str]], float]:
    """One session (in a worker); its results as JSON lines (they cross a process) and the
    wall clock it took."""
    started = time.monotonic()
    collector = nbval_plugin.Collector(dict(session.cells))
    paths = [str(session.notebooks[name]) for name in session.notebooks]
    with open(job.log.with_name(f"{job.log.stem}-{os.getpid()}.log"), "a",
              encoding="utf-8") as log, contextlib.redirect_stdout(log):
        pytest.main(pytest_args(paths, job.ini, job.kernel, job.budgets, session.seconds),
                    plugins=[collector])
    lines = {name: [r.to_json() for r in collector.results.get(name, [])]
             for name in session.notebooks}
    return lines, time.monotonic() - started


class _Progress:
    """``title [####....] done/total notebooks (what they are), seconds`` on stderr."""

    def __init__(self, total: int, show: bool, title: str = "grading", what: str = ""):
        self.total, self.done, self.show = total, 0, show
        self.title, self.what = title, f" ({what})" if what else ""
        self.started = time.monotonic()

    def step(self, final: bool = False) -> None:
        if not self.show:
            return
        width = 30
        filled = int(width * self.done / self.total) if self.total else width
        sys.stderr.write(f"\r{self.title} [{'#' * filled}{'.' * (width - filled)}] {self.done}/"
                         f"{self.total} notebooks{self.what}, "
                         f"{time.monotonic() - self.started:.0f} s"
                         + ("\n" if final else ""))
        sys.stderr.flush()


def run(workdir: Path, notebooks: dict[str, Path], cells_per_notebook: dict[str, int], *,
        jobs: int, budgets: Budgets, sandboxed: bool = True,
        progress: bool = True, title: str = "grading",
        what: str = "") -> dict[str, list[CellResult]]:
    """Execute each notebook (name -> path) in a session of its own; the results per name.

    The progress line counts notebooks; ``title`` and ``what`` say which (a class's main run is
    its submissions and the reference, a second round its method variants)."""
    sessions = {name: Session({name: path}, {name: cells_per_notebook[name]})
                for name, path in notebooks.items()}
    done = run_sessions(workdir, sessions, jobs=jobs, budgets=budgets, sandboxed=sandboxed,
                        progress=progress, title=title, what=what)
    return {name: done[name].results.get(name, []) for name in notebooks}


def run_sessions(workdir: Path, sessions: dict[str, Session], *, jobs: int, budgets: Budgets,
                 sandboxed: bool = True, progress: bool = True, title: str = "grading",
                 what: str = "") -> dict[str, SessionResult]:
    """Execute each session; what each one gave (a lost worker's session: no results)."""
    workdir = Path(workdir)
    ini = workdir / "pytest.ini"
    ini.write_text("[pytest]\naddopts =\n", encoding="utf-8")
    env = {"JUPYTER_PLATFORM_DIRS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    kernel = None
    if sandboxed:
        jupyter = workdir / "jupyter"
        # A kernel's CPU seconds never exceed its notebook's wall clock (times its cores).
        limits = dataclasses.replace(budgets.limits, cpu_seconds=min(
            budgets.limits.cpu_seconds, int(budgets.notebook_seconds) + 1))
        kernel = provisioner.write_kernelspec(jupyter, workdir / "k", limits,
                                              sandbox.font_cache())
        env["JUPYTER_PATH"] = str(jupyter)
    else:   # only with --unsafe-no-sandbox: the kernels run as the grader does
        # matplotlib's folder relative to each kernel's own folder, the only one its guard lets
        # it write to (an absolute one in workdir made `import matplotlib.pyplot` fail).
        env.update(sandbox.environment(str(workdir)), PATH=os.environ.get("PATH", ""),
                   MPLCONFIGDIR=".matplotlib")
    job = _Job(ini, kernel, budgets, workdir / "pytest.log")
    # The longest sessions first, so that no core waits for one at the end.
    names = sorted(sessions, key=lambda n: (-sum(sessions[n].cells.values()), n))
    shown = _Progress(len(names), progress, title, what)
    # Always in worker processes, also with one job: whatever a kernel makes nbval hold stays
    # in a worker, which can be lost without taking the grader (and the class) with it.
    with _environment(env):
        found = _in_workers(job, {n: sessions[n] for n in names}, jobs, shown)
        if len(names) > 1:   # a lost worker took its pool's other sessions: each alone now
            for name in [n for n in names if found[n] is None]:
                found.update(_in_workers(job, {name: sessions[name]}, 1, None))
    shown.step(final=True)
    return {name: found[name] or SessionResult({}, 0.0) for name in names}


def _in_workers(job: _Job, sessions: dict[str, Session], jobs: int,
                shown: _Progress | None) -> dict[str, SessionResult | None]:
    """Each session in a pool of forked workers; None for those whose worker was lost."""
    found: dict[str, SessionResult | None] = {}
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(max(1, min(jobs, len(sessions))),
                                                mp_context=context) as pool:
        futures = {pool.submit(_run_one, job, session): name
                   for name, session in sessions.items()}
        for future in concurrent.futures.as_completed(futures):
            try:
                lines, seconds = future.result()
                found[futures[future]] = SessionResult(
                    {n: _decoded(v) for n, v in lines.items()}, seconds)
            except Exception:  # noqa: BLE001 - a lost worker (one session's, or its pool's)
                found[futures[future]] = None
            if shown is not None:
                shown.done += 1
                shown.step()
    return found


def _decoded(lines: list[str]) -> list[CellResult]:
    return [CellResult.from_json(line) for line in lines]
