"""Feedback at least as specific as the notebook: each case of the issue, graded by the grader's
own steps (``tests/grading_inprocess.py``) on an instructor notebook with one bug."""
from __future__ import annotations

import re

import nbformat
import pytest

from coursetools.grading.score import judge
from tests import grading_inprocess
from tests.conftest import ROOT

SIGMOID_OF_INPUT = (("self.z = 1.0 / (1.0 + np.exp(-u))",
                     "self.u = u\n        self.z = 1.0 / (1.0 + np.exp(-u))"),
                    ("return grad_z * self.z * (1.0 - self.z)",
                     "return grad_z * self.u * (1.0 - self.u)"))


def with_bug(lab: str, defines: str, *edits):
    """The instructor notebook of ``lab`` with text edits in the cell that defines ``defines``."""
    nb = nbformat.read(ROOT / "solutions" / f"{lab}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code"
                and re.search(rf"^(class|def) {defines}\b", c.source, re.M))
    for old, new in edits:
        assert cell.source.count(old) == 1, old
        cell.source = cell.source.replace(old, new)
    return nb


def result_of(graded, test_id):
    return next(t for t in graded.tests if t.test == test_id)


@pytest.fixture(scope="module")
def sigmoid_of_input():
    return grading_inprocess.grade("lab4_xor", with_bug("lab4_xor", "Sigmoid", *SIGMOID_OF_INPUT))


def test_a_saturated_sigmoid_in_the_notebook_has_a_graded_counterpart(sigmoid_of_input):
    """The notebook's check at u = +-40 says what is wrong; so does the grade now (the random
    draws alone only said "wrong values")."""
    result = result_of(sigmoid_of_input, "sigmoid_backward")
    assert result.earned == 0 and "nonzero_where_zero" in result.codes
    text = "\n".join(result.details)
    assert "saturated" in text and "at the OUTPUT z" in text


def test_a_sigmoid_bug_is_never_labelled_as_a_relu_mask(sigmoid_of_input):
    for result in sigmoid_of_input.tests:
        assert not {"relu_mask_missing", "relu_mask_wrong"} & set(result.codes), result


def test_mirrored_variants_of_one_failure_are_shown_once(sigmoid_of_input):
    """The mirrored sign patterns of one draw fail the same way: one detail per failure (same
    output, same codes), saying how many calls it stands for (it was shown once per sign)."""
    details = result_of(sigmoid_of_input, "sigmoid_backward").details
    signatures = [tuple(re.findall(r"hint \[(\w+)\]", d)) + tuple(re.findall(r"output (\w+) is", d))
                  for d in details]
    assert len(signatures) == len(set(signatures)) >= 2, details
    assert any(re.search(r"The same mistake shows in [2-9] calls", d) for d in details), details


def test_lab_4_feedback_has_lab_4_words_not_lab_3_s():
    """Lab 4's loss is a MEAN: its hints never speak of y2_pred or of a loss that SUMS."""
    graded = grading_inprocess.grade("lab4_xor", with_bug(
        "lab4_xor", "SquaredError", ("return 2.0 * (self.y - self.d) / self.y.shape[0]",
                                     "return 2.0 * (self.y - self.d)")))
    result = result_of(graded, "squared_error_backward")
    text = "\n".join(result.details)
    assert "mean_not_sum" in result.codes and "SquaredError is the MEAN" in text
    for lab3_words in ("y2_pred", "y_true", "SUMS"):
        assert all(lab3_words not in d for t in graded.tests for d in t.details), lab3_words


def test_a_long_detail_keeps_its_hints_whole():
    """Details were cut at 600 characters mid-word ("a division by 2 ("); now the display of
    the values gives way and every hint line stays whole."""
    hint = ("  hint [mean_not_sum]: grad_y is the expected value divided by 2: is there a "
            "division by 2 (or an np.mean) too many? The loss of this lab SUMS over the samples "
            "and outputs: do not average anywhere.")
    text = "\n".join(["SquaredError.backward(y=[0.1 0.2 ... 0.3 0.4], d=" + "[1. 0.] " * 80 + "):",
                      "output grad_y is wrong", "  expected (shape (4, 1)): " + "1.0 " * 60,
                      "  got      (shape (4, 1)): " + "0.5 " * 60, hint])
    clipped = judge.clip(text)
    assert len(clipped) <= judge.MAX_DETAIL_CHARS + 10 and hint in clipped.split("\n")
    assert all(line.endswith((".", "?", "...", ":")) or line.startswith("output")
               for line in clipped.split("\n")), clipped
    assert judge.clip("short text") == "short text"
