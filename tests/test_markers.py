"""coursetools.markers: the one marker vocabulary, parsed and validated."""
import re

import nbformat
import pytest
from nbformat import v4

from coursetools import cells, markers
from coursetools.markers import MarkerError
from tests.conftest import ROOT


HELPERS = cells.HELPER_TITLE + "\n" + cells.HELPER_MARK.format(version=2) + "\n# helpers"


def notebook(*sources, helpers=True):
    found = [v4.new_code_cell(HELPERS)] if helpers else []
    found += [v4.new_code_cell(s) if not s.startswith("MD:") else v4.new_markdown_cell(s[3:])
              for s in sources]
    return v4.new_notebook(cells=found)


SOLUTION = "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
HIDDEN = '### BEGIN HIDDEN TESTS\nwith graded("h", points=1):\n    check(f, dict(x=1.0), 2.0, "y")\n### END HIDDEN TESTS'
TEST = 'with graded("t", points=2):\n    check(f, dict(x=1.0), expect=2.0, outputs="y")'


def test_regions_know_their_lines_indentation_and_function():
    (region,) = markers.solution_regions(SOLUTION)
    assert (region.begin, region.end, region.indent, region.function) == (1, 3, "    ", "f")
    source = "def outer():\n    def inner(y):\n        ### BEGIN SOLUTION\n        pass\n        ### END SOLUTION\n"
    assert markers.solution_regions(source)[0].function == "inner"
    assert markers.solution_regions("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")[0].function is None


def test_a_region_in_a_method_is_named_class_dot_method():
    source = ("class Linear:\n    def __init__(self, n_in):\n        ### BEGIN SOLUTION\n"
              "        self.n = n_in\n        ### END SOLUTION\n\n    def forward(self, x):\n"
              "        ### BEGIN SOLUTION\n        return x\n        ### END SOLUTION\n\n\n"
              "def train(net):\n    def inner():\n        ### BEGIN SOLUTION\n        pass\n"
              "        ### END SOLUTION\n")
    regions = markers.solution_regions(source)
    assert [r.function for r in regions] == ["__init__", "forward", "inner"]
    assert [r.qualname for r in regions] == ["Linear.__init__", "Linear.forward", "inner"]
    assert markers.solution_regions(SOLUTION)[0].qualname == "f"


@pytest.mark.parametrize("source, kind, tests", [
    (SOLUTION, "solution", []),
    (HIDDEN, "hidden", ["h"]),
    (TEST, "test", ["t"]),
    ("import numpy as np", "code", []),
    (HELPERS + "\nimport numpy as np", "helpers", []),
])
def test_cell_kinds(source, kind, tests):
    info = markers.cell_info(v4.new_code_cell(source))
    assert (info.kind, info.tests) == (kind, tests)
    assert markers.cell_kind(v4.new_markdown_cell("### BEGIN SOLUTION")) == "markdown"


@pytest.mark.parametrize("source, message, line", [
    ("x = 1\n### BEGIN SOLUTON\n", "unknown marker", 2),
    ("### TODO later\n", "unknown marker", 1),
    ("### BEGIN SOLUTION\nx = 1\n", "never closed", 1),
    ("x = 1\n### END SOLUTION\n", "without", 2),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "nested", 2),
    ("def f():\n    ### BEGIN SOLUTION\n    pass\n### END SOLUTION", "indented", 4),
    ("x = 1\n### BEGIN HIDDEN TESTS\n", "first/last line", 2),
    ("### BEGIN HIDDEN TESTS\nwith graded('h'):\n    pass\n", "must end", 3),
    ("### BEGIN HIDDEN TESTS\n### BEGIN SOLUTION\n### END SOLUTION\n### END HIDDEN TESTS", "inside a hidden", 2),
])
def test_bad_markers_are_errors_with_file_cell_and_line(source, message, line):
    nb = notebook("MD:intro", source)
    with pytest.raises(MarkerError) as error:
        markers.parse_notebook(nb, path="solutions/x.ipynb")
    assert message in str(error.value)
    assert (error.value.path, error.value.cell, error.value.line) == ("solutions/x.ipynb", 2, line)
    assert str(error.value).startswith(f"solutions/x.ipynb, cell 2, line {line}: ")


@pytest.mark.parametrize("sources, message", [
    ((SOLUTION + "\n" + TEST,), "either solution code or graded tests"),
    (("### BEGIN HIDDEN TESTS\nx = 1\n### END HIDDEN TESTS",), "without any"),
    ((TEST, TEST), "used twice"),
])
def test_structural_errors(sources, message):
    with pytest.raises(MarkerError, match=message):
        markers.parse_notebook(notebook(*sources))


def test_exactly_one_helper_cell():
    with pytest.raises(MarkerError, match="exactly one test-helper cell"):
        markers.parse_notebook(notebook(SOLUTION, helpers=False))
    nb = notebook(SOLUTION)
    nb.cells.append(v4.new_code_cell(HELPERS))
    with pytest.raises(MarkerError, match="found 2"):
        markers.parse_notebook(nb)


