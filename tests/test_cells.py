"""coursetools.cells: the one place that turns kernel-side modules into notebook cells."""
import subprocess
import sys

import pytest

from coursetools import cells
from coursetools.kernel import checks


def test_the_helper_cell_carries_its_version_and_is_recognised():
    source = cells.helper_source("lab", ["f"], strict=False)
    assert source.splitlines()[0] == cells.HELPER_TITLE
    assert cells.helper_version(source) == checks.VERSION == cells.module_version("checks")
    assert cells.is_helper_cell("\n" + source) and not cells.is_helper_cell("import numpy")
    cells.require_current(source, "here")
    old = source.replace(f"test helpers v{checks.VERSION}:", "test helpers v1:")
    with pytest.raises(cells.OutdatedCell, match="version 1"):
        cells.require_current(old, "lab.ipynb")
    with pytest.raises(cells.OutdatedCell, match="version None"):
        cells.require_current("print(1)", "lab.ipynb")


def test_strict_and_student_modes_differ_only_in_the_mode():
    strict, student = (cells.helper_source("lab", ["f"], strict=s).splitlines() for s in (True, False))
    assert [a for a, b in zip(strict, student) if a != b] == [strict[-2]]


def test_grading_cells_compile_and_run_in_a_fresh_python(tmp_path):
    program = "\n".join([cells.guard_source(str(tmp_path)),
                         cells.helper_source("lab", ["f", "g"]),
                         cells.recording_source("seed"),
                         cells.isolation_source(["f"], "def f(x):\n    return 2 * x\n"),
                         "print(f(21), 'g' in globals())"])
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert run.stdout.split() == ["42", "False"], run.stderr


def test_a_kernel_module_that_cannot_be_embedded_is_refused(tmp_path, monkeypatch):
    (tmp_path / "bad.py").write_text("x = '''text'''\nVERSION = 1\n")
    monkeypatch.setattr(cells, "KERNEL", tmp_path)
    with pytest.raises(ValueError, match="cannot be embedded"):
        cells.module_source("bad")
