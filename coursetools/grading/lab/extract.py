"""Step: extract a notebook's definitions, and nothing that would run on its own.

Why not run the student's notebook? It may train a network for minutes, draw plots, wait for a
widget, loop forever at top level, or carry its own (edited) copy of the tests. The official
tests only need the student's *functions*, wherever in the notebook they are. So each code cell
is turned into plain Python with IPython's own ``TransformerManager`` (line magics and ``!shell``
lines become ordinary calls; a cell magic whose body is Python, such as ``%%time`` or
``%%capture``, is unwrapped first), parsed with ``ast``, and only these top-level statements
are kept, each with its original text:

- imports (each wrapped so that an import that fails in the grading kernel, e.g.
  ``google.colab``, does not take the rest of the cell down);
- ``def``, ``async def`` and ``class`` statements;
- assignments of a *constant* to plain names: a literal (``LR = 0.1``), a ``lambda``, a name
  bound by kept code, or a simple expression of those (``SCALE = 1 / 2``, ``SHAPE = (N_IN, 3)``,
  ``np.pi / 4``, ``np.zeros((2, 3))``, ``np.random.default_rng(0)``): see ``SAFE_CALLS``;
- ``try`` blocks made only of imports;
- ``if`` blocks on a constant condition and ``try`` blocks whose every statement is one of the
  above (a definition under ``if``/``try``, as Python would run it).

Everything else (calls, loops, ``with`` blocks, assignments to attributes or items such as
``np.allclose = ...``) is left out and listed in the feedback. A cell with a syntax error is
skipped as a whole and reported. Names that the official test helpers define (``check``,
``graded``, ...) are never rebound by the student's code: those statements are dropped.

**Python's reading of a notebook.** The kept code runs in the order the student last ran the
cells (``run_rank``): cells never run first, in notebook order, then the others by
increasing execution count (a notebook run top to bottom keeps its order). Nothing kept is
removed or reordered inside a cell: statements run top to bottom, so, for every name, the code
graded is the code Python would have in effect after running those cells in that order (a
skeleton ``def train(): raise NotImplementedError`` left above the student's own ``def train``
in the same cell is replaced by it, as in Python). The one difference is the code the grader
never runs (calls, loops, prints), which the feedback lists; a contract name that such code
rebinds gets a note. ``redefinitions`` writes a note for
each contract name defined more than once. ``tests/grading/lab/test_reading.py`` proves the rule
against real execution with generated notebooks.
"""
from __future__ import annotations

import ast
import builtins
import dataclasses
import re
import warnings

from IPython.core.inputtransformer2 import TransformerManager

_TRANSFORMER = TransformerManager()
OFFICIAL = "provided by the official tests"
MAGIC = "an IPython magic or shell command"
# Cell magics whose body is Python that runs in the kernel: the body is kept, the magic dropped.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug", "python", "python3"}
_CELL_MAGIC = re.compile(r"^\s*%%(\w+)")
# Calls a kept constant may make (on constant arguments): they build a value of the size of
# their arguments and nothing else (no np.zeros(n): its size is arbitrary).
SAFE_CALLS = {"np.array", "np.asarray", "np.float64", "np.random.default_rng", "np.sqrt",
              "np.exp", "np.log", "math.sqrt", "math.exp", "math.log", "float", "int", "abs",
              "round", "min", "max", "len"}
MAX_EXPONENT = 64   # 10 ** 10 ** 10 would run for ever at definition time
SAFE_ATTRIBUTES = {"np.pi", "np.e", "np.inf", "np.nan", "np.newaxis", "math.pi", "math.e",
                   "math.inf", "math.nan"}


@dataclasses.dataclass
class Skipped:
    """A top-level statement left out of grading, for the feedback."""

    line: int
    what: str


@dataclasses.dataclass
class Statement:
    """One kept top-level statement: its code, the names it binds and the names it uses."""

    source: str
    binds: list[str]
    loads: set[str]
    kind: str               # "import", "def", "class" or "assign"
    methods: list[str] = dataclasses.field(default_factory=list)   # of a class
    bases: list[str] = dataclasses.field(default_factory=list)     # of a class


