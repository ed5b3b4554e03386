"""Escaping: every text that came from a student (file names, ids, names, cell text, kernel
output) passes through the function of the format it is written into, here and nowhere else.

- ``safe_cell``: a CSV cell that no spreadsheet evaluates as a formula (a cell starting with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``).
"""
from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """A text cell that no spreadsheet will evaluate as a formula."""
    text = str(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
