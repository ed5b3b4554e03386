"""overrides: OUT/overrides.csv is read strictly; every malformed line is named."""
from __future__ import annotations

import pytest

from coursetools.grading.results import overrides

TESTS = {"forward_active_unit": 1.0, "backward_active_unit": 2.0}
STUDENTS = {"12345": "Smith, Bob", "34567": "Müller, Eve", "a1": "Ann Lee", "a2": "Ann Lee"}


def load(tmp_path, text):
    (tmp_path / "overrides.csv").write_text(text, encoding="utf-8")
    return overrides.load(tmp_path, TESTS, 20.0, STUDENTS)


def test_no_file_no_overrides(tmp_path):
    assert overrides.load(tmp_path, TESTS, 20.0, STUDENTS) == ([], [])


def test_ids_names_tests_total_and_penalty(tmp_path):
    found, warnings = load(tmp_path, "student,test,points,reason\n"
                                     "12345,backward_active_unit,2,ambiguous sign convention\n"
                                     "Eve Müller,TOTAL,18,oral exam\n"
                                     "\n"
                                     "12345,penalty,0,extension granted\n")
    assert warnings == []
    assert [(o.line, o.student, o.target, o.points) for o in found] == [
        (2, "12345", "backward_active_unit", 2.0), (3, "34567", "total", 18.0),
        (5, "12345", "penalty", 0.0)]
    assert found[1].reason == "oral exam"


def test_decimal_comma_and_unknown_student_is_a_warning(tmp_path):
    found, warnings = load(tmp_path, "student,test,points,reason\n"
                                     '34567,total,"17,5",late oral\n'
                                     "nobody,total,3,typo in the id?\n")
    assert found[0].points == 17.5
    assert warnings == ["overrides.csv line 3: no student 'nobody' in the results; not applied"]


def test_every_malformed_line_is_named_in_one_error(tmp_path):
    with pytest.raises(overrides.OverridesError) as error:
        load(tmp_path, "student,test,points,reason\n"
                       "12345,backwrd,2,typo\n"
                       "12345,backward_active_unit,3,above the test's points\n"
                       "12345,total,lots,not a number\n"
                       "12345,total,5,\n"
                       "Ann Lee,total,5,two rows have this name\n"
                       "12345\n"
                       "34567,total,5,first\n"
                       "34567,total,6,second\n")
    message = str(error.value)
    for expected in ("line 2: unknown test 'backwrd'", "line 3: points 3 outside 0..2",
                     "line 4: points 'lots' is not a number", "line 5: no reason",
                     "line 6: the name 'Ann Lee' is shared by 2 rows", "line 7: 1 fields",
                     "line 9: 34567 / total was already overridden on line 8"):
        assert expected in message, message


def test_header_is_required(tmp_path):
    with pytest.raises(overrides.OverridesError, match="first line must be the header"):
        load(tmp_path, "12345,total,5,no header\n")
    with pytest.raises(overrides.OverridesError, match="UTF-8"):
        (tmp_path / "overrides.csv").write_bytes("student,test,points,reason\nZoë,total,1,x\n"
                                                 .encode("utf-16"))
        overrides.load(tmp_path, TESTS, 20.0, STUDENTS)
