"""Output: one page per written answer (``answers/<id>.html``) and its CSV template
(``answers/<id>.csv``), for grading by hand.

The page shows the question, the rubric and the model answer, then every student's answer side
by side, each with a points field (0..N) and a comment field prefilled from ``manual.csv``. Its
button *Export points as CSV* downloads the fields as ``student,answer,points,comment`` lines,
the format of ``manual.csv`` (plain JavaScript in the page, nothing from a network; it works
from a file opened in any browser). The template has the same columns, one line per student
with an answer, the points given so far filled in.

A student's answer is hostile text: it is HTML-escaped and shown as preformatted text, never
rendered as Markdown or HTML; ids go into attributes escaped too, and the CSV cells the page and
the template write are made safe for spreadsheets (``escape.safe_cell``).
"""
from __future__ import annotations

import csv
import html
import io

from coursetools.grading.records import Submission, fmt
from coursetools.grading.render.escape import safe_cell
from coursetools.grading.results.store import AnswerInfo, Store

FOLDER = "answers"

CSS = """
body { font-family: system-ui, sans-serif; line-height: 1.45; margin: 1.5em; color: #222; }
.answers { display: grid; grid-template-columns: repeat(auto-fill, minmax(22em, 1fr)); gap: 1em; }
.answer { border: 1px solid #bbb; border-radius: 4px; padding: 0.6em; }
.answer.todo { border-color: #c60; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f6; padding: 0.5em;
      font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.9em; }
input.points { width: 5em; } input.comment { width: 100%; box-sizing: border-box; }
.model { border-left: 4px solid #4a4; padding-left: 0.8em; }
"""

# Reads every points field of the page and downloads them in manual.csv's format.
SCRIPT = """
function csvCell(text) {
  text = String(text);
  if (/^[=+\\-@\\t\\r]/.test(text)) { text = "'" + text; }
  return /[",\\r\\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
}
function exportPoints() {
  var lines = ["student,answer,points,comment"];
  var cards = document.querySelectorAll(".answer");
  for (var i = 0; i < cards.length; i++) {
    var card = cards[i];
    lines.push([card.dataset.student, card.dataset.answer,
                card.querySelector(".points").value.trim(),
                card.querySelector(".comment").value].map(csvCell).join(","));
  }
  var blob = new Blob([lines.join("\\n") + "\\n"], {type: "text/csv"});
  var link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = document.body.dataset.answer + "-points.csv";
  document.body.appendChild(link);
  link.click();
  link.remove();
}
"""


def answered(store: Store, answer: AnswerInfo) -> list[Submission]:
    """The rows with something to grade for ``answer``: an answer, or points given already."""
    return [s for s in store.sorted_students()
            if s.answers.get(answer.id) or answer.id in s.answer_points]


def _card(sub: Submission, answer: AnswerInfo) -> str:
    given = sub.answer_points.get(answer.id)
    points = fmt(given["points"]) if given else ""
    comment = given["comment"] if given else ""
    who = sub.student + (f" ({sub.name})" if sub.name else "")
    text = sub.answers.get(answer.id) or "(no answer in the notebook)"
    return (f"<div class='answer{'' if given else ' todo'}' data-student='{html.escape(sub.student)}' "
            f"data-answer='{html.escape(answer.id)}'>"
            f"<h3>{html.escape(who)}</h3><pre>{html.escape(text)}</pre>"
            f"<label>points (0 to {fmt(answer.points)}): <input class='points' type='number' "
            f"min='0' max='{fmt(answer.points)}' step='any' value='{html.escape(points)}'></label>"
            f"<label>comment for the student: <input class='comment' type='text' "
            f"value='{html.escape(comment)}'></label></div>")


def page(store: Store, answer: AnswerInfo) -> str:
    """The grading page of one written answer (see the module docstring)."""
    rows = answered(store, answer)
    missing = [s for s in store.sorted_students() if s.answers.get(answer.id) is None
               and s.answers and answer.id not in s.answer_points]
    rubric = "".join(f"<li><strong>{fmt(level)}</strong>: {html.escape(criterion)}</li>"
                     for level, criterion in answer.rubric)
    todo = sum(1 for s in rows if answer.id not in s.answer_points)
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             f"<title>{html.escape(store.lab)}: {html.escape(answer.id)}</title>",
             f"<style>{CSS}</style><script>{SCRIPT}</script></head>",
             f"<body data-answer='{html.escape(answer.id)}'>",
             f"<h1>{html.escape(store.lab)}: written answer {html.escape(answer.id)} "
             f"({fmt(answer.points)} points)</h1>",
             f"<p>{len(rows)} answers, {todo} to grade. Give points and comments below, press "
             "<button type='button' onclick='exportPoints()'>Export points as CSV</button>, and "
             f"put the lines into <code>manual.csv</code> of this results folder; then run "
             "<code>coursetools render --out FOLDER</code>.</p>",
             "<h2>Question</h2>", f"<pre>{html.escape(answer.question)}</pre>"]
    if rubric:
        parts += ["<h2>Rubric</h2>", f"<ul>{rubric}</ul>"]
    parts += ["<h2>Model answer</h2>", f"<div class='model'><pre>{html.escape(answer.model)}</pre></div>",
              "<h2>Answers</h2>", "<div class='answers'>",
              *(_card(sub, answer) for sub in rows), "</div>"]
    if missing:
        parts.append("<p>No answer cell found (the marker line was deleted or changed): "
                     + ", ".join(f"<code>{html.escape(s.student)}</code>" for s in missing)
                     + ". Look at their notebooks; points for them go into manual.csv too.</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def template(store: Store, answer: AnswerInfo) -> str:
    """``student,answer,points,comment`` for every row with an answer (points given so far)."""
    handle = io.StringIO()
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(["student", "answer", "points", "comment"])
    for sub in answered(store, answer):
        given = sub.answer_points.get(answer.id)
        writer.writerow([safe_cell(sub.student), answer.id, fmt(given["points"]) if given else "",
                         safe_cell(given["comment"]) if given else ""])
    return handle.getvalue()

