"""The class report: one self-contained HTML page (inline SVG, inline CSS, no script, no link).

It answers the instructor's questions after a batch: how are the scores spread (the median,
mean, best score and a histogram of the students who handed in an attempt: ``missing`` and
``not attempted`` rows are counted apart, not as zeros),
which submissions need a look (statuses), which tests failed most, and which *mistakes* the
class made (the mistake codes of ``diagnose``: a missing ReLU mask, a factor 2, a flipped sign):
for each test and each code, how many students hit it and who, in an expandable ``<details>``
list of names, so the instructor can write to everyone with the sign error. Late rows and the
instructor's overrides are marked in the table of submissions, and the overrides are listed
with their reasons. Rows are sorted by name, case-insensitively. The page fits a 1300 px wide
screen without scrolling sideways (tables wrap their text; a test's mistakes are one cell).
It opens offline; everything that comes from a student (ids, names, statuses) is HTML-escaped.
"""
from __future__ import annotations

import collections
import math
import statistics

from coursetools.grading.records import Status, fmt
from coursetools.grading.render.escape import html_text
from coursetools.grading.score.judge import mistake_text
from coursetools.grading.results.store import Store

NOT_COUNTED = (Status.MISSING, Status.NOT_ATTEMPTED)   # no attempt: not in the statistics
CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 75em; padding: 0 1em;
       color: #222; }
table { border-collapse: collapse; margin: 1em 0; max-width: 100%; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: right; vertical-align: top;
         overflow-wrap: anywhere; }
