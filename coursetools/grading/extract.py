"""Extract a student's definitions from their notebook, and nothing that would run on its own.

Why not run the student's notebook? It may train a network for minutes, draw plots, wait for a
widget, loop forever at top level, or carry its own (edited) copy of the tests. The official
tests only need the student's *functions*, wherever in the notebook they are. So each code cell
is turned into plain Python with IPython's own ``TransformerManager`` (magics and ``!shell``
lines become ordinary calls), parsed with ``ast``, and only these top-level statements are kept:

- imports (each wrapped so that an import that fails in the grading kernel, e.g.
  ``google.colab``, does not take the rest of the cell down);
- ``def``, ``async def`` and ``class`` statements;
- simple assignments of a constant to plain names: a literal (``LR = 0.1``, ``SIZES = (3, 4)``),
  a ``lambda``, or another name (``activation = relu``);
- ``try`` blocks made only of such statements (``try: import x except ImportError: ...``).

Everything else (calls, loops, ``with`` blocks, assignments to attributes or items such as
``np.allclose = ...``) is left out and listed in the feedback. A cell with a syntax error is
skipped as a whole and reported. Names that the official test helpers define (``check``,
``graded``, ``np``, ...) are never rebound by the student's code: those statements are dropped.
"""
from __future__ import annotations

import ast
import builtins
import dataclasses
import warnings

from IPython.core.inputtransformer2 import TransformerManager

_TRANSFORMER = TransformerManager()
# Imports that bind a protected name to what the checks cell binds it to: dropped silently.
SAME_AS_CHECKS = {("numpy", "np")}
OFFICIAL = "provided by the official tests"


@dataclasses.dataclass
class Skipped:
    """A top-level statement left out of grading, for the feedback."""

    line: int
    what: str


@dataclasses.dataclass
class CellCode:
    """What was kept from one code cell of the student's notebook."""

    index: int                     # index of the cell among ALL cells of the notebook
    source: str = ""               # the Python code kept ("" when nothing is kept)
    defines: list[str] = dataclasses.field(default_factory=list)   # names it binds
    # class name -> (names of its bases, methods defined in its body)
    classes: dict[str, tuple[list[str], list[str]]] = dataclasses.field(default_factory=dict)
    skipped: list[Skipped] = dataclasses.field(default_factory=list)
    syntax_error: str | None = None


def python_source(cell_source: str) -> str:
    """The cell as plain Python: IPython magics and shell escapes become function calls."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _TRANSFORMER.transform_cell(cell_source)


def _describe(node: ast.stmt) -> str:
    """A few words that tell the student which statement was not run."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = node.value.func
        if isinstance(func, ast.Attribute) and func.attr in ("run_line_magic", "run_cell_magic",
                                                             "system", "getoutput"):
            return "an IPython magic or shell command"
        try:
            return f"a call to {ast.unparse(func)}()"
        except Exception:  # pragma: no cover - unparse handles every parsed node
            return "a call"
    names = {ast.For: "a for loop", ast.AsyncFor: "a for loop", ast.While: "a while loop",
             ast.With: "a with block", ast.AsyncWith: "a with block", ast.If: "an if block",
             ast.Assert: "an assert", ast.Raise: "a raise", ast.Delete: "a del statement",
             ast.AugAssign: "an in-place update", ast.Try: "a try block",
             ast.Global: "a global statement", ast.Nonlocal: "a nonlocal statement"}
    for kind, text in names.items():
        if isinstance(node, kind):
            return text
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        shown = ", ".join(ast.unparse(t) for t in targets)
        return f"an assignment to {shown} (only constants are kept)"
    if isinstance(node, ast.Expr):
        return "an expression"
    return f"a {type(node).__name__} statement"


