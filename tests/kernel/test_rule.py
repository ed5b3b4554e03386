"""The rule of coursetools/kernel/: what runs inside a kernel needs nothing but Python and numpy."""
import ast
import sys

import pytest

from coursetools import cells
from tests.conftest import ROOT

MODULES = sorted(p for p in (ROOT / "coursetools" / "kernel").glob("*.py") if p.name != "__init__.py")


def _imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield node, [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node, [node.module]


def _guarded_by_import_error(tree, target):
    """True if ``target`` sits in a ``try`` whose handler catches ImportError."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
                isinstance(h.type, ast.Name) and h.type.id == "ImportError" for h in node.handlers):
            if any(child is target for stmt in node.body for child in ast.walk(stmt)):
                return True
    return False


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_standard_library_and_numpy_only(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node, names in _imports(tree):
        for name in names:
            top = name.split(".")[0]
            if top in sys.stdlib_module_names or top == "numpy":
                continue
            assert top == "IPython" and _guarded_by_import_error(tree, node), (path.name, name)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_embeddable_with_a_version(path):
    text = path.read_text(encoding="utf-8")
    assert "'''" not in text
    assert cells.module_version(path.stem) >= 1
    compile(cells.module_source(path.stem), path.name, "exec")


def test_only_cells_embeds_kernel_modules():
    """One place turns kernel modules into cells: no other module reads their source."""
    for path in sorted((ROOT / "coursetools").rglob("*.py")):
        if path.name == "cells.py" or "kernel" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        assert "module_source(" not in text and "inspect.getsource" not in text, path
