"""feedback_html: a self-contained page that says what the Markdown page says."""
from __future__ import annotations

import re
from pathlib import Path

from coursetools.grading.render import feedback_html
from coursetools.grading.results import final, store as storemod
from tests.conftest import FILES

FILES = FILES / "lms"


def page(student: str) -> str:
    store = storemod.from_json((FILES / "canvas_results.json").read_text(encoding="utf-8"))
    final.apply(store, [])
    return feedback_html.render(store, store.students[student])


def test_self_contained_and_readable_offline():
    html = page("23456")
    assert html.startswith("<!DOCTYPE html>") and "<meta charset='utf-8'>" in html
    assert not re.search(r"<script|<link|https?://|src=", html)      # nothing from a network
    assert "white-space: pre-wrap" in html                            # code wraps on a phone
    assert "<strong>10 / 20</strong>" in html
    assert "Late penalty: -2 points" in html
    assert "<pre>backward(x=" in html                                  # a visible failure
    assert html.count("<tr>") == 1 + 12                               # header + every test


def test_student_text_is_escaped():
    store = storemod.from_json((FILES / "canvas_results.json").read_text(encoding="utf-8"))
    sub = store.students["99887"]
    sub.name = "<script>alert(1)</script>"
    html = feedback_html.render(store, sub)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_fits_a_phone(tmp_path):
    from tests.grading.render.test_report import page_width

    store = storemod.from_json((FILES / "canvas_results.json").read_text(encoding="utf-8"))
    sub = store.students["23456"]
    sub.notes.append("x" * 300)                                     # one very long word
    assert page_width(feedback_html.render(store, sub), 390, tmp_path) <= 390
