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
   derived from the run's seed one way; the seed itself never enters a kernel);
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

The reference notebook is the same with the instructor's own definitions. Each cell carries
``metadata.coursetools`` (``role``, and for tests their ids and source cell), which is how the
plugin and the scorer tell a test cell's results from anything else a cell might display.
"""
from __future__ import annotations

import hashlib
import hmac

import nbformat
from nbformat import v4

from coursetools import cells, notebooks
from coursetools.grading.lab.extract import CellCode
from coursetools.grading.lab.instructor import Lab
from coursetools.grading.records import CELL_META, Role
from coursetools.kernel.checks import METHOD_VARIANT

MAX_DEFINITION_CELLS = 50


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


def inputs_key(seed: str) -> str:
    """The key a kernel draws the graded inputs from: HMAC-SHA256 of the course seed.

    A kernel holds only this key, never the seed: a student's code that reads the helpers'
    state learns nothing that lets anyone compute the inputs of another seed (a private copy's)
    or recover the seed; the inputs it could compute from the key are the arguments its own
    functions receive anyway.
    """
    return hmac.new(str(seed).encode("utf-8"), b"coursetools graded inputs v1",
                    hashlib.sha256).hexdigest()


def _start(lab: Lab, definitions: list[CellCode], seed: str):
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = dict(notebooks.KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [_cell(cells.guard_source("."), Role.SETUP),
                _cell(cells.helper_source(lab.lab_id, lab.contract, lab.methods,
                                          diagnosis=lab.diagnosis), Role.HELPERS),
                *_definition_cells(definitions),
                _cell(cells.recording_source(inputs_key(seed)) + "\nimport numpy as np\n",
                      Role.RECORDING)]
    return nb


def _isolation(lab: Lab, test):
    names, source = lab.isolation(test)
    return _cell(cells.isolation_source(names, source), Role.ISOLATION, subject=test.subject,
                 names=names)


def grading_notebook(lab: Lab, definitions: list[CellCode], *, seed: str,
                     variants: bool = False):
    """The notebook that grades one set of definitions (a student's or the instructor's);
    ``variants``: with every method variant (for the reference run)."""
    nb = _start(lab, definitions, seed)
    for first, test_cells in test_groups(lab):
        nb.cells.append(_isolation(lab, first))
        for test in test_cells:
            nb.cells.append(_cell(test.source, Role.TEST, cell=test.index, hidden=test.hidden,
                                  tests=test.tests, subject=test.subject))
        if variants:
            for test in test_cells:
                if lab.method_variant(test) is not None:
                    nb.cells += _variant_cells(lab, test)
    return nb


def _variant_cells(lab: Lab, test) -> list:
    keep, replaced = lab.method_variant(test)
    subject = test.subject
    return [_cell(cells.method_isolation_source(subject, keep, lab.variant_source(subject, keep)),
                  Role.ISOLATION, subject=subject, names=replaced),
            _cell(test.source, Role.TEST, cell=test.index, hidden=test.hidden,
                  tests=[t + METHOD_VARIANT for t in test.tests], subject=subject,
                  variant=True)]


def variant_notebook(lab: Lab, definitions: list[CellCode], test_id: str, *, seed: str):
    """One student's method variant of one test, alone in its notebook (and kernel)."""
    test = lab.test_cell(test_id)
    nb = _start(lab, definitions, seed)
    nb.cells += [_isolation(lab, test), *_variant_cells(lab, test)]
    return nb


def write(nb, path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(nbformat.writes(nb))
