"""Step: execute the grading notebooks with pytest + nbval, every kernel in the sandbox.

Each notebook is one pytest session (``pytest.main``, nbval collecting its cells, the plugin
``nbval_plugin`` keeping it in budget and collecting its results). With ``--jobs N`` a pool of N
worker processes, forked from the grader with everything already imported, takes the notebooks
one by one, so the cores stay busy until the last notebook and no process has to relay every
cell's report to another (measured: 2 workers grade 1.8-1.9 times as fast as 1; pytest-xdist
reached 1.5). The results come back to the grader as ``CellResult`` records; the scoring
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


def pytest_args(path: str, ini: Path, kernel: str | None, budgets: Budgets) -> list[str]:
    args = [path, "-c", str(ini), "--rootdir", str(ini.parent), "-p", "no:xdist",
            "-p", "coursetools.grading.run.nbval_plugin", "-p", "no:cacheprovider", "-p", "no:warnings",
            "--nbval-lax", f"--nbval-cell-timeout={budgets.cell_seconds + BACKSTOP_MARGIN:g}",
            "--nbval-kernel-startup-timeout=120", "--color=no", "-q", "-rN", "--tb=no",
            f"--coursetools-cell-seconds={budgets.cell_seconds:g}",
            f"--coursetools-notebook-seconds={budgets.notebook_seconds:g}",
            f"--coursetools-output-bytes={budgets.output_bytes}"]
    args += [f"--nbval-kernel-name={kernel}"] if kernel else ["--nbval-current-env"]
    return args


@dataclasses.dataclass(frozen=True)
class _Job:
    ini: Path
    kernel: str | None
    budgets: Budgets
    log: Path


def _run_one(job: _Job, name: str, path: Path, cells: int) -> list[str]:
    """One notebook's pytest session; its results as JSON lines (they cross a process)."""
    collector = nbval_plugin.Collector({name: cells})
    with open(job.log.with_name(f"{job.log.stem}-{os.getpid()}.log"), "a",
              encoding="utf-8") as log, contextlib.redirect_stdout(log):
        pytest.main(pytest_args(str(path), job.ini, job.kernel, job.budgets), plugins=[collector])
    return [result.to_json() for result in collector.results.get(name, [])]


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
    """Execute each notebook (name -> path); returns the results per notebook name.

    The progress line counts notebooks; ``title`` and ``what`` say which (a class's main run is
    its submissions and the reference, a second round its method variants)."""
    workdir = Path(workdir)
    ini = workdir / "pytest.ini"
    ini.write_text("[pytest]\naddopts =\n", encoding="utf-8")
    env = {"JUPYTER_PLATFORM_DIRS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    kernel = None
    if sandboxed:
        jupyter = workdir / "jupyter"
        kernel = provisioner.write_kernelspec(jupyter, workdir / "k", budgets.limits,
                                              sandbox.font_cache())
        env["JUPYTER_PATH"] = str(jupyter)
    else:   # only with --unsafe-no-sandbox: the kernels run as the grader does
        env.update(sandbox.environment(str(workdir)), PATH=os.environ.get("PATH", ""))
    job = _Job(ini, kernel, budgets, workdir / "pytest.log")
    # The longest notebooks first, so that no core waits for one at the end.
    names = sorted(notebooks, key=lambda n: (-cells_per_notebook[n], n))
    results: dict[str, list[CellResult]] = {}
    shown = _Progress(len(names), progress, title, what)
    with _environment(env):
        if jobs <= 1 or len(names) <= 1:
            for name in names:
                results[name] = _decoded(_run_one(job, name, notebooks[name],
                                                  cells_per_notebook[name]))
                shown.done += 1
                shown.step()
        else:
            context = multiprocessing.get_context("fork")
            with concurrent.futures.ProcessPoolExecutor(min(jobs, len(names)),
                                                        mp_context=context) as pool:
                futures = {pool.submit(_run_one, job, name, notebooks[name],
                                       cells_per_notebook[name]): name for name in names}
                for future in concurrent.futures.as_completed(futures):
                    try:
                        results[futures[future]] = _decoded(future.result())
                    except Exception:  # noqa: BLE001 - a lost worker: the grader runs it again
                        results[futures[future]] = []
                    shown.done += 1
                    shown.step()
    shown.step(final=True)
    return results


def _decoded(lines: list[str]) -> list[CellResult]:
    return [CellResult.from_json(line) for line in lines]
