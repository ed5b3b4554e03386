"""What reaches a student holds nothing a student may not see (grading issue 22, items 1-2).

The attacks, through the real command and its sandbox: a student's function raises an error
carrying what it can read in its kernel - the helpers' state (where the seed was), every
source the kernel has seen (``linecache``: the hidden test cells with their private inputs,
the isolation cells with the official code of earlier functions) - and a wrong ``backward``
whose feedback would be the first page of an answer key (the graded inputs and their expected
values, collected over resubmissions). Grading uses a private seed.
"""
from __future__ import annotations

import re
import subprocess
import sys

import nbformat
import pytest

from coursetools.grading import pipeline
from coursetools.grading.lab import build
from coursetools.grading.records import Submission
from coursetools.kernel import protocol
from tests import grading_inprocess
from tests import grading_submissions as subs
from tests.conftest import ROOT

pytestmark = pytest.mark.kernel

SEED = "private-seed-7f3a"

LEAK_STATE = '''
def forward(x, w1, w2):
    """Raise what the helpers hold: before, the seed of the (private) instructor copy."""
    import sys
    session = sys.modules["coursetools_checks"].SESSION
    raise ValueError("LEAK " + repr({k: getattr(session, k) for k in ("nonce", "mode", "contract")}))
'''

LEAK_SOURCES = '''
def backward(x, w1, w2, y_true):
    """Raise every source the kernel has seen: hidden test cells, official definitions."""
    import linecache
    text = " | ".join("".join(lines) for _, _, lines, _ in
                      [entry for entry in linecache.cache.values() if len(entry) == 4])
    raise ValueError("LEAK " + text[:290])


def backward_everything():
    import linecache
    return linecache.cache
'''


def _grade(folder, out):
    return subprocess.run([sys.executable, "-m", "coursetools", "grade", "--lab", subs.LAB,
                           "--submissions", str(folder), "--out", str(out), "--seed", SEED,
                           "--jobs", "2", "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=1500)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("secrets")
    wrong = subs.solution_with("backward", "2.0 * (y2_pred - y_true)", "(y2_pred - y_true)")
    notebooks = {
        "leak_state": subs.submission(replace={"forward": LEAK_STATE}),
        "leak_sources": subs.submission(replace={"backward": LEAK_SOURCES}),
        "wrong_backward": subs.submission(replace={"backward": wrong}),
    }
    for name, nb in notebooks.items():
        nbformat.write(nb, folder / f"{name}.ipynb")
    out = tmp_path_factory.mktemp("out")
    run = _grade(folder, out)
    assert run.returncode == 0, run.stderr
    pages = {path.stem: path.read_text(encoding="utf-8")
             for path in (out / "feedback").glob("*.md")}
    pages.update({path.stem + ".html": path.read_text(encoding="utf-8")
                  for path in (out / "feedback").glob("*.html")})
    lab = grading_inprocess.lab(subs.LAB)
    keys = {name: build.inputs_key(SEED, pipeline.prepare(
        Submission(student=name, raw=nbformat.writes(nb).encode()), lab, {}))
        for name, nb in notebooks.items()}
    return {"rows": subs.grades_by_student(out), "pages": pages, "names": set(notebooks),
            "keys": keys}


def _private_lines() -> set[str]:
    """Every code line of the instructor notebook that the student's lab does not show:
    hidden tests with their inputs, official solutions."""
    solution = nbformat.read(ROOT / "solutions" / f"{subs.LAB}.ipynb", as_version=4)
    public = "\n".join(c.source for c in subs.student_notebook().cells)
    return {line.strip() for cell in solution.cells if cell.cell_type == "code"
            for line in cell.source.splitlines()
            if len(line.strip()) > 15 and line.strip() not in public}


def test_every_attacker_has_a_row(graded):
    assert graded["names"] <= set(graded["rows"])


def test_no_seed_key_hidden_test_or_official_code_reaches_feedback(graded):
    private = _private_lines()
    assert len(private) > 10
    for name, text in graded["pages"].items():
        assert "LEAK" not in text, name
        assert SEED not in text, name
        assert not any(key in text for key in graded["keys"].values()), name
        for line in private:
            assert line not in text, (name, line)


def test_the_attacks_cost_what_their_honest_code_would(graded):
    rows = graded["rows"]
    # forward raising: the tests of forward fail, the others run with the official forward.
    assert 0 < float(rows["leak_state"]["points"]) < 20
    assert float(rows["leak_sources"]["points"]) == float(rows["wrong_backward"]["points"])


def _numbers(text: str) -> list[float]:
    return [float(m) for m in re.findall(r"-?\d+\.\d{2,}(?:e-?\d+)?", text)]


def test_feedback_shows_neither_the_graded_inputs_nor_their_expected_values(graded):
    """So a lookup table filled from previous feedback has nothing to be filled with: a
    `backward` that answers from it gains no point by resubmission."""
    key = graded["keys"]["wrong_backward"]
    refs = grading_inprocess.reference(subs.LAB, SEED, key).of(key)
    secret = []
    for ref in refs.values():
        for call in ref.calls:
            for encoded in [*call["args"].values(), *call["outputs"]]:
                value = protocol.decode(encoded)
                secret += [float(v) for v in value.ravel() if abs(float(v)) > 1e-3]
    assert secret
    page = graded["pages"]["wrong_backward"]
    assert "backward" in page and "hint [" in page, "the feedback still names the mistake"
    for shown in _numbers(page):
        assert not any(abs(shown - s) <= 1e-3 * max(1.0, abs(s)) for s in secret), shown
