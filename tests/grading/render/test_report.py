"""report: who made each mistake (names in <details>), sorted by name, narrow enough for 1300 px."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from coursetools.grading import records
from coursetools.grading.render import report
from coursetools.grading.results import final, store as storemod
from coursetools.grading.results.overrides import Override
from tests.conftest import FILES

FILES = FILES / "lms"


def canvas_report() -> str:
    results = storemod.from_json((FILES / "canvas_results.json").read_text(encoding="utf-8"))
    final.apply(results, [Override(2, "45678", "total", 5, "handed in by e-mail")])
    return report.render(results)


def test_names_behind_each_test_and_mistake_code():
    page = canvas_report()
    # Dave flipped the sign: his name opens under each sign row and under the code.
    assert page.count("<details><summary>sign: 1</summary>Lee, Dave (23456)</details>") == 4
    assert re.search(r"<td class=\"text short\">sign</td><td class=\"text\">wrong sign</td>"
                     r"<td class=\"text\"><details><summary>1</summary>Lee, Dave \(23456\)", page)
    assert "<details><summary>1</summary>Ito, Hank (56789)</details>" in page     # missing


def test_overrides_and_late_rows_are_marked():
    page = canvas_report()
    assert "Overrides (overrides.csv)" in page and "handed in by e-mail" in page
    row = re.search(r"<tr><td class=\"text short\">45678</td>.*?</tr>", page).group(0)
    assert "✎" in row
    assert "Late: 1 submissions" in page and "<code>10%/day,max=50%</code>" in page


def test_rows_sorted_by_name_case_insensitively():
    results = storemod.Store(lab="lab", tests=[storemod.TestInfo("t", 1, False)])
    for student, name in [("3", "bob"), ("1", "Alice"), ("2", "Émile"), ("4", "")]:
        results.students[student] = records.Submission(
            student=student, name=name, key="k",
            tests=[records.TestResult("t", 1, 0, False, codes=["sign"])])
    page = report.render(results)
    submissions = page[page.index("Submissions ("):]
    order = re.findall(r"<tr><td class=\"text short\">(\d)</td>", submissions)
    assert order == ["4", "1", "3", "2"]             # "4" has no name: its id sorts first
    assert "<summary>sign: 4</summary>4, Alice (1), bob (3), Émile (2)</details>" in page


def test_fits_a_1300_px_screen():
    page = canvas_report()
    assert "overflow-x" not in page                  # no table scrolls sideways
    assert "max-width: 75em" in page                 # 75 em at 16 px = 1200 px of text
    assert re.search(r"th, td \{[^}]*overflow-wrap: anywhere", page)
    assert "svg { max-width: 100%" in page
    widths = [int(w) for w in re.findall(r"<svg[^>]* width=\"(\d+)\"", page)]
    assert widths and max(widths) <= 1200
    # A test's mistakes are one cell, however many codes the class hit.
    header = re.search(r"<caption>Tests:.*?</tr>", page).group(0)
    assert header.count("<th>") == 5


def crowded_report() -> str:
    """40 students with long names, 12 tests, every mistake code: the widest report we make."""
    codes = ["sign", "half", "relu_mask", "transposed", "mean_vs_sum", "factor_2", "shape",
             "not_implemented", "timeout", "crash", "tampering", "no_result"]
    tests = [storemod.TestInfo(f"hidden_backward_negative_target_{i}", 2, i % 2 == 0)
             for i in range(12)]
    results = storemod.Store(lab="lab5_softmax_classifier", tests=tests)
    for n in range(40):
        student = f"student-with-a-rather-long-identifier-{n:03d}@university.example.edu"
        results.students[student] = records.Submission(
            student=student, name=f"Maximiliane Wolkenstein-Oberndorfer-{n}", key=f"s{n}",
            tests=[records.TestResult(t.test, 2, 0, t.hidden, codes=codes[: 1 + (n + i) % 12])
                   for i, t in enumerate(tests)])
        results.students[student].flag(records.Status.MISSING_DEFINITION,
                                        "function softmax_cross_entropy_backward_batch")
    final.apply(results, [])
    return report.render(results)


def page_width(page: str, width: int, folder: Path) -> int:
    """How wide ``page`` is in Chromium at a ``width`` px window, every <details> open."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("needs Debian's chromium")
    from playwright.sync_api import sync_playwright

    path = folder / "page.html"
    path.write_text(page, encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        tab = browser.new_page(viewport={"width": width, "height": 900})
        tab.goto(path.as_uri())
        tab.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        found = tab.evaluate("() => document.documentElement.scrollWidth")
        browser.close()
    return found


def test_the_crowded_report_fits_1300_px_with_every_list_open(tmp_path):
    assert page_width(crowded_report(), 1300, tmp_path) <= 1300


def test_mean_and_median_count_only_students_who_handed_in_an_attempt():
    results = storemod.from_json((FILES / "canvas_results.json").read_text(encoding="utf-8"))
    results.students["34567"].flag(records.Status.NOT_ATTEMPTED)
    final.apply(results, [])
    counted = [s.final_points for s in results.students.values() if not any(
        n.status in (records.Status.MISSING, records.Status.NOT_ATTEMPTED) for n in s.statuses)]
    assert len(counted) == len(results.students) - 2
    page = report.render(results)
    assert (f"Of the {len(counted)} students who handed in an attempt: median "
            f"{records.fmt(sorted(counted)[len(counted) // 2])}, mean "
            f"{sum(counted) / len(counted):.2f}") in page
    assert "(1 missing, 1 not attempted: not counted)" in page
    assert f"Score distribution ({len(counted)} students who handed in an attempt)" in page


def tick_labels(svg: str) -> list[tuple[float, float]]:
    """The x extent of each tick label under the histogram's bars (estimated as the page would)."""
    spans = []
    for x, text in re.findall(r'<text x="([\d.]+)" y="\d+" font-size="11" '
                              r'text-anchor="middle">([^<]+)</text>', svg):
        width = report.label_width(text)
        spans.append((float(x) - width / 2, float(x) + width / 2))
    return spans


@pytest.mark.parametrize("scores, max_points", [
    ([0, 3, 12, 20, 20], 20),                          # one bar per point
    ([0, 7, 31, 31], 31),                              # lab 4's 31 points
    ([0, 10.8, 12.6, 19.95], 20),                      # penalties: bins with ranges
    ([0, 25.5, 50], 50),
])
def test_histogram_tick_labels_never_overlap(scores, max_points):
    spans = tick_labels(report.histogram_svg(scores, max_points))
    assert len(spans) >= 4 and spans[0][0] >= 0
    assert all(left[1] < right[0] for left, right in zip(spans, spans[1:])), spans
