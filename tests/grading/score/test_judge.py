"""coursetools.grading.score.judge: a student's recorded results judged against the reference's.

Synthetic results (as the plugin delivers them) exercise each rule without a kernel.
"""
from __future__ import annotations

import copy
from pathlib import Path

import pytest

from coursetools.grading.score import judge as score
from coursetools.grading.records import CellResult, Failure, Role, Status, Submission
from coursetools.kernel import protocol

ARGS = {"x": protocol.encode(2.0), "w": protocol.encode(-0.5)}


def call(outputs, test="t", index=0, **extra):
    payload = {"test": test, "call": index, "func": "f", "args": copy.deepcopy(ARGS),
               "outputs": None if outputs is None else [protocol.encode(v) for v in outputs],
               "error": None, "mutated": [], "rtol": 1e-6, "atol": 1e-9, "names": ["a", "b"]}
    payload.update(extra)
    return payload


def end(test="t", error=None, points=2):
    return {"test": test, "points": points, "event": "end", "error": error}


def cell(*payloads, tests=("t",), errors=(), failure=Failure.NONE, role=Role.TEST):
    return CellResult(notebook="s1", index=5, role=role, tests=list(tests),
                      payloads=list(payloads), errors=list(errors), failure=failure)


REF = score.Reference(points=2.0, calls=[call([1.0, -3.0])], hidden=False, subject="f")


def judge(*cells, ref=REF):
    records = score.group(list(cells))
    return score._Scorer("t", ref, records.get("t"), []).score()


def test_matching_results_earn_the_points():
    result = judge(cell(call([1.0 + 1e-9, -3.0]), end()))
    assert result.passed and result.earned == 2.0


def test_wrong_values_get_diagnosed_in_the_graders_words_only():
    result = judge(cell(call([2.0, -6.0]), end()))
    assert result.earned == 0 and "factor_2" in result.codes
    assert "hint [factor_2]" in result.details[0] and "wrong a" in result.details[0]


SECRET = "seed=private-7f3a; hidden: check(forward, {'x': 0.731}); class Value: official"


@pytest.mark.parametrize("record", [
    cell(call(None, error=f"ValueError: {SECRET}"), end()),              # the student's error
    cell(call(None, error=f"{SECRET}Error: x"), end()),                  # ... its class name
    cell(call([1.0, -3.0]), end(error=f"RuntimeError: {SECRET}")),       # the test's end
    cell(errors=[("RuntimeError", SECRET)]),                             # the cell's error
    cell(call([7.31e-1, 4.2e1]), end()),                                 # values it returned
    cell(call([[7.0, 3.0, 1.0]]), end()),                                # a shape it chose
])
def test_no_text_or_value_from_the_grading_kernel_reaches_a_visible_tests_details(record):
    result = judge(record)
    shown = "\n".join(result.details)
    assert result.earned == 0 and result.codes
    for leak in (SECRET, "private", "0.731", "42", "(3,)", "7f3a", "Error: x"):
        assert leak not in shown, (leak, shown)


def test_the_graded_inputs_and_their_expected_values_are_never_shown():
    # With them, feedback would be an answer key collected over resubmissions.
    result = judge(cell(call([2.0, -6.0]), end()))
    shown = "\n".join(result.details)
    assert "x=2" not in shown and "-0.5" not in shown and "-3" not in shown and "1.0" not in shown


def test_points_and_tolerances_come_from_the_reference_not_the_student():
    forged = call([5.0, 5.0], rtol=1e9, atol=1e9)
    result = judge(cell(forged, end(points=100)))
    assert result.earned == 0


def test_other_inputs_than_the_official_ones_are_tampering():
    result = judge(cell(call([1.0, -3.0], args={"x": protocol.encode(0.5), "w": ARGS["w"]}),
                        end()))
    assert result.codes == ["tampering"] and result.earned == 0


@pytest.mark.parametrize("cells", [
    [cell(call([1.0, -3.0]), call([1.0, -3.0]), end())],                 # emitted twice
    [cell(call([1.0, -3.0]), call([1.0, -3.0], index=1), end())],        # an extra call
    [cell(call([1.0, -3.0]), end(), end())],                             # two end events
    [cell(call([1.0, -3.0]), end(), call([9.0], test="other"))],         # another test's id
])
def test_forged_results_are_tampering(cells):
    result = judge(*cells)
    assert result.codes == ["tampering"] and result.earned == 0


def test_results_from_another_cell_do_not_count():
    stray = cell(call([1.0, -3.0]), end(), role=Role.DEFINITIONS, tests=())
    result = judge(stray, cell(end()))
    assert result.earned == 0 and result.codes == ["no_result"]


