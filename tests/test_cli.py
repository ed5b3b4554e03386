"""coursetools.cli: one subcommand per flow; wrong use gives a message and a non-zero status."""
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursetools.cli import build_parser, main


def test_every_flow_has_its_subcommand():
    commands = build_parser()._subparsers._group_actions[0].choices
    assert {"labs", "clean-notebooks", "grade", "merge", "render"} <= set(commands)


def test_the_installed_command_and_python_m_agree():
    installed = str(Path(sys.executable).parent / "coursetools")   # from `pip install -e .`
    for command in ([installed, "--help"], [sys.executable, "-m", "coursetools", "--help"]):
        run = subprocess.run(command, capture_output=True, text=True)
        assert run.returncode == 0 and "grade" in run.stdout, run.stderr


def test_clean_notebooks_strips_outputs(tmp_path, capsys):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"},
                                                  execution_count=1)]
    nb.cells[0].execution_count = 1
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    assert main(["clean-notebooks", str(path), str(tmp_path / "missing.ipynb")]) == 0
    cleaned = nbformat.read(path, as_version=4)
    assert cleaned.cells[0].outputs == [] and cleaned.cells[0].execution_count is None
    captured = capsys.readouterr()
    assert "cleaned" in captured.out and "no such file" in captured.err


def test_merge_of_folders_without_results_says_so(tmp_path, capsys):
    assert main(["merge", str(tmp_path / "a"), "--out", str(tmp_path / "out")]) == 2
    assert "merge:" in capsys.readouterr().err


def test_a_shard_must_read_i_of_n():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["grade", "--lab", "x", "--submissions", "s", "--out", "o",
                                   "--shard", "4/3"])


@pytest.mark.parametrize("extra, jobs", [([], None), (["JOBS=3"], "3")])
def test_make_grade_leaves_jobs_to_the_grader_unless_given(extra, jobs):
    """The Makefile's JOBS ?= 2 is for the tests; `make grade` passes --jobs only when asked, so
    the grader's default (the number of cores) holds, as the guide says."""
    from tests.conftest import ROOT

    run = subprocess.run(["make", "-n", "-C", str(ROOT), "grade", "LAB=lab1_scalar",
                          "SUBMISSIONS=in", "OUT=out", "ASSIGNMENT=Lab 1 (4521)", *extra],
                         capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    command = " ".join(line for line in run.stdout.splitlines() if "coursetools" in line
                       or line.startswith(" ")).replace("\\", " ")
    assert "grade --lab" in run.stdout + command
    assert ("--jobs" not in command) if jobs is None else (f"--jobs {jobs}" in command)
    assert '--assignment "Lab 1 (4521)"' in command
