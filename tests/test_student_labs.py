"""coursetools.student_labs: student labs from instructor notebooks (golden files in tests/files)."""
import shutil

import nbformat
import pytest

from coursetools import cells, markers, student_labs as generate
from coursetools.cli import main
from tests.conftest import ROOT

FILES = ROOT / "tests" / "files"


def read(path):
    return nbformat.read(path, as_version=4)


def _helper(nb):
    (cell,) = [c for c in nb.cells if cells.is_helper_cell(c.source)]
    return cell


def test_golden_student_notebook():
    """tests/files/instructor.ipynb becomes exactly tests/files/instructor-student.ipynb.

    The golden file shows the helper cell as a placeholder (its text is checks.py, tested on
    its own); the test checks that the real cell is the student-mode helper cell.
    """
    student = generate.student_notebook(read(FILES / "instructor.ipynb"))
    helper = _helper(student)
    assert helper.source == cells.helper_source("tiny", ["double", "Scaler"],
                                                {"Scaler": ["halve"]}, strict=False)
    assert helper.metadata == cells.HELPER_METADATA
    helper.source = "<the test-helper cell, student mode>"
    produced = generate.serialise(student)
    assert produced == (FILES / "instructor-student.ipynb").read_text(encoding="utf-8")


def test_only_solution_regions_and_hidden_cells_change():
    instructor = read(FILES / "instructor.ipynb")
    student = generate.student_notebook(instructor)
    infos = {i.index: i for i in markers.parse_notebook(instructor)}
    kept = [(i, c) for i, c in enumerate(instructor.cells) if infos[i].kind != "hidden"]
    assert [c.id for _, c in kept] == [c.id for c in student.cells]
    instructor.metadata["coursetools"].pop("seed"), "the grading seed stays with the instructor"
    assert student.metadata == instructor.metadata
    for (index, before), after in zip(kept, student.cells):
        if infos[index].kind == "helpers":
            continue
        assert (before.cell_type, before.metadata) == (after.cell_type, after.metadata)
        if infos[index].kind != "solution":
            assert before.source == after.source
            continue
        solution_lines = {n for r in infos[index].regions for n in range(r.begin, r.end + 1)}
        outside = [line for n, line in enumerate(before.source.split("\n")) if n not in solution_lines]
        assert [line for line in after.source.split("\n")
                if markers.TODO_LINE not in line and "NotImplementedError" not in line] == outside


def test_the_instructor_notebook_is_not_modified():
    instructor = read(FILES / "instructor.ipynb")
    before = generate.serialise(instructor)
    generate.student_notebook(instructor)
    assert generate.serialise(instructor) == before


def test_marker_errors_stop_the_generator():
    nb = read(FILES / "instructor.ipynb")
    nb.cells[3].source = nb.cells[3].source.replace("### END SOLUTION", "")
    with pytest.raises(markers.MarkerError, match="never closed"):
        generate.student_notebook(nb, "solutions/broken.ipynb")


@pytest.fixture
def repo(tmp_path):
    """A minimal repository: one instructor notebook, no generated lab yet."""
    (tmp_path / "solutions").mkdir()
    (tmp_path / "labs").mkdir()
    shutil.copy(FILES / "instructor.ipynb", tmp_path / "solutions" / "tiny.ipynb")
    return tmp_path


def test_generate_writes_labs_and_refreshes_the_helper_cell(repo):
    assert main(["labs", "--check", "--root", str(repo)]) == 1, "out of date before generating"
    assert main(["labs", "--root", str(repo)]) == 0
    solution = read(repo / "solutions" / "tiny.ipynb")
    student = read(repo / "labs" / "tiny.ipynb")
    for nb, strict in ((solution, True), (student, False)):
        assert _helper(nb).source == cells.helper_source(
            "tiny", ["double", "Scaler"], {"Scaler": ["halve"]}, strict=strict)
        assert cells.helper_version(_helper(nb).source) == cells.module_version("checks")
    assert main(["labs", "--check", "--root", str(repo)]) == 0, "up to date after generating"
    assert generate.generate(repo) == [], "a second run changes nothing"


