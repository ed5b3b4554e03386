"""pytest plugin (loaded by `make test` with ``-p tests.book_cache``): nbval's executions of the
chapters become the book's execution cache.

`make test` runs nbval over every chapter and then builds the book. Without this plugin the
build would execute every chapter a second time. Here each chapter that nbval ran without an
error is written, with the outputs nbval collected, into the execution cache that jupyter-book
uses (jupyter-cache, keyed by the notebook's code): the build then finds every chapter
executed. Workers write the executed notebooks into ``_build/.nbval-executed``; the
controller caches them at the end of the session.
Cells nbval skips (the PyTorch and Keras cells, see ``coursetools.frameworks``) keep the
outputs stored in the notebook, which the site shows.
"""
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "_build" / ".nbval-executed"
BOOK_CACHE = ROOT / "_build" / ".jupyter_cache"


def _chapter_cell(item) -> bool:
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:
        return False
    return isinstance(item, IPyNbCell) and item.path.parent == ROOT / "chapters"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if call.when != "call" or not _chapter_cell(item):
        return
    notebook = item.parent
    state = notebook.__dict__.setdefault("_book_outputs", {"failed": False, "cells": {}})
    if not outcome.get_result().passed:
        state["failed"] = True
    state["cells"][item.cell_num] = list(getattr(item, "test_outputs", None) or [])
    if item.cell_num == len(_code_cells(notebook)) - 1:    # nbval counts code cells only
        _write_executed(notebook, state)


def _code_cells(notebook):
    return [(index, cell) for index, cell in enumerate(notebook.nb.cells)
            if cell.cell_type == "code"]


def _write_executed(notebook, state) -> None:
    if state["failed"]:
        return
    nb = nbformat.read(notebook.path, as_version=4)
    for ordinal, (index, cell) in enumerate(_code_cells(notebook)):
        if ordinal not in state["cells"]:     # not run by nbval (nbval-skip): the outputs stored
            continue                          # in the notebook, e.g. by `make framework-outputs`
        nb.cells[index].outputs = state["cells"][ordinal]
        nb.cells[index].execution_count = ordinal + 1
    EXECUTED.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, EXECUTED / notebook.path.name)


def pytest_sessionfinish(session):
    if hasattr(session.config, "workerinput") or not EXECUTED.is_dir():
        return
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(BOOK_CACHE))
    for path in sorted(EXECUTED.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        cache.cache_notebook_bundle(CacheBundleIn(nb, str(ROOT / "chapters" / path.name)),
                                    check_validity=False, overwrite=True)
        path.unlink()