def _is_constant(value: ast.expr | None, known=None) -> bool:
    """A value whose evaluation cannot run code: a literal, a lambda or a (dotted) name.

    A name counts only if it is ``known`` (bound by code that is kept, or a builtin): an alias
    of a variable made by left-out code (``w_final = w`` after a training loop) would fail.
    """
    if value is None:
        return True
    if isinstance(value, ast.Lambda):
        return True
    node = value
    while isinstance(node, ast.Attribute):
        node = node.value
    if isinstance(node, ast.Name):
        return known is None or node.id in known or hasattr(builtins, node.id)
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _target_names(target: ast.expr) -> list[str] | None:
    """Names bound by an assignment target, or None if it writes anything but plain names."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        names = []
        for element in target.elts:
            inner = _target_names(element)
            if inner is None:
                return None
            names += inner
        return names
    return None


def _import_names(node: ast.Import | ast.ImportFrom) -> list[str]:
    names = []
    for alias in node.names:
        if alias.name == "*":
            continue
        names.append(alias.asname or alias.name.split(".")[0])
    return names


def _wrap_import(node: ast.stmt) -> ast.stmt:
    """``import x`` becomes ``try: import x`` / ``except ImportError: pass``."""
    handler = ast.ExceptHandler(type=ast.Name(id="ImportError", ctx=ast.Load()), name=None,
                                body=[ast.Pass()])
    return ast.Try(body=[node], handlers=[handler], orelse=[], finalbody=[])


def _keep(node: ast.stmt, reserved: frozenset[str],
          known=None) -> tuple[ast.stmt | None, list[str], str]:
    """(statement to keep or None, names it binds, reason when dropped)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            return node, [], ""
        names = _import_names(node)
        if isinstance(node, ast.Import) and all(
                (a.name, a.asname) in SAME_AS_CHECKS for a in node.names):
            return None, [], ""  # ``import numpy as np``: already done by the checks cell
        if any(n in reserved for n in names):
            clash = ", ".join(n for n in names if n in reserved)
            return None, [], f"an import that rebinds {clash} ({OFFICIAL})"
        return _wrap_import(node), names, ""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        if node.name in reserved:
            return None, [], f"a definition of {node.name} ({OFFICIAL})"
        return node, [node.name], ""
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = []
        for target in targets:
            found = _target_names(target)
            if found is None:
                return None, [], _describe(node)
            names += found
        if not _is_constant(node.value, known):
            return None, [], _describe(node)
        if isinstance(node, ast.AnnAssign) and node.value is None:
            return None, [], _describe(node)
        if any(n in reserved for n in names):
            clash = ", ".join(n for n in names if n in reserved)
            return None, [], f"an assignment to {clash} ({OFFICIAL})"
        return node, names, ""
    if isinstance(node, ast.Try):
        inner = node.body + node.orelse + node.finalbody + [
            s for handler in node.handlers for s in handler.body]
        names = []
        for stmt in inner:
            if isinstance(stmt, ast.Pass):
                continue
            if not isinstance(stmt, (ast.Import, ast.ImportFrom)):
                return None, [], _describe(node)
            kept, bound, reason = _keep(stmt, reserved)
            if kept is None:
                return None, [], reason
            names += bound
        return _wrap_import(node), names, ""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return None, [], ""  # a docstring or a bare constant: nothing to report
    if isinstance(node, ast.Pass):
        return None, [], ""
    return None, [], _describe(node)


def extract_cell(source: str, index: int = 0, reserved=frozenset(), known=None) -> CellCode:
    """Keep the definitions of one code cell (see the module docstring for the rules).

    ``known``: names bound by the kept code of earlier cells and by the checks cell (None: do
    not check aliases); the names this cell binds are added to it.
    """
    result = CellCode(index=index)
    code = python_source(source)
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError) as error:  # ValueError: null bytes in the source
        line = getattr(error, "lineno", None)
        message = getattr(error, "msg", None) or str(error)
        result.syntax_error = f"line {line}: {message}" if line else message
        return result
    except (RecursionError, MemoryError):
        result.syntax_error = "the cell is too deeply nested to parse"
        return result
    reserved = frozenset(reserved)
    future, kept = [], []
    for node in tree.body:
        stmt, names, reason = _keep(node, reserved, known)
        if stmt is not None and isinstance(node, ast.ClassDef):
            bases = [ast.unparse(b) for b in node.bases]
            methods = [n.name for n in node.body
                       if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
            result.classes[node.name] = (bases, methods)
        if known is not None:
            known.update(names)
        if stmt is None:
            if reason:
                result.skipped.append(Skipped(line=node.lineno, what=reason))
            continue
        (future if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"
         else kept).append(stmt)
        result.defines += [n for n in names if n not in result.defines]
    if future or kept:
        module = ast.Module(body=future + kept, type_ignores=[])
        result.source = ast.unparse(ast.fix_missing_locations(module)) + "\n"
    return result


def is_checks_cell(source: str, header: str) -> bool:
    """True for the inlined test-helpers cell (the student's copy is never used)."""
    return source.lstrip().startswith(header)


def extract_notebook(nb, reserved=frozenset(), checks_header: str | None = None) -> list[CellCode]:
    """Every code cell of the notebook, extracted, in notebook order (the checks cell left out)."""
    cells, known = [], set(reserved)
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        if checks_header and is_checks_cell(source, checks_header):
            continue
        cells.append(extract_cell(source, index=index, reserved=reserved, known=known))
    return cells


def defined_names(cells: list[CellCode]) -> set[str]:
    """Every name that the kept code binds at top level."""
    return {name for cell in cells for name in cell.defines}


def defined_methods(cells: list[CellCode], name: str) -> set[str]:
    """The methods a class defines, its own or from bases defined in the same code."""
    classes = {}
    for cell in cells:
        classes.update(cell.classes)   # a later definition replaces an earlier one
    found, todo, seen = set(), [name], set()
    while todo:
        current = todo.pop()
        if current in seen or current not in classes:
            continue
        seen.add(current)
        bases, methods = classes[current]
        found.update(methods)
        todo += bases
    return found


def top_level_names(source: str) -> set[str]:
    """Names a (trusted) cell binds at top level: used to protect the test helpers' names."""
    try:
        tree = ast.parse(python_source(source))
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(_import_names(node))
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        names.add(sub.id)
    return names
