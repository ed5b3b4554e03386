"""The similarity report ``OUT/similarity.html``: flagged pairs of graded code, side by side.

One self-contained page (inline CSS, no script, no link, nothing fetched), written from the
results store alone, so ``render`` and ``merge`` rewrite it like every other output. It lists
the threshold and what a flag means and does not mean, then for each flagged pair (two
students, or a student and the course's solution, ``score.similarity.SOLUTION``) both scores and
both codes next to each other with the matching parts marked. Every character of code comes
from a student and is HTML-escaped. It never changes a grade: the gradebook, the feedback and
the LMS exports do not read it.
"""
from __future__ import annotations

import html

from coursetools.grading.results.store import Store
from coursetools.grading.score import similarity

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 100em; padding: 0 1em;
       color: #222; }
table.pair { border-collapse: collapse; width: 100%; table-layout: fixed; margin: 0.5em 0 2em; }
table.pair th, table.pair td { border: 1px solid #bbb; padding: 0.3em 0.6em; vertical-align: top;
                               text-align: left; }
pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.85em; }
mark { background: #ffe08a; }
.note { color: #555; }
"""

MEANING = (
    "Each student's graded code (the definitions the grader extracts; imports and the code the "
    "student lab already gives everyone left out) was compared with every other student's and "
    "with the course's solution by copydetect: names are replaced by placeholders, layout and "
    "comments ignored, and winnowed fingerprints of what is left are matched (the method of "
    "MOSS). A pair is listed when at least {threshold} of one side's fingerprinted code is "
    "also in the other; marked text is the matching code.")
CAVEATS = (
    "A listed pair is a reason to read both notebooks, not evidence of copying: short functions "
    "written from the same lecture can look alike, two students may have worked together as "
    "allowed, or both may have used the same public source. A pair that is not listed is not "
    "proof of independent work: heavy rewriting defeats any fingerprint. Nothing on this page "
    "changes a grade.")


def _percent(value: float) -> str:
    return f"{100 * value:.0f} %"


def marked(code: str, spans: list[tuple[int, int]]) -> str:
    """``code`` HTML-escaped, with the ``spans`` (character ranges) in ``<mark>``."""
    parts, position = [], 0
    for start, end in sorted(spans):
        start = max(start, position)
        if end <= start:
            continue
        parts += [html.escape(code[position:start]), "<mark>",
                  html.escape(code[start:end]), "</mark>"]
        position = end
    parts.append(html.escape(code[position:]))
    return "".join(parts)


def _who(store: Store, student: str) -> str:
    if student == similarity.SOLUTION:
        return "<em>the course's solution</em>"
    sub = store.students.get(student)
    name = f" ({html.escape(sub.name)})" if sub is not None and sub.name else ""
    return f"<code>{html.escape(student)}</code>{name}"


def _pair(store: Store, number: int, pair: similarity.Pair) -> str:
    return (f'<h2 id="pair-{number}">{number}. {_who(store, pair.a)} and {_who(store, pair.b)}'
            f"</h2>\n<table class=\"pair\"><tr>"
            f"<th>{_who(store, pair.a)}: {_percent(pair.score_a)} of its code also in the other"
            f"</th><th>{_who(store, pair.b)}: {_percent(pair.score_b)} of its code also in the "
            f"other</th></tr>\n<tr><td><pre>{marked(pair.code_a, pair.spans_a)}</pre></td>"
            f"<td><pre>{marked(pair.code_b, pair.spans_b)}</pre></td></tr></table>")


def render(store: Store, pairs: list[similarity.Pair], threshold: float) -> str:
    """The page for the flagged ``pairs`` found with ``threshold``."""
    compared = sum(1 for s in store.students.values() if s.code.strip())
    rows = "".join(f'<tr><td><a href="#pair-{n}">{n}</a></td><td>{_who(store, p.a)}</td>'
                   f"<td>{_who(store, p.b)}</td><td>{_percent(p.score_a)}</td>"
                   f"<td>{_percent(p.score_b)}</td></tr>\n" for n, p in enumerate(pairs, 1))
    summary = (f"<table><tr><th>pair</th><th>first</th><th>second</th><th>first in second</th>"
               f"<th>second in first</th></tr>\n{rows}</table>" if pairs else
               "<p>No pair reaches the threshold.</p>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>Similarity: {html.escape(store.lab)}</title><style>{CSS}</style></head>"
            f"<body>\n<h1>Similarity of the graded code: {html.escape(store.lab)}</h1>\n"
            f"<p>{MEANING.format(threshold=_percent(threshold))}</p>\n"
            f'<p class="note">{CAVEATS}</p>\n'
            f"<p>Threshold: {_percent(threshold)} (change it with <code>--similarity-threshold"
            f"</code> of <code>coursetools grade</code> or <code>render</code>). Compared: "
            f"{compared} students with code of their own, and the course's solution. "
            f"Flagged pairs: {len(pairs)}.</p>\n{summary}\n"
            + "\n".join(_pair(store, n, p) for n, p in enumerate(pairs, 1))
            + "\n</body></html>\n")


def page(store: Store) -> str:
    """The page of ``store``: its students' code, with the class's threshold (else the default)."""
    threshold = similarity.DEFAULT_THRESHOLD if store.similarity_threshold is None \
        else store.similarity_threshold
    codes = {s.student: s.code for s in store.students.values() if s.code.strip()}
    pairs = similarity.compare(codes, store.given_code, store.solution_code, threshold)
    return render(store, pairs, threshold)
