"""coursetools.grading.render.answer_pages: the grading page of a written answer and its
template; students' text is hostile and stays text."""
import csv
import html
import io

from coursetools.grading.records import Submission
from coursetools.grading.render import answer_pages
from coursetools.grading.results import final, store as storemod
from coursetools.grading.results.manual import Mark

ANSWER = storemod.AnswerInfo("why_zero", 2, "### Why?\n\nExplain.", "Symmetry <b>breaks</b>.",
                             [[2, "symmetry & consequence"], [0, "nothing"]])
HOSTILE = "</pre><script>alert(1)</script>' data-x='\"<!--"


def store():
    results = storemod.Store(lab="lab4_xor", tests=[storemod.TestInfo("t", 1, False)],
                             answers=[ANSWER])
    for student, text in {"=cmd()": HOSTILE, "b": "", "c": None, "d": "plain"}.items():
        results.students[student] = Submission(student, answers={"why_zero": text})
    results.students["e"] = Submission("e")          # missing: nothing read
    final.apply(results, [], [Mark(2, "d", "why_zero", 1.5, "=SUM(A1)")])
    return results


def test_the_page_escapes_every_student_text_and_shows_the_instructors_parts():
    page = answer_pages.page(store(), ANSWER)
    assert "<script>alert(1)</script>" not in page and "</pre><script>" not in page
    assert html.escape(HOSTILE) in page
    assert "data-student='=cmd()'" in page and page.count("data-student=") == 2
    assert "Symmetry &lt;b&gt;breaks&lt;/b&gt;." in page and "symmetry &amp; consequence" in page
    assert "### Why?" in page and "value='1.5'" in page and "value='=SUM(A1)'" in page
    assert "<code>c</code>" in page and "<code>e</code>" not in page
    assert "cdn" not in page.casefold() and "src=" not in page


def test_the_template_lists_the_answers_with_safe_cells():
    rows = list(csv.reader(io.StringIO(answer_pages.template(store(), ANSWER))))
    assert rows == [["student", "answer", "points", "comment"], ["'=cmd()", "why_zero", "", ""],
                    ["d", "why_zero", "1.5", "'=SUM(A1)"]]


def test_status_and_points_follow_the_marks_and_survive_the_store():
    results = store()
    status = {s: sub.status_text for s, sub in results.students.items()}
    assert status == {"=cmd()": "answers to grade", "b": "ok", "c": "ok", "d": "ok", "e": "ok"}
    assert results.max_points == 3 and results.students["d"].final_points == 1.5
    again = storemod.from_json(storemod.to_json(results))
    assert again.answers == [storemod.AnswerInfo(**vars(ANSWER))]
    assert again.students["d"].answer_points == {"why_zero": {"points": 1.5, "comment": "=SUM(A1)"}}
    final.apply(again, [], [Mark(2, "=cmd()", "why_zero", 0, "")])   # graded: the status goes
    assert again.students["=cmd()"].status_text == "ok" and again.students["d"].answer_points == {}


def test_the_template_filled_in_is_a_valid_manual_csv(tmp_path):
    from coursetools.grading.results import manual
    results = store()
    text = answer_pages.template(results, ANSWER).replace("'=cmd(),why_zero,,", "'=cmd(),why_zero,2,ok")
    (tmp_path / manual.FILE).write_text(text, encoding="utf-8")
    marks = manual.load(tmp_path, {"why_zero": 2}, {s: "" for s in results.students})
    assert {(m.student, m.points) for m in marks} == {("=cmd()", 2.0), ("d", 1.5)}
