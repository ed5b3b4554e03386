"""Step: execute the grading notebooks with pytest + nbval, every kernel in the sandbox.

pytest runs in the grader's own process (``pytest.main``), so the results arrive in the
``Collector`` object and the scoring happens in this process, outside every student's kernel.
pytest's terminal output goes to a log file in the work folder; the progress line comes from
the plugin. The kernels are started by nbval through the grading kernelspec, whose provisioner
puts each one in the sandbox with a folder of its own.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
from pathlib import Path

import pytest

from coursetools.grading import nbval_plugin, provisioner, sandbox
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


def pytest_args(paths: list[str], ini: Path, kernel: str | None, jobs: int,
                budgets: Budgets) -> list[str]:
    args = [*paths, "-c", str(ini), "--rootdir", str(ini.parent),
            "-p", "coursetools.grading.nbval_plugin", "-p", "no:cacheprovider", "-p", "no:warnings",
            "--nbval-lax", f"--nbval-cell-timeout={budgets.cell_seconds + BACKSTOP_MARGIN:g}",
            "--nbval-kernel-startup-timeout=120", "--color=no", "-q", "-rN", "--tb=no",
            f"--coursetools-cell-seconds={budgets.cell_seconds:g}",
            f"--coursetools-notebook-seconds={budgets.notebook_seconds:g}",
            f"--coursetools-output-bytes={budgets.output_bytes}"]
    args += [f"--nbval-kernel-name={kernel}"] if kernel else ["--nbval-current-env"]
    if jobs > 1 and len(paths) > 1:
        args += ["-n", str(min(jobs, len(paths))), "--dist", "loadscope"]
    else:
        args += ["-p", "no:xdist"]
    return args


def run(workdir: Path, notebooks: dict[str, Path], cells_per_notebook: dict[str, int], *,
        jobs: int, budgets: Budgets, sandboxed: bool = True,
        progress: bool = True) -> dict[str, list[CellResult]]:
    """Execute each notebook (name -> path); returns the results per notebook name."""
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
    paths = [str(notebooks[name]) for name in sorted(notebooks)]
    collector = nbval_plugin.Collector(cells_per_notebook, progress=progress)
    with _environment(env), open(workdir / "pytest.log", "a", encoding="utf-8") as log, \
            contextlib.redirect_stdout(log):
        pytest.main(pytest_args(paths, ini, kernel, jobs, budgets), plugins=[collector])
    collector.show(final=True)
    return collector.results
