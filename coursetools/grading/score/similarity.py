"""Similarity of graded code: pairs of students, and each student against the course's solution.

The comparison is copydetect's (fingerprints of every 25-character piece of the code after its
tokenizer has replaced every name by one letter and dropped layout and comments; the method of
MOSS, Schleimer et al.'s "Winnowing", with a window of one, see ``WINDOW``); this module is only
the glue around it:

- what is compared is each student's **graded code**: the top-level definitions the grader
  extracts (``lab.extract``), imports left out, and every statement that is word for word a
  statement of the **student lab** (the given code and the skeleton everyone downloads) left
  out as well; the fingerprints of the student lab's code are copydetect's ``boilerplate``, so
  what is left of the skeleton inside an edited function (signatures, docstrings, given lines)
  does not count either;
- the **course's solution** (the instructor notebook's definitions, handled the same way) is
  one more participant, so a copy of the published solution shows as a pair too;
- a pair is flagged when the share of one side's fingerprinted code found in the other
  reaches the threshold (``DEFAULT_THRESHOLD`` unless the instructor gives another).

A flagged pair is a reason to read two notebooks side by side, never a finding: short
functions written from the same lecture can look alike, and a student who rewrites what they
copied may not be flagged. Nothing here changes a grade.
"""
from __future__ import annotations

import dataclasses
import io
import itertools

import nbformat
from copydetect import CodeFingerprint, compare_files

from coursetools import cells as cellmod, student_labs
from coursetools.grading.lab import extract
from coursetools.kernel import checks

SOLUTION = "course solution"      # the name of the course's solution among the students
DEFAULT_THRESHOLD = 0.6           # share of one side's fingerprinted code found in the other
NOISE = 25                        # copydetect's default: k-grams of 25 filtered characters
# copydetect hashes k-grams with Python's hash(), salted per process: winnowing (keeping the
# smallest hash of each window) would keep other fingerprints in every run, and the scores
# would change from one render to the next. A window of 1 keeps every k-gram, so the result
# depends only on which pieces of 25 filtered characters two codes share: the same every time.
WINDOW = 1
MIN_TOKENS = 100                  # less fingerprinted code than this is not compared


@dataclasses.dataclass
class Pair:
    """Two participants whose graded code is similar (``a`` < ``b``; ``b`` may be SOLUTION)."""

    a: str
    b: str
    score_a: float                 # share of a's fingerprinted code also found in b's
    score_b: float
    code_a: str
    code_b: str
    spans_a: list[tuple[int, int]]  # the matching parts, as character ranges of code_a
    spans_b: list[tuple[int, int]]

    @property
    def score(self) -> float:
        return max(self.score_a, self.score_b)


def kept(codes: list[extract.CellCode]) -> list[str]:
    """The source of every kept statement but imports, in notebook order."""
    return [s.source.strip() for c in codes for s in c.statements if s.kind != "import"]


def notebook_code(nb) -> list[str]:
    """The statements the grader keeps from a notebook (helper cell and imports left out)."""
    return kept(extract.extract_notebook(nb, reserved=frozenset(checks.PUBLIC),
                                          skip=cellmod.is_helper_cell))


def lab_code(path) -> tuple[list[str], list[str]]:
    """(given, solution): the statements of the student lab generated from the instructor
    notebook at ``path`` (what every student starts from), and of the instructor notebook."""
    nb = nbformat.read(str(path), as_version=4)
    return notebook_code(student_labs.student_notebook(nb)), notebook_code(nb)


def student_part(statements: list[str], given: list[str]) -> str:
    """The statements that are not word for word in the given code: what the student wrote."""
    shared = {_layout(s) for s in given}
    return "\n\n".join(s for s in statements if _layout(s) not in shared)


def _layout(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _fingerprint(name: str, code: str, boilerplate) -> CodeFingerprint:
    return CodeFingerprint(f"{name}.py", NOISE, WINDOW, boilerplate=boilerplate,
                           fp=io.StringIO(code), language="python")


def _boilerplate(given: str):
    import numpy as np

    if not given.strip():
        return None
    return np.array(sorted(_fingerprint("given", given, None).hashes))


def _spans(slices) -> list[tuple[int, int]]:
    if len(slices) == 0 or len(slices[0]) == 0:
        return []
    return [(int(start), int(end)) for start, end in zip(slices[0], slices[1])]


def compare(codes: dict[str, str], given: list[str], solution: list[str],
            threshold: float = DEFAULT_THRESHOLD) -> list[Pair]:
    """The flagged pairs among ``codes`` (participant -> its student-written code) and the
    solution, most similar first. ``given``: the student lab's code (never counted)."""
    boilerplate = _boilerplate("\n\n".join(given))
    everyone = dict(sorted(codes.items()))
    if solution:
        everyone[SOLUTION] = student_part(solution, given)
    prints = {name: _fingerprint(name, code, boilerplate) for name, code in everyone.items()
              if code.strip()}
    prints = {name: fp for name, fp in prints.items() if fp.token_coverage >= MIN_TOKENS}
    pairs = []
    for a, b in itertools.combinations(prints, 2):
        if a == SOLUTION:
            a, b = b, a
        _, (score_a, score_b), (slices_a, slices_b) = compare_files(prints[a], prints[b])
        pair = Pair(a, b, float(score_a), float(score_b), prints[a].raw_code,
                    prints[b].raw_code, _spans(slices_a), _spans(slices_b))
        if pair.score >= threshold:
            pairs.append(pair)
    return sorted(pairs, key=lambda p: (-p.score, p.a, p.b))
