"""score.similarity: a copied pair is flagged after renaming and reformatting; independent
solutions, the code the student lab gives everyone, and tiny code are not."""
from __future__ import annotations

import nbformat
import pytest

from coursetools.grading.score import similarity
from tests.conftest import FILES, ROOT

GIVEN, SOLUTION = similarity.lab_code(ROOT / "solutions" / "lab1_scalar.ipynb")


def statements(source: str) -> list[str]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    return similarity.notebook_code(nb)


def written(name: str, before: str = "") -> str:
    """The student-written part of a fixture solution (``before``: code above it)."""
    source = (FILES / "similarity" / f"{name}.py").read_text(encoding="utf-8")
    return similarity.student_part(statements(before + source), GIVEN)


def flagged(pairs) -> set[frozenset]:
    return {frozenset((p.a, p.b)) for p in pairs}


def test_the_lab_code_is_the_skeleton_and_the_solution():
    assert any('raise NotImplementedError("forward' in s for s in GIVEN)
    assert any("relative_error" in s for s in GIVEN)           # given code of the lab
    assert not any("import" in s.split("\n")[0] for s in GIVEN + SOLUTION)
    assert not any("NotImplementedError" in s for s in SOLUTION)


def test_a_renamed_and_reformatted_copy_is_flagged_and_independent_work_is_not():
    codes = {name: written(name) for name in ("independent_a", "independent_b", "copy_of_a")}
    pairs = similarity.compare(codes, GIVEN, SOLUTION)
    assert flagged(pairs) == {frozenset(("copy_of_a", "independent_a"))}
    [pair] = pairs
    assert pair.score_a > 0.9 and pair.score_b > 0.9
    assert pair.spans_a and all(0 <= s < e <= len(pair.code_a) for s, e in pair.spans_a)
    everything = similarity.compare(codes, GIVEN, SOLUTION, threshold=0.01)
    assert max(p.score for p in everything if "copy_of_a" not in (p.a, p.b)
               or "independent_a" not in (p.a, p.b)) < 0.3


def test_a_copy_of_the_course_solution_is_flagged_against_it():
    pasted = similarity.student_part(SOLUTION, GIVEN)
    codes = {"pasted": pasted.replace("y1_relu", "h").replace("    ", "  "),
             "honest": written("independent_b")}
    pairs = similarity.compare(codes, GIVEN, SOLUTION)
    assert flagged(pairs) == {frozenset(("pasted", similarity.SOLUTION))}
    assert pairs[0].b == similarity.SOLUTION


def test_the_skeleton_everyone_downloads_does_not_count():
    # Both students keep the lab's code, lightly edited, above their own: without the student
    # lab subtracted the pair would be flagged; with it, it is not.
    kept = "\n\n".join(s.replace("):\n", "):  # from the lab\n", 1) for s in GIVEN) + "\n\n"
    assert all(similarity.student_part(statements(s), GIVEN) for s in kept.split("\n\n\n"))
    raw = {n: similarity.student_part(statements(kept + (FILES / "similarity" / f"{n}.py")
                                                 .read_text()), [])
           for n in ("independent_a", "independent_b")}
    assert flagged(similarity.compare(raw, [], []))                       # the trap is real
    codes = {n: written(n, before=kept) for n in ("independent_a", "independent_b")}
    assert not flagged(similarity.compare(codes, GIVEN, SOLUTION))


def test_the_given_code_word_for_word_is_left_out_of_what_a_student_wrote():
    assert similarity.student_part(GIVEN, GIVEN) == ""
    assert written("independent_a", before="\n\n".join(GIVEN) + "\n\n") == \
        written("independent_a")


@pytest.mark.parametrize("code", ["", "def loss(a, b):\n    return (a - b) ** 2\n"])
def test_empty_or_tiny_code_is_not_compared(code):
    assert not similarity.compare({"x": code, "y": code}, GIVEN, [])


def test_the_threshold_decides():
    codes = {name: written(name) for name in ("independent_a", "independent_b")}
    [pair] = similarity.compare(codes, GIVEN, [], threshold=0.01)
    assert not similarity.compare(codes, GIVEN, [], threshold=pair.score + 1e-9)
    assert similarity.compare(codes, GIVEN, [], threshold=pair.score)


@pytest.mark.slow     # three fresh interpreters
def test_the_scores_do_not_depend_on_the_process_hash_seed():
    """copydetect hashes with Python's salted hash(): the scores must not change between runs."""
    import os
    import subprocess
    import sys

    script = ("from tests.grading.score import test_similarity as t\n"
              "codes = {n: t.written(n) for n in ('independent_a', 'independent_b', 'copy_of_a')}\n"
              "for p in t.similarity.compare(codes, t.GIVEN, t.SOLUTION, threshold=0.01):\n"
              "    print(p.a, p.b, p.score_a, p.score_b, p.spans_a)\n")
    outputs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              check=True, cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed}
                              ).stdout for seed in ("1", "2", "3")}
    assert len(outputs) == 1 and outputs.pop().count("\n") == 6
