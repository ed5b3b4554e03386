"""Escaping: every text that came from a student (file names, ids, names, notes on cells, kernel
output) passes through the function of the format it is written into, here and nowhere else.

One function per output format (and, for Markdown, per place in the page):

- A terminal (the command's summary): ``terminal_text``, control characters (escape
  sequences that could move the cursor, recolour or retitle the terminal) shown as ``\x1b``.
- CSV (``grades.csv``, the LMS imports): ``safe_cell``, a cell that no spreadsheet evaluates as
  a formula (a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, also
  after leading spaces, gets a leading ``'``); quoting is the ``csv`` module's.
- HTML (``feedback/*.html``, ``report.html``): ``html_text``, the five characters that HTML
  reads as markup (``& < > " '``) as entities, so a text is never a tag or an attribute.
- Markdown (``feedback/*.md``): ``markdown_text`` for running text (the ASCII punctuation
  that CommonMark or GitHub's Markdown reads as inline syntax anywhere, and the characters that
  start a block at the start, are backslash-escaped, new lines become spaces: no text becomes
  a tag, a link, an image, emphasis, maths, a heading, a list, a quote or a table cell);
  ``markdown_code`` for an inline code span and
  ``markdown_block`` for a fenced block: both keep the text exactly as written and choose a
  fence of backticks longer than any run of backticks in the text, so nothing can close them.
  Inside a table row, ``|`` is escaped in code spans too (GitHub splits cells on it first).

A viewer does not run what these return: the tests feed them hostile names, code cells and
outputs (``<img src=x onerror=...>``, backticks, ``](javascript:...)``, ``|``, new lines).
"""
from __future__ import annotations

import html
import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# CommonMark lets a backslash escape any ASCII punctuation. Inline syntax anywhere in a line:
# (``_`` only where it may open or close emphasis: not inside a word, as in ``lab1_scalar``)
MARKDOWN_INLINE = re.compile(r"[\\`*\[\]<|~&$]|_+")
# ... and what starts a block at the start of a line (a heading, list, quote, rule, fence):
MARKDOWN_BLOCK_START = re.compile(r"^(\s*\d*)([#\-+=.)>])")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
NEW_LINES = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")


def safe_cell(text: str) -> str:
    """A CSV cell that no spreadsheet will evaluate as a formula."""
    text = str(text)
    return "'" + text if text.lstrip(" ").startswith(FORMULA_STARTS) else text


def terminal_text(text: str) -> str:
    """A line for the instructor's terminal: no control character acts, each is shown escaped."""
    return CONTROL.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), str(text))


def html_text(text: str) -> str:
    """Text for HTML content or a quoted attribute value."""
    return html.escape(str(text), quote=True)


def _one_line(text: str) -> str:
    return NEW_LINES.sub(" ", str(text))


def markdown_text(text: str) -> str:
    """Running Markdown text that shows ``text`` as it is and is never markup (one line)."""
    line = _one_line(text)

    def escaped(match: re.Match) -> str:
        start, end = match.span()
        if match[0][0] == "_" and 0 < start and end < len(line) and line[start - 1].isalnum() \
                and line[end].isalnum():
            return match[0]
        return "".join("\\" + c for c in match[0])

    escaped = MARKDOWN_INLINE.sub(escaped, line)
    return MARKDOWN_BLOCK_START.sub(lambda m: m[1] + "\\" + m[2], escaped)


def _fence(text: str, shortest: int) -> str:
    runs = [len(run) for run in re.findall(r"`+", text)]
    return "`" * max([shortest, *(n + 1 for n in runs)])


def markdown_code(text: str, in_table: bool = False) -> str:
    """An inline code span showing ``text`` literally (one line)."""
    text = _one_line(text)
    if in_table:
        text = text.replace("|", "\\|")
    fence = _fence(text, 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip(" ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def markdown_block(text: str, info: str = "text") -> str:
    """A fenced code block showing ``text`` literally (its lines kept)."""
    text = str(text).rstrip()
    fence = _fence(text, 3)
    return f"{fence}{info}\n{text}\n{fence}"
