"""Run nbval over the grading notebooks with pytest (and pytest-xdist across the cores).

pytest runs in the grader's own process (``pytest.main``), so the results arrive in the
``Collector`` object and the comparison happens in this process, outside every student's
kernel. Its terminal output goes to a log file in the work folder, not to the instructor's
screen; the progress line comes from the plugin.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from coursetools.grading import plugin

# Set for the kernels (inherited through the pytest workers): one BLAS thread per kernel,
# since the parallelism is across notebooks; no display; no bytecode written.
KERNEL_ENV = {
    "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    "MALLOC_ARENA_MAX": "2", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1", "JUPYTER_PLATFORM_DIRS": "1",
}


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


def run(workdir: Path, cells_per_notebook: dict[str, int], *, jobs: int, cell_timeout: float,
        progress: bool = True) -> tuple[int, dict[str, list[dict]]]:
    """Execute ``<workdir>/<name>/grade.ipynb`` for each name; returns (exit code, results)."""
    workdir = Path(workdir)
    ini = workdir / "pytest.ini"
    ini.write_text("[pytest]\naddopts =\n", encoding="utf-8")
    paths = [str(workdir / name / "grade.ipynb") for name in sorted(cells_per_notebook)]
    args = [*paths, "-c", str(ini), "--rootdir", str(workdir),
            "-p", "coursetools.grading.plugin", "-p", "no:cacheprovider", "-p", "no:warnings",
            "--nbval-lax", "--nbval-current-env", f"--nbval-cell-timeout={cell_timeout:g}",
            "--nbval-kernel-startup-timeout=120", "--color=no", "-q", "-rN", "--tb=short"]
    if jobs > 1 and len(paths) > 1:
        args += ["-n", str(jobs), "--dist", "loadscope"]
    else:
        args += ["-p", "no:xdist"]
    jobs = min(jobs, len(paths))
    collector = plugin.Collector(cells_per_notebook, progress=progress)
    package_root = str(Path(__file__).resolve().parents[2])
    python_path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
    log = workdir / "pytest.log"
    with _environment({**KERNEL_ENV, "PYTHONPATH": python_path}), \
            open(log, "a", encoding="utf-8") as handle, contextlib.redirect_stdout(handle):
        code = pytest.main(args, plugins=[collector])
    collector.finish()
    return int(code), collector.results
