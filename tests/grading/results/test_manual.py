"""coursetools.grading.results.manual: the instructor's points for written answers."""
import pytest

from coursetools.grading.results import manual

ANSWERS = {"why_zero": 2.0, "why_reverse": 3.0}
STUDENTS = {"12345": "Eve Müller", "23456": "Bob Stone", "34567": "Bob Stone"}


def load(tmp_path, text):
    (tmp_path / manual.FILE).write_bytes(text.encode("utf-8"))
    return manual.load(tmp_path, ANSWERS, STUDENTS)


def test_absent_means_nothing_graded(tmp_path):
    assert manual.load(tmp_path, ANSWERS, STUDENTS) == []


def test_marks_by_id_or_unique_name_blank_points_not_graded_yet(tmp_path):
    marks = load(tmp_path, "\ufeffStudent,Answer,Points,Comment\n12345,why_zero,2,fine\n"
                           "Müller; Eve,why_reverse,\"1,5\",half\n23456,why_zero,,\n\n"
                           "34567,why_reverse,0\n")
    assert [(m.student, m.answer, m.points, m.comment) for m in marks] == [
        ("12345", "why_zero", 2.0, "fine"), ("12345", "why_reverse", 1.5, "half"),
        ("34567", "why_reverse", 0.0, "")]


@pytest.mark.parametrize("text, message", [
    ("", "first line must be the header"),
    ("student,test,points,reason\n", "first line must be the header"),
    ("student,answer,points\n12345,why_zero,3\n", "line 2: points 3 outside 0..2"),
    ("student,answer,points\n12345,why_zero,-1\n", "outside 0..2"),
    ("student,answer,points\n12345,why_zero,two\n", "points 'two' is not a number"),
    ("student,answer,points\n12345,why_one,1\n", "unknown answer 'why_one'"),
    ("student,answer,points\n99999,why_zero,1\n", "no student '99999'"),
    ("student,answer,points\nBob Stone,why_zero,1\n", "shared by 2 rows: use the id"),
    ("student,answer,points\n12345,why_zero\n", "2 fields"),
    ("student,answer,points\n12345,why_zero,1\n12345,why_zero,2\n",
     "line 3: 12345 / why_zero was already given on line 2"),
])
def test_malformed_lines_stop_with_their_line(tmp_path, text, message):
    with pytest.raises(manual.ManualError, match=message):
        load(tmp_path, text)


def test_not_utf8_is_a_clear_error(tmp_path):
    (tmp_path / manual.FILE).write_bytes("student,answer,points\nMüller,why_zero,1\n".encode("latin-1"))
    with pytest.raises(manual.ManualError, match="not UTF-8"):
        manual.load(tmp_path, ANSWERS, STUDENTS)
