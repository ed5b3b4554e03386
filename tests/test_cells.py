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


def test_a_figure_cell_is_its_module_verbatim_and_is_refreshed_when_it_drifts():
    import nbformat

    from coursetools.figures import value_graph

    source = cells.figure_source("value_graph")
    assert cells.figure_name(source) == "value_graph" and cells.figure_name("import numpy") is None
    module = (cells.FIGURES / "value_graph.py").read_text(encoding="utf-8")
    assert source.endswith(module.rstrip("\n")) and f"v{value_graph.VERSION}:" in source.splitlines()[1]
    namespace = {}
    exec(compile(source, "cell", "exec"), namespace)
    assert callable(namespace["plot_graph"])
    stale = source.replace("def plot_graph(", "def plot_graph_old(")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(stale),
                                         nbformat.v4.new_code_cell("x = 1")])
    assert cells.refresh_figure_cells(nb) is True
    assert nb.cells[0].source == source and nb.cells[1].source == "x = 1"
    assert nb.cells[0].metadata["cellView"] == "form" and "hide-input" in nb.cells[0].metadata["tags"]
    assert cells.refresh_figure_cells(nb) is False


def test_figure_modules_import_only_the_standard_library_numpy_and_matplotlib():
    import ast

    for path in sorted(cells.FIGURES.glob("*.py")):
        if path.name == "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert name.split(".")[0] in sys.stdlib_module_names | {"numpy", "matplotlib"}, \
                    (path.name, name)
