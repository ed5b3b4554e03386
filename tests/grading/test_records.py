"""coursetools.grading.records: the typed records between the steps."""
from coursetools.grading.records import (CellResult, Failure, Role, Status, StatusNote,
                                         Submission, TestResult, safe_name)


def test_status_texts():
    assert StatusNote(Status.MISSING_DEFINITION, "function backward").text == \
        "missing function backward"
    assert StatusNote(Status.TOO_LARGE, "(3000 cells)").text == "notebook too large (3000 cells)"
    sub = Submission(student="s")
    assert sub.status_text == "ok"
    sub.flag(Status.TIMEOUT)
    sub.flag(Status.TIMEOUT)
    sub.flag(Status.KERNEL_DIED)
    assert sub.status_text == "timeout; kernel died"


def test_cell_results_survive_json():
    result = CellResult(notebook="s1", index=3, role=Role.TEST, tests=["t"], source_cell=7,
                        payloads=[{"test": "t", "call": 0}], errors=[("ValueError", "x")],
                        failure=Failure.OUTPUT)
    assert CellResult.from_json(result.to_json()) == result


def test_points_and_passing():
    sub = Submission(student="s", tests=[TestResult("a", 2, 2, False), TestResult("b", 3, 0, True,
                                                                                  codes=["sign"])])
    assert sub.points == 2 and sub.tests[0].passed and not sub.tests[1].passed


def test_safe_names_are_file_names():
    assert safe_name("alice") == "alice"
    assert "/" not in safe_name("../../etc/passwd") and not safe_name(".hidden").startswith(".")
    assert safe_name("") == "_" and safe_name("Eve Müller") == "Eve Müller"


def test_points_are_written_without_a_useless_fraction():
    from coursetools.grading.records import fmt
    assert fmt(17.5) == "17.5" and fmt(2.0) == "2" and fmt(1 / 3) == "0.33"
