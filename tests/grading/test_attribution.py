"""Attribution, fair costs and containment, on the cases that used to go wrong (issue 21 items
2, 4, 5): each test first states what the grader did before, then shows what it does now.

Graded in process with the grader's own steps (``coursetools.grading.inprocess``).
"""
from __future__ import annotations

import pytest

from coursetools.grading.records import Submission, TestResult
from coursetools.grading.render import feedback
from coursetools.grading.score import judge
from tests import grading_inprocess
from tests.test_labs import edited, mutants_of, solution, splice

pytestmark = pytest.mark.slow


def _graded(lab, replacements):
    return grading_inprocess.grade(lab, splice(solution(lab), replacements))


def _by_test(sub):
    return {t.test: t for t in sub.tests}


def test_a_test_that_grades_two_items_runs_the_students_versions_of_both():
    """Before: lab 4's hidden_activations_shapes was charged to ReLU and ran the official
    Sigmoid, so a sigmoid derivative taken at the input passed it. Now it grades both; the
    failure is Sigmoid's (which fails its own test), so it keeps ReLU's half."""
    sub = _graded("lab4_xor", mutants_of("lab4_xor")["sigmoid_derivative_of_input"])
    shapes = _by_test(sub)["hidden_activations_shapes"]
    assert shapes.items == ["Sigmoid", "ReLU"] and shapes.isolated_from == []
    assert not shapes.passed and shapes.charged == ["Sigmoid"]
    assert shapes.earned == shapes.points / 2


def test_an_mlp_without_its_sigmoid_output_fails_every_test_that_grades_the_mlp():
    """Before: mlp_backward and hidden_mlp_other_sizes were charged to mean_squared_error and
    ran the official MLP: this MLP scored 49/50. Now they grade MLP and run the student's."""
    lab = "lab6_autograd"
    sub = _graded(lab, edited(lab, "MLP", ("activation = sigmoid if k == len(sizes) - 2 else "
                                           "Value.tanh", "activation = Value.tanh")))
    tests = _by_test(sub)
    lost = {t for t, r in tests.items() if not r.passed}
    assert {"mlp_forward", "mlp_backward", "hidden_mlp_other_sizes"} <= lost
    assert all(tests[t].items == ["MLP"] for t in lost)
    assert sub.points <= sum(t.points for t in sub.tests) - 7


def test_one_broadcast_bug_costs_the_points_of_the_method_it_is_in():
    """Before: one broadcast bug in Tensor.__add__ cost 10 points over 4 tests. Now it costs
    the points of Tensor.__add__ (its own test and its share of the shapes test)."""
    lab = "lab6_autograd"
    sub = _graded(lab, mutants_of(lab)["broadcast_axis_not_summed"])
    points = judge.unit_points(grading_inprocess.lab(lab),
                              grading_inprocess.reference(lab, "tests").common())
    lost = sum(t.points - t.earned for t in sub.tests)
    assert lost == pytest.approx(points["Tensor.__add__"]) and lost < 10
    assert {t.test for t in sub.tests if t.codes} >= {"tensor_add_broadcast",
                                                      "tensor_network_backward"}
    assert all(t.charged == ["Tensor.__add__"] for t in sub.tests if t.codes)


def test_a_syntax_error_in_the_value_cell_costs_value_and_what_inherits_from_it_truthfully():
    """Before: after a syntax error in lab 6's Value cell the Tensor tests said "this test ran
    with the official Value", then failed with "name 'Tensor' is not defined". Now Tensor (a
    subclass of the student's Value) grades Value too and says why it could not run; the tests
    that use Value without grading it say, truly, that they ran with the official Value."""
    lab = "lab6_autograd"
    (value,) = edited(lab, "Value").values()
    sub = _graded(lab, {"Value": value.replace("def __add__(self, other):",
                                               "def __add__(self, other)", 1)})
    tests = _by_test(sub)
    for test in ("tensor_add_broadcast", "tensor_matmul_backward"):
        said = " ".join(feedback.how_it_ran(tests[test], sub))
        assert "official Value" not in said
        assert "could not run: Tensor is not defined" in said
    said = " ".join(feedback.how_it_ran(tests["sigmoid"], sub))
    if tests["sigmoid"].codes:
        assert "ran with the official Value, which it uses but does not grade" in said
    assert tests["sigmoid"].isolated_from == ["Value"]


def test_no_banner_names_an_item_the_test_does_not_use():
    """Before: "This test ran with the official Linear" appeared on sigmoid tests that never
    use Linear. Now the official items are those the graded item's code uses."""
    lab = "lab4_xor"
    sub = _graded(lab, mutants_of(lab)["sigmoid_derivative_missing"])
    for test in sub.tests:
        if test.items == ["Sigmoid"]:
            assert test.isolated_from == []
            assert "Linear" not in " ".join(feedback.how_it_ran(test, sub))


def _result(test, items, passed=False, official=(), charged=(), earned=0.0, codes=("values",)):
    return TestResult(test=test, points=2.0, earned=2.0 if passed else earned, hidden=False,
                      codes=[] if passed else list(codes), items=list(items),
                      isolated_from=list(official), charged=list(charged))


@pytest.mark.parametrize("failing, expected", [
    (["Linear"], "Your Linear fails its own tests: fix it too."),
    (["Linear", "Sigmoid"], "Your Linear and Sigmoid fail their own tests: fix them too."),
])
def test_the_sentence_about_failing_official_items_is_grammatical(failing, expected):
    """Before: "(Linear fail their own tests: fix those too.)", naming unrelated classes."""
    network = _result("network_forward", ["Network"], official=["Linear", "Sigmoid", "ReLU"])
    own = [_result(f"{name.lower()}_test", [name]) for name in failing]
    sub = Submission(student="s", tests=[network, *own, _result("relu", ["ReLU"], passed=True)])
    said = feedback.how_it_ran(network, sub)
    assert said[0] == ("This test grades Network; it ran with the official Linear, Sigmoid and "
                       "ReLU, which it uses but does not grade, so its result is about your "
                       "Network alone.")
    assert said[1] == expected


def test_a_shared_test_says_which_share_it_kept():
    shared = _result("shapes", ["Sigmoid", "ReLU"], charged=["Sigmoid"], earned=1.0)
    sub = Submission(student="s", tests=[shared, _result("sigmoid", ["Sigmoid"])])
    assert feedback.how_it_ran(shared, sub) == [
        "This test shares its points between Sigmoid and ReLU; it failed because of Sigmoid, "
        "which fails on its own, so it keeps 1 of its 2 points."]