@pytest.mark.parametrize("record, code", [
    (cell(failure=Failure.TIMEOUT), "timeout"),
    (cell(failure=Failure.NOTEBOOK_TIME), "timeout"),
    (cell(failure=Failure.OUTPUT), "output_too_large"),
    (cell(failure=Failure.KERNEL_DIED), "crash"),
    (cell(end(error="NameError: name 'f' is not defined")), "missing_function"),
    (cell(call(None, error="NotImplementedError: f: not implemented yet"), end()),
     "not_implemented"),
    (cell(call(None, error="ValueError: shapes do not align"), end()), "exception"),
    (cell(call([1.0]), end()), "wrong_type"),
    (cell(call([1.0, -3.0], mutated=["x"]), end()), "mutates_input"),
    (cell(end()), "no_result"),
])
def test_each_failure_has_its_code(record, code):
    result = judge(record)
    assert code in result.codes and result.earned == 0


def test_a_timeout_is_the_graders_observation_never_an_exception_name():
    forged = judge(cell(errors=[("GradingTimeout", "too long")]))
    assert "timeout" not in forged.codes
    sub = Submission(student="s")
    score.runtime_statuses(sub, [cell(errors=[("MemoryError", "x")]),
                                 cell(call([0.0, 0.0]), errors=[("GradingPermissionError", "x")])])
    assert sub.statuses == [], "names a student can choose make no status"
    score.runtime_statuses(sub, [cell(failure=Failure.OUTPUT), cell(failure=Failure.TIMEOUT)])
    assert [s.status for s in sub.statuses] == [Status.OUTPUT_TOO_LARGE, Status.TIMEOUT]


def test_hidden_tests_keep_codes_only_no_inputs_values_or_kernel_text():
    ref = score.Reference(points=3.0, calls=[call([1.0, -3.0])], hidden=True, subject="f")
    result = judge(cell(call([-1.0, 3.0]), end()), ref=ref)
    assert result.codes == ["sign"] and result.details == []
    result = judge(cell(call(None, error="ValueError: x has shape (7, 3)"), end()), ref=ref)
    assert result.codes == ["exception"] and result.details == []
    result = judge(cell(call([1.5, -3.0]), end()), ref=ref)
    assert result.codes == ["values"] and result.details == [], "no largest difference"


def test_reference_failures_stop_grading():
    class Lab:
        path = Path("lab.ipynb")
        test_cells = [type("T", (), {"tests": ["t"], "hidden": False, "index": 3,
                                     "subject": "f", "items": ["f"]})()]

        @staticmethod
        def method_variant(cell):
            return None

    good = [cell(call([1.0, -3.0]), end())]
    assert score.reference(Lab, good)["t"].points == 2.0
    for broken in ([cell(call(None, error="ValueError: no"), end())],
                   [cell(call([1.0, -3.0]), end(error="AssertionError: x"))],
                   [cell(call([1.0, -3.0]))],
                   [cell(failure=Failure.TIMEOUT)], []):
        with pytest.raises(score.ReferenceFailure):
            score.reference(Lab, broken)


class _Cell:
    def __init__(self, test):
        self.tests, self.subject = [test], "C"


class _ClassLab:
    """Four tests of one class: a is about m1, b about m2, c about m3, d names no method."""

    ABOUT = {"a": ["m1"], "b": ["m2"], "c": ["m3"], "d": []}
    test_cells = [_Cell(t) for t in ABOUT]

    def test_cell(self, test):
        return next(c for c in self.test_cells if test in c.tests)

    def about(self, cell):
        return self.ABOUT[cell.tests[0]]

    def method_variant(self, cell):
        keep = self.about(cell)
        return (keep, [m for m in ("m1", "m2", "m3") if m not in keep]) if keep else None


def _result(test, passed):
    from coursetools.grading.records import TestResult
    return TestResult(test=test, points=2, earned=2 if passed else 0, hidden=False,
                      codes=[] if passed else ["values"], subject="C")


def test_a_test_that_fails_through_another_method_is_not_charged():
    lab = _ClassLab()
    scored = [_result("a", False), _result("b", False), _result("c", True), _result("d", False)]
    assert score.variant_candidates(lab, scored) == ["a", "b"]
    # b's variant (official m1) passes, a's variant (official m2, m3) fails: a fails for good.
    final = score.charge_once(lab, scored, {"a": _result("a", False), "b": _result("b", True)})
    assert [r.passed for r in final] == [False, True, True, False]
    assert final[1].isolated_from == ["C.m1"]


def test_two_tests_never_excuse_each_other_and_a_failing_variant_changes_nothing():
    lab = _ClassLab()
    scored = [_result("a", False), _result("b", False), _result("c", True), _result("d", True)]
    both = score.charge_once(lab, scored, {"a": _result("a", True), "b": _result("b", True)})
    assert [r.passed for r in both] == [False, False, True, True]     # nobody fails for good
    neither = score.charge_once(lab, scored, {"a": _result("a", False), "b": _result("b", False)})
    assert [r.passed for r in neither] == [False, False, True, True]
    assert score.variant_candidates(lab, [_result("a", False), _result("b", True),
                                          _result("c", True), _result("d", True)]) == []