@dataclasses.dataclass
class CellCode:
    """What was kept from one code cell of a notebook."""

    index: int                     # index of the cell among ALL cells of the notebook
    statements: list[Statement] = dataclasses.field(default_factory=list)
    skipped: list[Skipped] = dataclasses.field(default_factory=list)
    syntax_error: str | None = None
    execution_count: int | None = None
    rebinds: list[str] = dataclasses.field(default_factory=list)   # by statements left out

    @property
    def source(self) -> str:
        """The kept code (``from __future__`` imports first, as Python requires)."""
        future = [s for s in self.statements if s.source.startswith("from __future__")]
        return "".join(s.source for s in future + [s for s in self.statements if s not in future])

    @property
    def defines(self) -> list[str]:
        return list(dict.fromkeys(n for s in self.statements for n in s.binds))


def cell_text(cell) -> str:
    """A cell's source as one string (malformed sources count as empty)."""
    source = cell.get("source", "")
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def unwrap_cell_magic(source: str) -> str:
    """``%%time`` + body -> body (for the magics in PYTHON_CELL_MAGICS); anything else as is."""
    match = _CELL_MAGIC.match(source)
    if match and match.group(1) in PYTHON_CELL_MAGICS:
        return source.split("\n", 1)[1] if "\n" in source else ""
    return source


def python_source(cell_source: str) -> str:
    """The cell as plain Python: IPython magics and shell escapes become function calls."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _TRANSFORMER.transform_cell(unwrap_cell_magic(cell_source))


def _describe(node: ast.stmt) -> str:
    """A few words that tell the student which statement was not run."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = node.value.func
        if isinstance(func, ast.Attribute) and func.attr in ("run_line_magic", "run_cell_magic",
                                                             "system", "getoutput"):
            return MAGIC
        return f"a call to {_short(func)}()"
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
        shown = ", ".join(_short(t) for t in targets)
        return f"an assignment to {shown} (only constants are kept)"
    if isinstance(node, ast.Expr):
        return "an expression"
    return f"a {type(node).__name__} statement"


def _short(node) -> str:
    """A node's source, shortened, for a message (any node: never fails)."""
    try:
        text = ast.unparse(node)
    except (RecursionError, ValueError):
        return "an expression"
    return text if len(text) <= 60 else text[:57] + "..."