def test_a_valid_notebook_parses():
    infos = markers.parse_notebook(notebook("MD:### a heading", SOLUTION, TEST, HIDDEN))
    assert [i.kind for i in infos] == ["helpers", "markdown", "solution", "test", "hidden"]


def test_every_instructor_notebook_uses_only_the_vocabulary():
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        infos = markers.parse_notebook(nbformat.read(path, as_version=4), path)
        kinds = {i.kind for i in infos}
        assert {"helpers", "solution", "test", "hidden"} <= kinds, path.name


def test_the_vocabulary_is_documented_once_in_the_readme():
    readme = (ROOT / "coursetools" / "README.md").read_text(encoding="utf-8")
    for marker in markers.MARKERS + (cells.HELPER_TITLE, markers.TODO_LINE):
        assert marker in readme, f"{marker!r} is not documented in coursetools/README.md"
    documented = set(re.findall(r"`(### [A-Z ]+)`", readme))
    assert documented == set(markers.MARKERS), "README names a marker the code does not know"


ANSWER = ("<!-- answer: why_zero points=2 -->\nAll units stay identical.\n\nSo the layer is one unit.\n"
          "<!-- rubric\n- 2: symmetry and its consequence\n- 1: symmetry only\n- 0: nothing\n-->")


def test_a_written_answer_knows_its_question_model_and_rubric():
    infos = markers.parse_notebook(notebook("MD:### Why not zero?", "MD:" + ANSWER))
    assert [i.kind for i in infos] == ["helpers", "markdown", "answer"]
    answer = infos[2].answer
    assert (answer.id, answer.points, answer.question) == ("why_zero", 2.0, "### Why not zero?")
    assert answer.model == "All units stay identical.\n\nSo the layer is one unit."
    assert answer.rubric == ((2.0, "symmetry and its consequence"), (1.0, "symmetry only"),
                             (0.0, "nothing"))
    assert answer.marker == "<!-- answer: why_zero points=2 -->"
    assert "- 1: symmetry only" in answer.secret_lines()
    plain = markers.parse_answer("<!-- answer: short points=1.5 -->\nYes.")
    assert (plain.points, plain.rubric, plain.model) == (1.5, (), "Yes.")
    assert markers.cell_kind(v4.new_markdown_cell("Some text\n<!-- answer: x points=1 -->")) == "markdown"


@pytest.mark.parametrize("source, message, line", [
    ("<!-- answer: Why-Zero points=2 -->\nx", "malformed answer marker", 1),
    ("<!-- answer: why points=two -->\nx", "malformed answer marker", 1),
    ("<!-- answer: why -->\nx", "malformed answer marker", 1),
    ("<!-- answer: why points=2 -->\n", "has no model answer", 2),
    ("<!-- answer: why points=2 -->\nx\n<!-- rubric\n- 2: ok", "never closed", 3),
    ("<!-- answer: why points=2 -->\nx\n<!-- rubric\n2 points: ok\n-->", "is not '- k: criterion'", 4),
    ("<!-- answer: why points=2 -->\nx\n<!-- rubric\n- 3: too many\n-->", "outside 0..2", 4),
    ("<!-- answer: why points=2 -->\nx\n<!-- rubric\n-->", "an empty rubric", 3),
    ("<!-- answer: why points=2 -->\nx\n<!-- rubric\n- 1: a\n-->\nmore", "text after the rubric", 6),
    ("<!-- answer: why points=2 -->\nx\n<!-- rubric - 2: inline -->", "unexpected", 3),
])
def test_malformed_answers_are_marker_errors_with_cell_and_line(source, message, line):
    with pytest.raises(MarkerError, match=message) as error:
        markers.parse_notebook(notebook("MD:question", "MD:" + source), "lab.ipynb")
    assert (error.value.path, error.value.cell, error.value.line) == ("lab.ipynb", 2, line)


@pytest.mark.parametrize("sources, message", [
    (("MD:q1", "MD:" + ANSWER, "MD:q2", "MD:" + ANSWER), "answer id 'why_zero' is used twice"),
    (("x = 1", "MD:" + ANSWER), "must follow its question"),
    (("MD:q", "MD:" + ANSWER, "MD:" + ANSWER.replace("why_zero", "other")), "must follow its question"),
    (("MD:q", "MD:" + ANSWER.replace("why_zero", "t"), TEST), "the same id for a test and an answer"),
])
def test_answer_ids_are_unique_and_follow_a_question(sources, message):
    with pytest.raises(MarkerError, match=message):
        markers.parse_notebook(notebook(*sources))


def test_the_labs_have_written_answers():
    with_answers = [p.stem for p in sorted((ROOT / "solutions").glob("*.ipynb"))
                    if markers.answers(nbformat.read(p, as_version=4))]
    assert len(with_answers) >= 2, with_answers
