"""Output: the feedback page of one student as a self-contained HTML page (``feedback/<id>.html``).

The same document as the Markdown page (``feedback.document``), for an LMS that shows HTML
feedback files, or to open in any browser: inline CSS, no script, no font or style sheet from
a network, so it reads the same offline. The feedback's formulas are plain text
(``2 * (y2_pred - y_true)``), shown in monospace blocks that wrap on a phone; nothing needs a
maths renderer. Everything is HTML-escaped.
"""
from __future__ import annotations

from coursetools.grading.render import feedback
from coursetools.grading.render.escape import html_text
from coursetools.grading.records import Submission
from coursetools.grading.results.store import Store

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; line-height: 1.45;
       margin: 1.5em auto; max-width: 52em; padding: 0 1em; color: #222;
       overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 0.8em 0; width: 100%; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.5em; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
th, td:nth-child(2), td:nth-child(3) { overflow-wrap: normal; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: 0.6em; white-space: pre-wrap;
      overflow-wrap: anywhere; font-size: 0.9em; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
h3 { margin-top: 1.4em; }
"""


def _inline(parts: feedback.Inline) -> str:
    out = []
    for style, value in parts:
        value = html_text(str(value))
        out.append({"code": f"<code>{value}</code>",
                    "strong": f"<strong>{value}</strong>"}.get(style, value))
    return "".join(out)


def page(blocks: list, title: str) -> str:
    parts = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width, initial-scale=1'>",
             f"<title>{html_text(title)}</title><style>{CSS}</style></head><body>"]
    for kind, content in blocks:
        if kind in ("h1", "h2", "h3", "p"):
            parts.append(f"<{kind}>{_inline(content)}</{kind}>")
        elif kind == "ul":
            parts.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in content) + "</ul>")
        elif kind == "pre":
            parts.append(f"<pre>{html_text(content.rstrip())}</pre>")
        elif kind == "table":
            header, rows = content
            parts.append("<table><tr>" + "".join(f"<th>{html_text(h)}</th>" for h in header)
                         + "</tr>" + "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>"
                                                               for c in row) + "</tr>"
                                             for row in rows) + "</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def render(store: Store, sub: Submission) -> str:
    """The HTML feedback page of one student."""
    return page(feedback.document(store, sub), f"Feedback: {store.lab}: {sub.name or sub.student}")
