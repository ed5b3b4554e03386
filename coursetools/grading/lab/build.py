"""Step: write the grading notebook of one submission (and the reference notebook).

Grading never executes the student's notebook itself. For each submission it writes a new
notebook, outside every kernel's reach (the kernels run in folders of their own), made of:

1. ``setup``: the guard (``kernel/guard.py``), before any student code;
2. ``helpers``: the official test helpers (``kernel/``, the grader's own version), with the
   lab's diagnosis vocabulary;
3. ``definitions``: the student's kept code, one cell per source cell (at most
   ``MAX_DEFINITION_CELLS``: beyond that, neighbouring cells share one), so a cell that fails to
   define costs only what it defines;
4. ``recording``: record mode with the key the graded inputs are drawn from (``inputs_key``:
   derived one way from the run's seed and the submission's graded code, so the same code
   gets the same inputs on every run and any change of it fresh ones; the seed itself never
   enters a kernel);
5. the test cells (visible and hidden, expected values removed), in the contract order of the
   items they grade, each group of cells that declare the same items after an ``isolation``
   cell: it gives back the student's version of every contract item, then binds the official
   versions of the items those tests do not grade but use (``Lab.official_names``). A mistake
   in ``forward`` so costs the points of the tests that grade ``forward`` only;
6. in the reference notebook only, for a class of the contract, each test that is about some
   of its methods again as a *method variant* (``Lab.method_variant``): an isolation cell gives
   the class the official versions of its other methods, and the test records under
   ``<test>~methods``. A student's method variant is a notebook of its own
   (``variant_notebook``), one test per kernel: the official methods one variant shows can
   never be kept for another (``score.charge_once``).

The reference notebook is the same with the instructor's own definitions, and one block of
``recording`` and test cells (isolations and method variants included) per inputs key it
serves (``reference_notebooks``): the expected values of many submissions' inputs come from
one kernel that holds only official code, and ``split_reference`` gives each key its results.
Each cell carries
``metadata.coursetools`` (``role``, and for tests their ids and source cell), which is how the
plugin and the scorer tell a test cell's results from anything else a cell might display.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import tokenize

import nbformat
from nbformat import v4

from coursetools import cells, notebooks
from coursetools.grading.lab.extract import CellCode
from coursetools.grading.lab.instructor import Lab
from coursetools.grading.records import CELL_META, CellResult, Role
from coursetools.kernel.checks import METHOD_VARIANT

MAX_DEFINITION_CELLS = 50
# A reference kernel serves at least this many inputs keys before another one starts (a block
# of tests costs less than a kernel's start).
KEYS_PER_KERNEL = 4
# ... and at most this many, so that a reference notebook stays well within the notebook budget
# a kernel is given (lab 6's tests take about 2 s a key): only a class of more than
# MAX_KEYS_PER_KERNEL * jobs students needs more reference kernels than --jobs.
MAX_KEYS_PER_KERNEL = 40


def _cell(source: str, role: Role, **info):
    cell = v4.new_code_cell(source)
    cell.metadata[CELL_META] = {"role": role.value, **info}
    return cell


def _definition_cells(definitions: list[CellCode]) -> list:
    kept = [code for code in definitions if code.source.strip()]
    size = max(1, -(-len(kept) // MAX_DEFINITION_CELLS))
    found = []
    for start in range(0, len(kept), size):
        group = kept[start:start + size]
        found.append(_cell("".join(code.source for code in group), Role.DEFINITIONS,
                           cell=group[0].index))
    return found


def test_groups(lab: Lab):
    """(first cell, test cells) in the order they run: by the subject's place in the contract,
    one group per run of cells that grade the same items with the same official ones."""
    order = {name: position for position, name in enumerate(lab.contract)}
    ranked = sorted(lab.test_cells, key=lambda cell: order.get(cell.subject, -1))
    groups, key = [], None
    for cell in ranked:
        this = (tuple(cell.items), tuple(lab.official_names(cell)))
        if groups and this == key:
            groups[-1][1].append(cell)
        else:
            groups.append((cell, [cell]))
        key = this
    return groups


def _normalised(source: str) -> str:
    """``source`` as its tokens: comments, blank lines, spacing and the width of indentation
    (which do not change what runs) left out; any other change shows."""
    parts = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in (tokenize.COMMENT, tokenize.NL, tokenize.ENDMARKER):
                continue
            parts.append(tokenize.tok_name[token.type] if token.type in (
                tokenize.INDENT, tokenize.DEDENT, tokenize.NEWLINE) else token.string)
    except (tokenize.TokenError, SyntaxError):
        return source
    return "\x1f".join(parts)


def graded_code(definitions: list[CellCode]) -> str:
    """SHA-256 of the code a grading notebook runs of ``definitions`` (the kept code, cell by
    cell, ``_normalised``): outputs, markdown, the order of a file's JSON fields, comments
    and spacing do not change it; any change of the kept code does."""
    kept = [_normalised(code.source) for code in definitions if code.source.strip()]
    return hashlib.sha256(json.dumps(kept).encode("utf-8")).hexdigest()


def inputs_key(seed: str, definitions: list[CellCode]) -> str:
    """The key a kernel draws the graded inputs from: HMAC-SHA256, keyed with the course
    seed, of the graded code (``graded_code``).

    So the same submission gets the same inputs on every run, and a changed one fresh inputs:
    a lookup table of the expected values seen for one version of the code is part of the
    next version's code, which is graded on other inputs. A kernel holds only this key, never
    the seed: a student's code that reads the helpers' state learns nothing that lets anyone
    compute the inputs of other code or another seed (a private copy's), or recover the seed;
    the inputs it could compute from the key are the arguments its own functions receive
    anyway.
    """
    message = b"coursetools graded inputs v2\0" + graded_code(definitions).encode("ascii")
    return hmac.new(str(seed).encode("utf-8"), message, hashlib.sha256).hexdigest()


def _recording(key: str):
    return _cell(cells.recording_source(key) + "\nimport numpy as np\n", Role.RECORDING,
                 inputs_key=key)


def _start(lab: Lab, definitions: list[CellCode], key: str | None):
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = dict(notebooks.KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [_cell(cells.guard_source("."), Role.SETUP),
                _cell(cells.helper_source(lab.lab_id, lab.contract, lab.methods,
                                          diagnosis=lab.diagnosis), Role.HELPERS),
                *_definition_cells(definitions)]
    if key is not None:
        nb.cells.append(_recording(key))
    return nb


def _isolation(lab: Lab, test):
    names, source = lab.isolation(test)
    return _cell(cells.isolation_source(names, source), Role.ISOLATION, subject=test.subject,
                 names=names)


def grading_notebook(lab: Lab, definitions: list[CellCode], *, key: str):
    """The notebook that grades one set of definitions (a student's) on the inputs of ``key``
    (``inputs_key``); the reference's are ``reference_notebooks``."""
    nb = _start(lab, definitions, key)
    nb.cells += _tests(lab, variants=False)
    return nb


def _tests(lab: Lab, variants: bool) -> list:
    found = []
    for first, test_cells in test_groups(lab):
        found.append(_isolation(lab, first))
        for test in test_cells:
            found.append(_cell(test.source, Role.TEST, cell=test.index, hidden=test.hidden,
                               tests=test.tests, subject=test.subject))
        if variants:
            for test in test_cells:
                if lab.method_variant(test) is not None:
                    found += _variant_cells(lab, test)
    return found


def reference_notebooks(lab: Lab, keys: list[str], parts: int) -> list:
    """The reference notebooks for the inputs ``keys`` (none for no key): ``parts`` of them
    (one kernel each; fewer when each would serve less than ``KEYS_PER_KERNEL`` keys, more
    when more than ``MAX_KEYS_PER_KERNEL``), keys shared out in order. Each holds the official
    definitions once, then per key a recording cell that switches the kernel to that key's
    inputs and every test cell, method variants included (tests draw their inputs from the
    key, the test id and the call alone: a block gives what a notebook of its own would)."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return []
    parts = max(1, min(int(parts), -(-len(keys) // KEYS_PER_KERNEL)),
                -(-len(keys) // MAX_KEYS_PER_KERNEL))
    size = -(-len(keys) // parts)
    found = []
    for start in range(0, len(keys), size):
        nb = _start(lab, lab.definitions, None)
        for key in keys[start:start + size]:
            nb.cells += [_recording(key), *_tests(lab, variants=True)]
        found.append(nb)
    return found


def split_reference(nb, results: list[CellResult]) -> dict[str, list[CellResult]]:
    """The cell results of a reference notebook, per inputs key: the cells before the first
    key (setup, helpers, definitions), then those of the key's block."""
    found: dict[str, list[CellResult]] = {}
    common, key = [], None
    for result in results:
        meta = nb.cells[result.index].metadata[CELL_META] if result.index < len(nb.cells) else {}
        if meta.get("role") == Role.RECORDING.value:
            key = meta["inputs_key"]
            found[key] = list(common)
        if key is None:
            common.append(result)
        else:
            found[key].append(result)
    return found


def _variant_cells(lab: Lab, test) -> list:
    keep, replaced = lab.method_variant(test)
    subject = test.subject
    return [_cell(cells.method_isolation_source(subject, keep, lab.variant_source(subject, keep)),
                  Role.ISOLATION, subject=subject, names=replaced),
            _cell(test.source, Role.TEST, cell=test.index, hidden=test.hidden,
                  tests=[t + METHOD_VARIANT for t in test.tests], subject=subject,
                  variant=True)]


def variant_notebook(lab: Lab, definitions: list[CellCode], test_id: str, *, key: str):
    """One student's method variant of one test, alone in its notebook (and kernel), on the
    inputs of ``key`` (the submission's)."""
    test = lab.test_cell(test_id)
    nb = _start(lab, definitions, key)
    nb.cells += [_isolation(lab, test), *_variant_cells(lab, test)]
    return nb


def write(nb, path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(nbformat.writes(nb))