def test_check_mode_reports_edited_labs_and_stale_helper_cells(repo, capsys):
    main(["labs", "--root", str(repo)])
    lab = repo / "labs" / "tiny.ipynb"
    lab.write_text(lab.read_text().replace("Done.", "Done!"))
    assert main(["labs", "--check", "--root", str(repo)]) == 1
    assert "labs/tiny.ipynb is out of date" in capsys.readouterr().out
    main(["labs", "--root", str(repo)])
    source = repo / "solutions" / "tiny.ipynb"
    source.write_text(source.read_text().replace("import copy as _copy", "import copy as _copy_edited"))
    assert main(["labs", "--check", "--root", str(repo)]) == 1
    assert "solutions/tiny.ipynb is out of date" in capsys.readouterr().out


def test_a_lab_without_instructor_notebook_is_reported(repo, capsys):
    main(["labs", "--root", str(repo)])
    shutil.copy(repo / "labs" / "tiny.ipynb", repo / "labs" / "orphan.ipynb")
    assert main(["labs", "--check", "--root", str(repo)]) == 1
    assert "labs/orphan.ipynb has no instructor notebook" in capsys.readouterr().out


def test_command_line_marker_error_names_file_and_cell(repo, capsys):
    source = repo / "solutions" / "tiny.ipynb"
    source.write_text(source.read_text().replace("### END HIDDEN TESTS", "### END HIDDEN TEST"))
    assert main(["labs", "--root", str(repo)]) == 2
    assert "solutions/tiny.ipynb, cell 5" in capsys.readouterr().err
    assert not (repo / "labs" / "tiny.ipynb").exists()


def test_generate_refreshes_figure_cells_in_chapters_and_labs_and_check_reports_drift(repo):
    """A figure cell that differs from its module (an edit, an older version) is reported by
    --check and replaced by the generator, in chapters/ as in solutions/ and labs/."""
    stale = cells.figure_source("value_graph").replace("def plot_graph(", "def plot_graph_edited(")
    (repo / "chapters").mkdir()
    chapter = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A chapter"),
                                              nbformat.v4.new_code_cell(stale)])
    nbformat.write(chapter, repo / "chapters" / "ch.ipynb")
    solution = read(repo / "solutions" / "tiny.ipynb")
    solution.cells.append(nbformat.v4.new_code_cell(stale))
    nbformat.write(solution, repo / "solutions" / "tiny.ipynb")
    assert main(["labs", "--check", "--root", str(repo)]) == 1
    assert main(["labs", "--root", str(repo)]) == 0
    assert main(["labs", "--check", "--root", str(repo)]) == 0
    for path in ("chapters/ch.ipynb", "solutions/tiny.ipynb", "labs/tiny.ipynb"):
        (cell,) = [c for c in read(repo / path).cells if cells.figure_name(c.source)]
        assert cell.source == cells.figure_source("value_graph"), path
    chapter_path = repo / "chapters" / "ch.ipynb"
    chapter_path.write_text(chapter_path.read_text().replace("def plot_graph(", "def plot_graph_edited("))
    assert generate.generate(repo, check=True) == [chapter_path]


def test_a_written_answer_keeps_its_marker_and_loses_model_and_rubric():
    instructor = read(FILES / "instructor.ipynb")
    instructor.cells[-1:-1] = [
        nbformat.v4.new_markdown_cell("### Why double?\n\nExplain."),
        nbformat.v4.new_markdown_cell("<!-- answer: why_double points=2 -->\nBecause twice is "
                                      "the model answer.\n<!-- rubric\n- 2: the secret criterion\n-->")]
    student = generate.student_notebook(instructor)
    texts = [c.source for c in student.cells if c.cell_type == "markdown"]
    assert "### Why double?\n\nExplain." in texts
    assert ("<!-- answer: why_double points=2 -->\n" + markers.ANSWER_PLACEHOLDER) in texts
    assert not any("model answer" in t or "secret criterion" in t for t in texts)
    # the student copy is still a valid notebook of the vocabulary, with the same answer ids
    (info,) = [i for i in markers.parse_notebook(student) if i.kind == "answer"]
    assert info.answer.id == "why_double" and info.answer.model == markers.ANSWER_PLACEHOLDER
