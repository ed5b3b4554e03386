"""coursetools.grading.lab.build.inputs_key: the graded inputs come from the seed and the
submission's graded code (grading issue 22, item 2), so the same code is graded on the same
inputs on every run and any change of it on fresh ones."""
from __future__ import annotations

import json

import nbformat
from nbformat import v4

from coursetools.grading import pipeline
from coursetools.grading.lab import build
from coursetools.grading.records import Submission
from tests import grading_inprocess
from tests import grading_submissions as subs

SEED = "tests"


def key_of(raw: bytes, seed: str = SEED) -> str:
    codes = pipeline.prepare(Submission(student="s", raw=raw), grading_inprocess.lab(subs.LAB), {})
    assert codes is not None
    return build.inputs_key(seed, codes)


def raw(nb) -> bytes:
    return nbformat.writes(nb).encode("utf-8")


def _reversed_fields(value):
    if isinstance(value, dict):
        return {k: _reversed_fields(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_fields(v) for v in value]
    return value


def _cell_defining(nb, name: str):
    return next(c for c in nb.cells if c.cell_type == "code" and f"def {name}(" in c.source)


def test_trivia_that_does_not_change_what_runs_keeps_the_key():
    base = key_of(raw(subs.submission()))
    # the order of the file's JSON fields, and its indentation
    data = json.loads(raw(subs.submission()))
    assert key_of(json.dumps(_reversed_fields(data), indent=4).encode()) == base
    # outputs, and their metadata
    nb = subs.submission()
    cell = _cell_defining(nb, "backward")
    cell.outputs = [v4.new_output("stream", name="stdout", text="0.123 0.456\n")]
    cell.metadata["collapsed"] = True
    assert key_of(raw(nb)) == base
    # markdown: edited, and a new cell
    nb = subs.submission()
    next(c for c in nb.cells if c.cell_type == "markdown").source += "\n\nMy notes."
    nb.cells.insert(3, v4.new_markdown_cell("# A heading of mine"))
    assert key_of(raw(nb)) == base
    # comments, blank lines, spacing, trailing spaces
    nb = subs.submission()
    cell = _cell_defining(nb, "backward")
    head, code = cell.source.rsplit('"""\n', 1)   # the docstring is a string: it counts
    edited = "\n\n".join(line.replace(" = ", "=").replace(" * ", "*") + "   # mine"
                          for line in code.split("\n") if line.strip())
    cell.source = "# my comment\n\n" + head + '"""\n' + edited + "\n\n"
    assert cell.source != _cell_defining(subs.submission(), "backward").source
    assert key_of(raw(nb)) == base
    # the width of indentation
    assert key_of(raw(subs.submission(append=["def helper(a):\n    if a:\n        return 1"]))) \
        == key_of(raw(subs.submission(append=["def helper(a):\n  if a:\n   return 1"])))
    # top-level code the grader does not keep (a call, a print)
    assert key_of(raw(subs.submission(append=["print(forward(1.0, 2.0, 3.0))"]))) == base


def test_any_change_of_the_graded_code_changes_the_key():
    base = key_of(raw(subs.submission()))
    wrong = subs.solution_with("backward", "2.0 * (y2_pred - y_true)", "(y2_pred - y_true)")
    changed = {
        "a wrong formula": subs.submission(replace={"backward": wrong}),
        "a number written otherwise": subs.submission(replace={"backward": subs.solution_with(
            "backward", "2.0 * (y2_pred - y_true)", "2.00 * (y2_pred - y_true)")}),
        "a new constant": subs.submission(append=["TABLE = {(1.0, 2.0): 3.0}"]),
        "a new helper function": subs.submission(append=["def helper():\n    return 1"]),
        "a docstring": subs.submission(replace={"backward": wrong.replace(
            "):\n", '):\n    """mine"""\n', 1)}),
    }
    keys = {what: key_of(raw(nb)) for what, nb in changed.items()}
    # execution counts decide the order the kept code runs in (``extract.run_rank``)
    nb = subs.submission()
    _cell_defining(nb, "forward").execution_count = 42
    keys["the order the cells ran in"] = key_of(raw(nb))
    for what, key in keys.items():
        assert key != base, what
    assert len(set(keys.values())) == len(keys)
    # and the seed: another course (or a private copy) draws other inputs for the same code
    assert key_of(raw(subs.submission()), seed="other") != base


def test_the_key_is_a_function_of_the_notebook_alone():
    nb = subs.submission()
    assert key_of(raw(nb)) == key_of(raw(nb)) == key_of(raw(subs.submission()))
    assert len(key_of(raw(nb))) == 64 and SEED not in key_of(raw(nb))


def test_one_reference_notebook_serves_many_keys_each_as_a_notebook_of_its_own_would():
    lab = grading_inprocess.lab(subs.LAB)
    keys = ["k3", "k1", "k2"]
    (together,) = build.reference_notebooks(lab, keys, 1)
    blocks = build.split_reference(together, grading_inprocess.execute(together))
    assert sorted(blocks) == sorted(keys)
    for key in keys:
        (alone,) = build.reference_notebooks(lab, [key], 1)
        own = build.split_reference(alone, grading_inprocess.execute(alone))[key]
        assert [c.payloads for c in blocks[key]] == [c.payloads for c in own], key
    first = [c.payloads for c in blocks["k1"] if c.payloads]
    assert first != [c.payloads for c in blocks["k2"] if c.payloads], "each key its own inputs"


def test_reference_notebooks_are_at_most_as_many_as_asked_and_serve_every_key_once():
    lab = grading_inprocess.lab(subs.LAB)
    for count, parts, most in [(1, 4, 1), (3, 2, 1), (9, 2, 2), (50, 3, 3), (7, 1, 1)]:
        keys = [f"k{i}" for i in range(count)]
        nbs = build.reference_notebooks(lab, keys, parts)
        assert 1 <= len(nbs) <= most, (count, parts)
        served = [c.metadata["coursetools"]["inputs_key"] for nb in nbs for c in nb.cells
                  if c.metadata["coursetools"]["role"] == "recording"]
        assert sorted(served) == sorted(keys)
    many = [f"k{i}" for i in range(build.MAX_KEYS_PER_KERNEL * 2 + 1)]
    assert len(build.reference_notebooks(lab, many, 1)) == 3, "a kernel's budget bounds its keys"