def _dotted(node) -> str | None:
    """``np.random.default_rng`` for a chain of attributes on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def _safe_value(node, known) -> bool:
    """A value whose evaluation builds a constant and runs no code of the student's."""
    if isinstance(node, (ast.Constant, ast.Lambda)):
        return True
    if isinstance(node, ast.Name):
        return known is None or node.id in known or hasattr(builtins, node.id)
    if isinstance(node, ast.Attribute):
        name = _dotted(node)
        root = name.split(".")[0] if name else None
        return name in SAFE_ATTRIBUTES or (root is not None and (
            known is None or root in known or hasattr(builtins, root)))
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_safe_value(e, known) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is None or _safe_value(k, known) for k in node.keys) and all(
            _safe_value(v, known) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        return _safe_value(node.operand, known)
    if isinstance(node, (ast.Compare, ast.BoolOp)):   # the condition of a kept ``if``
        parts = [node.left, *node.comparators] if isinstance(node, ast.Compare) else node.values
        return all(_safe_value(part, known) for part in parts)
    if isinstance(node, ast.BinOp):
        exponent = node.right.operand if isinstance(node.right, ast.UnaryOp) else node.right
        if isinstance(node.op, (ast.Pow, ast.LShift)) and not (
                isinstance(exponent, ast.Constant) and isinstance(exponent.value, (int, float))
                and abs(exponent.value) <= MAX_EXPONENT):
            return False
        return _safe_value(node.left, known) and _safe_value(node.right, known)
    if isinstance(node, ast.Call):
        return (_dotted(node.func) in SAFE_CALLS and all(_safe_value(a, known) for a in node.args)
                and all(k.arg is not None and _safe_value(k.value, known) for k in node.keywords))
    return False


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
    return [alias.asname or alias.name.split(".")[0] for alias in node.names if alias.name != "*"]


def _segment(lines: list[str], node: ast.stmt) -> str:
    """The original text of a top-level statement (decorators included)."""
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return "".join(lines[first - 1:node.end_lineno]).rstrip("\n") + "\n"


def _guarded_import(text: str) -> str:
    """An import (or try of imports) that cannot fail: ``try: ... except ImportError: pass``."""
    body = "".join(f"    {line}\n" for line in text.rstrip("\n").split("\n"))
    return f"try:\n{body}except ImportError:\n    pass\n"


def _loads(node: ast.AST) -> set[str]:
    """The global names a statement may use (every plain name in it)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _keep_import(node, reserved):
    names = _import_names(node)
    clash = [n for n in names if n in reserved]
    if clash:
        return None, f"an import that rebinds {', '.join(clash)} ({OFFICIAL})"
    return names, ""


def _inner(node: ast.If | ast.Try) -> list[ast.stmt]:
    """The statements of every branch of an ``if`` or ``try`` block."""
    if isinstance(node, ast.If):
        return node.body + node.orelse
    return node.body + node.orelse + node.finalbody + [
        s for handler in node.handlers for s in handler.body]


def _only_imports(node: ast.Try) -> bool:
    return all(isinstance(s, (ast.Import, ast.ImportFrom, ast.Pass)) for s in _inner(node))


def _keep_block(node: ast.If | ast.Try, reserved, known) -> tuple[str | None, list[str], str]:
    """An ``if`` (on a constant condition) or ``try`` block is kept whole if every statement
    of every branch would be kept on its own; it binds what any branch binds."""
    known = None if known is None else set(known)
    tests = [node.test] if isinstance(node, ast.If) else [
        h.type for h in node.handlers if h.type is not None]
    if not all(_safe_value(test, known) for test in tests):
        return None, [], _describe(node)
    names = [h.name for h in getattr(node, "handlers", []) if h.name]
    for stmt in _inner(node):
        kind, bound, reason = _keep(stmt, reserved, known)
        if kind is None and reason:
            return None, [], reason if OFFICIAL in reason else _describe(node)
        if known is not None:
            known.update(bound)
        names += bound
    return "block", list(dict.fromkeys(names)), ""


def _keep(node: ast.stmt, reserved: frozenset[str], known) -> tuple[str | None, list[str], str]:
    """(kind of statement kept or None, names it binds, reason when dropped)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        names, reason = _keep_import(node, reserved)
        return ("import", names, "") if names is not None else (None, [], reason)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        if node.name in reserved:
            return None, [], f"a definition of {node.name} ({OFFICIAL})"
        return ("class" if isinstance(node, ast.ClassDef) else "def"), [node.name], ""
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = []
        for target in targets:
            found = _target_names(target)
            if found is None:
                return None, [], _describe(node)
            names += found
        if node.value is None or not _safe_value(node.value, known):
            return None, [], _describe(node)
        clash = [n for n in names if n in reserved]
        if clash:
            return None, [], f"an assignment to {', '.join(clash)} ({OFFICIAL})"
        return "assign", names, ""
    if isinstance(node, ast.Try) and _only_imports(node):
        names = []
        for stmt in _inner(node):
            if isinstance(stmt, ast.Pass):
                continue
            bound, reason = _keep_import(stmt, reserved)
            if bound is None:
                return None, [], reason
            names += bound
        return "import", names, ""
    if isinstance(node, (ast.If, ast.Try)):
        return _keep_block(node, reserved, known)
    if isinstance(node, (ast.Pass, ast.Expr)) and (isinstance(node, ast.Pass) or isinstance(
            node.value, ast.Constant)):
        return None, [], ""   # a docstring, a bare constant or pass: nothing to report
    return None, [], _describe(node)


def _bound_names(node: ast.stmt) -> list[str]:
    """Plain names a top-level statement binds (an assignment's targets, a loop variable, a
    ``with ... as``), for one the grader leaves out."""
    targets = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
        targets = [node.target]
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
    return [n.id for t in targets for n in ast.walk(t)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]


def _statement(node, kind: str, names: list[str], lines: list[str]) -> Statement:
    text = _segment(lines, node)
    if kind == "import":
        text = text if isinstance(node, ast.ImportFrom) and node.module == "__future__" \
            else _guarded_import(text)
    statement = Statement(source=text, binds=names, loads=_loads(node), kind=kind)
    if isinstance(node, ast.ClassDef):
        statement.bases = [_dotted(b) or "" for b in node.bases]
        statement.methods = [n.name for n in node.body
                             if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return statement


def extract_cell(source: str, index: int = 0, reserved=frozenset(), known=None,
                 execution_count: int | None = None) -> CellCode:
    """Keep the definitions of one code cell (see the module docstring for the rules).

    ``known``: names bound by the kept code of earlier cells (None: do not check names used in
    constants); the names this cell binds are added to it.
    """
    result = CellCode(index=index, execution_count=execution_count)
    try:
        code = python_source(source)
        tree = ast.parse(code)
    except (SyntaxError, ValueError) as error:  # ValueError: null bytes in the source
        line = getattr(error, "lineno", None)
        message = getattr(error, "msg", None) or str(error)
        result.syntax_error = f"line {line}: {message}" if line else message
        return result
    except (RecursionError, MemoryError):
        result.syntax_error = "the cell is too deeply nested to parse"
        return result
    lines = code.splitlines(keepends=True)
    reserved = frozenset(reserved)
    for node in tree.body:
        kind, names, reason = _keep(node, reserved, known)
        if known is not None:
            known.update(names)
        if kind is None:
            if reason:
                result.skipped.append(Skipped(line=node.lineno, what=reason))
                result.rebinds += _bound_names(node)
            continue
        result.statements.append(_statement(node, kind, names, lines))
    return result


def run_rank(execution_count: int | None, position: int) -> tuple:
    """Where a cell runs in the grader's order: the order the student last ran the cells.

    Cells never run come first, in notebook order (a notebook never run reads top to bottom),
    then the cells that ran, by increasing execution count.
    """
    return (execution_count is not None, execution_count or 0, position)


def extract_notebook(nb, reserved=frozenset(), skip=lambda source: False) -> list[CellCode]:
    """Every code cell of the notebook, extracted, in the order of ``run_rank`` (``skip``ped
    cells left out): running their ``source`` one after the other is Python's reading of it."""
    found = []
    for index, cell in enumerate(nb.get("cells", [])):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell_text(cell)
        if skip(source):
            continue
        count = cell.get("execution_count")
        count = count if isinstance(count, int) and not isinstance(count, bool) else None
        found.append((run_rank(count, index), index, count, source))
    cells, known = [], set(reserved)
    for _, index, count, source in sorted(found):
        cells.append(extract_cell(source, index=index, reserved=reserved, known=known,
                                  execution_count=count))
    return cells


def effective(cells: list[CellCode]) -> dict[str, Statement]:
    """The statement that binds each name last in the run order: the one Python keeps."""
    return {name: statement for cell in cells for statement in cell.statements
            for name in statement.binds}


def redefinitions(cells: list[CellCode], names) -> list[str]:
    """A note for each of ``names`` defined more than once (nothing is removed: the kept code
    runs in ``execution_order``, so the last definition wins, as in Python)."""
    notes = []
    for name in names:
        places = [cell for cell in cells for s in cell.statements
                  if name in s.binds and s.kind in ("def", "class", "block")]
        rebound = [cell.index + 1 for cell in cells if name in cell.rebinds]
        if places and rebound:
            notes.append(f"{name} is also assigned in cell {rebound[-1]} by code the grader does "
                         "not run (only definitions, imports and constants are); the definition "
                         f"of cell {places[-1].index + 1} was graded.")
        if len(places) < 2:
            continue
        winner = places[-1]
        where = list(dict.fromkeys(cell.index + 1 for cell in places))
        if len(where) == 1:
            notes.append(f"{name} is defined more than once in cell {where[0]}; the last "
                         "definition (the one Python keeps) was graded.")
        else:
            notes.append(f"{name} is defined in cells {', '.join(map(str, sorted(where)))}; the "
                         f"last one of cell {winner.index + 1} (the one you ran last) was graded.")
    return notes


def defined_names(cells: list[CellCode]) -> set[str]:
    """Every name that the kept code binds at top level."""
    return {name for cell in cells for name in cell.defines}


def defined_methods(cells: list[CellCode], name: str) -> set[str]:
    """The methods a class defines, its own or from bases defined in the same code."""
    classes = {s.binds[0]: s for cell in cells for s in cell.statements if s.kind == "class"}
    found, todo, seen = set(), [name], set()
    while todo:
        current = todo.pop()
        if current in seen or current not in classes:
            continue
        seen.add(current)
        found.update(classes[current].methods)
        todo += classes[current].bases
    return found


def is_skeleton(statement: Statement, methods=()) -> bool:
    """True if a kept def (or each of a class's ``methods``) only raises NotImplementedError."""
    tree = ast.parse(statement.source)
    node = tree.body[0]
    bodies = [node] if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else [
        n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        and n.name in methods]
    if not bodies:
        return False
    for func in bodies:
        body = [s for s in func.body
                if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        if not (len(body) == 1 and isinstance(body[0], ast.Raise)
                and "NotImplementedError" in ast.unparse(body[0])):
            return False
    return True


def top_level_names(source: str) -> set[str]:
    """Names a (trusted) cell binds at top level."""
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
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names