details { margin: 0.1em 0; }
td details { display: inline-block; margin-right: 1.2em; vertical-align: top; }
summary { cursor: pointer; white-space: nowrap; }
svg { max-width: 100%; height: auto; }
th, th:first-child, td:first-child { text-align: left; }
td.zero { color: #aaa; }
th, td.short, td.number { white-space: nowrap; overflow-wrap: normal; }
td.text { text-align: left; }
caption { text-align: left; font-weight: bold; margin-bottom: 0.3em; }
.note { color: #555; }
.warning { color: #a00; }
"""


LABEL_FONT = 11          # px, the tick labels of the histogram
CHAR_WIDTH = 0.62        # a character's width in ems, generous for digits in a sans-serif font


def label_width(text: str, font: float = LABEL_FONT) -> float:
    """The width a tick label takes, estimated (an SVG in a page cannot measure its text)."""
    return len(text) * CHAR_WIDTH * font


def histogram_svg(scores: list[float], max_points: float, width=640, height=300,
                  what: str = "submissions") -> str:
    """Bars of how many students got each score (one bar per point, or 20 bins); every bar is
    labelled, or every second, third... so that no two labels overlap."""
    top = max(max_points, max(scores, default=0), 1)
    integral = float(top).is_integer() and top <= 40 and all(float(x).is_integer() for x in scores)
    bins, step = (int(top) + 1, 1.0) if integral else (20, top / 20)
    counts = [0] * bins
    for score in scores:
        counts[min(bins - 1, int(score / step))] += 1
    left, bottom, right, top_margin = 50, 45, 15, 30
    plot_w, plot_h = width - left - right, height - bottom - top_margin
    highest = max(counts + [1])
    bar_w = plot_w / bins
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="Histogram of the scores">',
             f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14">'
             f'Score distribution ({len(scores)} {html_text(what)})</text>']
    for tick in range(0, highest + 1, max(1, highest // 5)):
        y = top_margin + plot_h - plot_h * tick / highest
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#ddd"/><text x="{left - 6}" y="{y + 4:.1f}" font-size="11" '
                     f'text-anchor="end">{tick}</text>')
    labels = [fmt(i * step) if integral else f"{i * step:.1f}–{(i + 1) * step:.1f}"
              for i in range(bins)]
    every = max(1, math.ceil((max(map(label_width, labels)) + 6) / bar_w))
    for index, count in enumerate(counts):
        x = left + index * bar_w
        h = plot_h * count / highest
        label = labels[index]
        parts.append(f'<rect x="{x + 1:.1f}" y="{top_margin + plot_h - h:.1f}" '
                     f'width="{max(bar_w - 2, 1):.1f}" height="{h:.1f}" fill="#4a7ab5">'
                     f'<title>{html_text(label)} points: {count} students</title></rect>')
        if index % every == 0:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top_margin + plot_h + 14}" '
                         f'font-size="{LABEL_FONT}" text-anchor="middle">{html_text(label)}'
                         '</text>')
    parts += [f'<line x1="{left}" x2="{left + plot_w}" y1="{top_margin + plot_h}" '
              f'y2="{top_margin + plot_h}" stroke="#333"/>',
              f'<text x="{left + plot_w / 2}" y="{height - 8}" text-anchor="middle" '
              f'font-size="12">points (of {fmt(max_points)})</text>',
              f'<text transform="translate(14 {top_margin + plot_h / 2}) rotate(-90)" '
              f'text-anchor="middle" font-size="12">students</text>', "</svg>"]
    return "\n".join(parts)


class Raw(str):
    """A table cell that is already HTML (built here from escaped parts)."""


def _table(caption, header, rows) -> str:
    out = [f"<table><caption>{html_text(caption)}</caption><tr>"
           + "".join(f"<th>{html_text(str(h))}</th>" for h in header) + "</tr>"]
    for row in rows:
        cells = []
        for value in row:
            if not isinstance(value, str):
                css = ' class="number zero"' if value == 0 else ' class="number"'
            elif isinstance(value, Raw) or len(value) > 16 or " " in value:
                css = ' class="text"'               # long student text may wrap anywhere
            else:
                css = ' class="text short"'
            shown = value if isinstance(value, Raw) else html_text(str(value))
            cells.append(f"<td{css}>{shown}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _label(sub) -> str:
    return f"{sub.name} ({sub.student})" if sub.name and sub.name != sub.student else sub.student


def _by_name(subs):
    return sorted(subs, key=lambda s: ((s.name or s.student).casefold(), s.student.casefold(),
                                       s.student))


def who(label: str, subs) -> Raw:
    """``label`` that opens on the sorted names of ``subs``."""
    if not subs:
        return Raw("")
    names = ", ".join(html_text(_label(s)) for s in _by_name(subs))
    return Raw(f"<details><summary>{html_text(label)}</summary>{names}</details>")


def render(store: Store, warning: str = "") -> str:
    """The report page; ``warning`` (e.g. grading without a sandbox) becomes its first line."""
    subs = _by_name(store.students.values())
    counted = [s for s in subs if not _not_counted(s)]
    scores = [s.final_points for s in counted]
    executed = [s for s in subs if s.key is not None]
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>Class report: {html_text(store.lab)}</title><style>{CSS}</style>"
             "</head><body>"]
    if warning:
        parts.append(f"<p class='warning'><strong>{html_text(warning)}</strong></p>")
    parts.append(f"<h1>Class report: {html_text(store.lab)}</h1>")
    left_out = collections.Counter(status.value for s in subs for status in _not_counted(s))
    parts.append(f"<p>{len(subs)} students, {len(executed)} notebooks executed.</p>")
    if scores:
        parts.append(f"<p>Of the {len(counted)} students who handed in an attempt: median "
                     f"{fmt(statistics.median(scores))}, mean {statistics.mean(scores):.2f}, "
                     f"best {fmt(max(scores))} of {fmt(store.max_points)} points"
                     + (" (" + ", ".join(f"{n} {status}" for status, n in
                                         sorted(left_out.items())) + ": not counted)"
                        if left_out else "") + ".</p>")
    else:
        parts.append("<p>No submissions with an attempt.</p>")
    parts.append(histogram_svg(scores, store.max_points, what="students who handed in an "
                                                               "attempt"))
    statuses = collections.defaultdict(list)
    for sub in subs:
        for note in sub.statuses or [None]:
            statuses[note.text if note else "ok"].append(sub)
    parts.append(_table("Statuses (a submission can have several)", ["status", "submissions"],
                        [[status, who(str(len(rows)), rows)] for status, rows in
                         sorted(statuses.items(), key=lambda i: (-len(i[1]), i[0]))]))
    parts += _mistake_tables(store, executed)
    parts += _answer_table(store, subs)
    parts += _lms_tables(store, subs)
    parts.append(_table("Submissions (✎: corrected by an override)",
                        ["student", "name", "points", "late", "✎", "status"],
                        [[s.student, s.name, fmt(s.final_points),
                          fmt(s.late_days) if s.late_days else "",
                          "✎" if _overridden(s) else "", s.status_text] for s in subs]))
    parts.append("<p class='note'>Generated by <code>coursetools grade</code>.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _not_counted(sub) -> list[Status]:
    """The statuses that leave a row out of the mean, median and histogram: nothing to grade."""
    return [n.status for n in sub.statuses if n.status in NOT_COUNTED]


def _answer_table(store: Store, subs) -> list[str]:
    """Per written answer: its page, the answers graded and still to grade, the mean points."""
    if not store.answers:
        return []
    rows = []
    for answer in store.answers:
        graded = [s for s in subs if answer.id in s.answer_points]
        todo = [s for s in subs if s.answers.get(answer.id) and answer.id not in s.answer_points]
        mean = statistics.mean(s.answer_points[answer.id]["points"] for s in graded) \
            if graded else None
        link = Raw(f"<a href='answers/{html_text(answer.id)}.html'>"
                   f"{html_text(answer.id)}</a>")
        rows.append([link, fmt(answer.points), len(graded), who(str(len(todo)), todo) if todo
                     else 0, f"{mean:.2f}" if mean is not None else ""])
    return [_table("Written answers, graded by hand (manual.csv)",
                   ["answer", "points", "graded", "to grade", "mean points"], rows)]


def _overridden(sub) -> bool:
    return any(not c.by_rule for c in sub.adjustments)


def _lms_tables(store: Store, subs) -> list[str]:
    parts = []
    late = [s for s in subs if s.late_days > 0]
    if late or store.late_penalty or store.deadline:
        rule = store.late_penalty or "none"
        parts.append(f"<div><p>Late: {len(late)} submissions (deadline "
                     f"{html_text(store.deadline or 'not given')}, penalty rule "
                     f"<code>{html_text(rule)}</code>).</p>{who('who', late)}</div>")
    changes = [(s, c) for s in subs for c in s.adjustments if not c.by_rule]
    if changes:
        parts.append(_table("Overrides (overrides.csv)", ["student", "what", "before", "after",
                                                          "reason"],
                            [[_label(s), c.target, fmt(c.before), fmt(c.after),
                              c.reason] for s, c in changes]))
    return parts


def _mistake_tables(store: Store, executed) -> list[str]:
    per_test = {t.test: collections.defaultdict(list) for t in store.tests}
    students_per_code = collections.defaultdict(list)
    passed, failed = collections.defaultdict(list), collections.defaultdict(list)
    for sub in executed:
        for test in sub.tests:
            (passed if test.passed else failed)[test.test].append(sub)
            for code in test.codes:
                per_test[test.test][code].append(sub)
                if sub not in students_per_code[code]:
                    students_per_code[code].append(sub)
    codes = sorted(students_per_code, key=lambda c: (-len(students_per_code[c]), c))
    rows = [[t.test, "hidden" if t.hidden else "visible", len(passed[t.test]),
             who(str(len(failed[t.test])), failed[t.test]) if failed[t.test] else 0,
             Raw("".join(who(f"{c}: {len(per_test[t.test][c])}", per_test[t.test][c])
                         for c in codes if per_test[t.test][c]))]
            for t in store.tests]
    return [_table("Tests: students who passed, failed, and hit each mistake code (open a "
                   "line for the names)", ["test", "kind", "passed", "failed", "mistakes"], rows),
            _table("Mistake codes", ["code", "meaning", "students"],
                   [[c, mistake_text(c), who(str(len(students_per_code[c])),
                                             students_per_code[c])] for c in codes])]
