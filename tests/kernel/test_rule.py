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


def _sibling(tree, node, name) -> bool:
    """``from . import x`` under ``if __package__:``, or ``import coursetools_x`` in its
    ``else:`` (a module embedded by the helper cell), x being a module of this folder."""
    siblings = {p.stem for p in MODULES}
    for branch in ast.walk(tree):
        if isinstance(branch, ast.If) and ast.unparse(branch.test) == "__package__":
            if any(child is node for stmt in branch.body for child in ast.walk(stmt)):
                return isinstance(node, ast.ImportFrom) and node.level == 1 and all(
                    a.name in siblings for a in node.names)
            if any(child is node for stmt in branch.orelse for child in ast.walk(stmt)):
                return name.startswith("coursetools_") and name[len("coursetools_"):] in siblings
    return False


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_standard_library_and_numpy_only(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node, names in _imports(tree):
        for name in names:
            top = name.split(".")[0]
            if top in sys.stdlib_module_names or top == "numpy" or _sibling(tree, node, name):
                continue
            assert top == "IPython" and _guarded_by_import_error(tree, node), (path.name, name)
    relative = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]
    assert all(_sibling(tree, n, "") for n in relative), path.name


def test_the_helper_cell_embeds_every_sibling_a_kernel_module_imports():
    """The embedded modules import one another by their sys.modules names: the helper cell
    must put each into sys.modules before the modules that import it."""
    embedded = [module for _, module in cells.HELPER_MODULES]
    for position, (stem, _) in enumerate(cells.HELPER_MODULES):
        tree = ast.parse((ROOT / "coursetools" / "kernel" / f"{stem}.py").read_text())
        needed = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import)
                  for a in n.names if a.name.startswith("coursetools_")}
        assert needed <= set(embedded[:position]), (stem, needed)


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
