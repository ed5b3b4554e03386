"""render.similarity_page: the flagged pairs side by side, escaped, offline, with what it means."""
from __future__ import annotations

import re

from coursetools.grading.records import Submission
from coursetools.grading.render import similarity_page
from coursetools.grading.results import store as storemod
from coursetools.grading.score import similarity
from tests.conftest import FILES

HOSTILE = '</pre><script>alert(1)</script><img src="https://evil.example/x.png">'


def store_with(codes: dict[str, str], threshold=None) -> storemod.Store:
    results = storemod.Store(lab="lab1_scalar", tests=[], similarity_threshold=threshold)
    results.students = {s: Submission(student=s, name=f"<b>{s}</b>", code=c)
                        for s, c in codes.items()}
    return results


def fixture(name: str) -> str:
    return (FILES / "similarity" / f"{name}.py").read_text(encoding="utf-8")


def test_a_copied_pair_is_shown_side_by_side_escaped_and_marked():
    copied = fixture("independent_a")
    note = f"\n\nNOTE = {HOSTILE!r}\n\n"         # not copied: outside the marked parts
    page = similarity_page.page(store_with({"ann": note + copied + note,
                                            "cat<x>": copied,
                                            "bob": fixture("independent_b")}))
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert page.count("&lt;/pre&gt;&lt;script&gt;") == 2 and "cat&lt;x&gt;" in page
    assert page.count('<table class="pair">') == 1 and "<mark>" in page
    assert re.search(r"ann.*cat&lt;x&gt;.*100 %", page, re.S)
    assert not re.search(r"\b(src|href)=\"(https?:)?//", page)     # nothing fetched
    assert "Threshold: 60 %" in page and "changes a grade" in page and "not evidence" in page


def test_the_class_threshold_is_used_and_no_pair_says_so():
    codes = {"ann": fixture("independent_a"), "bob": fixture("independent_b")}
    assert "No pair reaches the threshold." in similarity_page.page(store_with(codes))
    low = similarity_page.page(store_with(codes, threshold=0.05))
    assert "Threshold: 5 %" in low and low.count('<table class="pair">') == 1


def test_marked_escapes_every_part():
    assert similarity_page.marked("a<b>c", [(1, 4)]) == "a<mark>&lt;b&gt;</mark>c"
    assert similarity_page.marked("<>", []) == "&lt;&gt;"
    assert similarity.SOLUTION not in similarity_page.page(store_with({}))
