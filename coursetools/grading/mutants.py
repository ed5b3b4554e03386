"""Mutants of a lab's solution: small wrong versions of each contract item, made from the AST.

The operators are the classic mistakes of the course's code, written as AST rewrites of one
node of one function or method at a time: an operator flipped (``+``/``-``, ``*``/``/``), the
operands of ``-``, ``/`` or ``@`` swapped, a term dropped (``a + b`` -> ``a``), a sign flipped
(``-x`` -> ``x``), a transpose dropped (``x.T`` -> ``x``), an axis changed (``axis=0`` <->
``axis=1``), ``keepdims`` dropped, a comparison relaxed (``>`` <-> ``>=``), an off-by-one
``range``, a loop order not reversed (``reversed(x)`` -> ``x``), an accumulation that overwrites
(``+=`` -> ``=``), a numeric constant changed (``c`` -> ``c + 1``, ``2`` -> ``1``), a statement
of a ``for`` body removed, a whole function or method that returns nothing (``return_none``). (mutmut and cosmic-ray mutate files on disk and run a test
command; the audit needs mutants of one item at a time, graded by the grader's own steps, so
the operators are written here, on ``ast``.)

Every mutant has a stable id, ``<unit>:<operator>:<n>`` (``n`` counts that operator's sites in
the unit), so that a file can list the survivors that are equivalent, each with its reason.
"""
from __future__ import annotations

import ast
import copy
import dataclasses


@dataclasses.dataclass(frozen=True)
class Mutant:
    id: str          # "<unit>:<operator>:<n>"
    item: str        # the contract item whose code changed
    unit: str        # the function, or Class.method
    source: str      # the whole mutated definition of the item
    line: int        # the line of the change, in the item's definition


SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
RELAX = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt}


def _sites(node: ast.AST):
    """(operator, path) for every place one operator applies inside ``node``."""
    for child in ast.walk(node):
        if isinstance(child, ast.BinOp):
            if type(child.op) in SWAP:
                yield "flip_operator", child
            if isinstance(child.op, (ast.Sub, ast.Div, ast.MatMult, ast.Pow)):
                yield "swap_operands", child
            if isinstance(child.op, (ast.Add, ast.Sub, ast.Mult)):
                yield "drop_term", child
        elif isinstance(child, ast.UnaryOp) and isinstance(child.op, ast.USub):
            yield "flip_sign", child
        elif isinstance(child, ast.Attribute) and child.attr == "T":
            yield "drop_transpose", child
        elif isinstance(child, ast.keyword) and child.arg == "axis":
            yield "change_axis", child
        elif isinstance(child, ast.keyword) and child.arg == "keepdims":
            yield "drop_keepdims", child
        elif isinstance(child, ast.Compare) and type(child.ops[0]) in RELAX:
            yield "relax_comparison", child
        elif isinstance(child, ast.Call) and getattr(child.func, "id", None) == "range" \
                and child.args:
            yield "off_by_one", child
        elif isinstance(child, ast.Call) and getattr(child.func, "id", None) == "reversed":
            yield "not_reversed", child
        elif isinstance(child, ast.AugAssign) and isinstance(child.op, ast.Add):
            yield "overwrite", child
        elif isinstance(child, ast.Constant) and type(child.value) in (int, float) \
                and not isinstance(child.value, bool):
            yield "change_constant", child
        elif isinstance(child, ast.For) and len(child.body) > 1:
            yield "drop_loop_statement", child


def _apply(operator: str, node: ast.AST) -> ast.AST | None:
    """The replacement of ``node`` (a new node), or None when the operator does not apply."""
    node = copy.deepcopy(node)
    if operator == "flip_operator":
        node.op = SWAP[type(node.op)]()
    elif operator == "swap_operands":
        node.left, node.right = node.right, node.left
    elif operator == "drop_term":
        return node.left
    elif operator == "flip_sign":
        return node.operand
    elif operator == "drop_transpose":
        return node.value
    elif operator == "change_axis":
        value = node.value
        if not (isinstance(value, ast.Constant) and isinstance(value.value, int)):
            return None
        node.value = ast.Constant(1 if value.value == 0 else 0)
    elif operator == "drop_keepdims":
        node.value = ast.Constant(False)
    elif operator == "relax_comparison":
        node.ops = [RELAX[type(node.ops[0])]()] + node.ops[1:]
    elif operator == "off_by_one":
        node.args[-1] = ast.BinOp(node.args[-1], ast.Sub(), ast.Constant(1))
    elif operator == "not_reversed":
        return node.args[0] if node.args else None
    elif operator == "overwrite":
        return ast.Assign(targets=[node.target], value=node.value, lineno=node.lineno)
    elif operator == "change_constant":
        node.value = 1.0 if node.value == 2 else node.value + 1
    elif operator == "drop_loop_statement":
        node.body = node.body[1:]
    elif operator == "return_none":
        node.body = [ast.Return(ast.Constant(None))]
    return node


class _Replace(ast.NodeTransformer):
    def __init__(self, target, replacement):
        self.target, self.replacement = target, replacement

    def generic_visit(self, node):
        for field, value in ast.iter_fields(node):
            if isinstance(value, list):
                value[:] = [self.replacement if item is self.target else item for item in value]
            elif value is self.target:
                setattr(node, field, self.replacement)
        return super().generic_visit(node)


def _units(tree: ast.Module, item: str, methods: list[str]):
    """(unit name, function node) for a function item, or for each listed method of a class."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == item:
            yield item, node
        elif isinstance(node, ast.ClassDef) and node.name == item:
            for child in node.body:
                if isinstance(child, ast.FunctionDef) and child.name in methods:
                    yield f"{item}.{child.name}", child


def mutants(item: str, source: str, methods: list[str] | None = None) -> list[Mutant]:
    """Every mutant of the definition ``source`` of contract item ``item`` (one change each;
    for a class, in each of ``methods``), in a stable order."""
    found = []
    base = ast.parse(source)
    for unit, function in _units(base, item, methods or []):
        counts: dict[str, int] = {}
        body = function.body[1:] if function.body and isinstance(function.body[0], ast.Expr) \
            and isinstance(getattr(function.body[0], "value", None), ast.Constant) else function.body
        sites = [("return_none", function)] + [site for statement in body
                                                for site in _sites(statement)]
        nodes = list(ast.walk(base))
        for operator, node in sites:
            if _apply(operator, node) is None:
                continue
            tree = copy.deepcopy(base)      # the same node in a copy: same place in the walk
            target = list(ast.walk(tree))[nodes.index(node)]
            _Replace(target, _apply(operator, target)).visit(tree)
            try:
                mutated = ast.unparse(ast.fix_missing_locations(tree)) + "\n"
                compile(mutated, "<mutant>", "exec")
            except (SyntaxError, ValueError, TypeError):
                continue
            if mutated == ast.unparse(base) + "\n":
                continue
            counts[operator] = counts.get(operator, 0) + 1
            found.append(Mutant(id=f"{unit}:{operator}:{counts[operator]}", item=item,
                                unit=unit, source=mutated, line=getattr(node, "lineno", 0)))
    return found


# ------------------------------------------------------------------ hand-written variants
def definitions_of(text: str) -> dict[str, str]:
    """{name: source} of the top-level functions and classes of a variant file, each up to the
    next top-level statement (comments that close a body, such as a solution marker, stay)."""
    tree, lines = ast.parse(text), text.splitlines()
    starts = [node.lineno - 1 - len(getattr(node, "decorator_list", [])) for node in tree.body]
    return {node.name: "\n".join(lines[start:end]).strip("\n")
            for node, start, end in zip(tree.body, starts, starts[1:] + [len(lines)])
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def read_variants(folder) -> dict[str, dict[str, str]]:
    """{variant name: {definition name: source}} of every ``<name>.py`` in ``folder`` (the
    hand-written mutants or alternatives of a lab: ``tests/files/labs/<lab>/mutants``)."""
    from pathlib import Path

    return {path.stem: definitions_of(path.read_text(encoding="utf-8"))
            for path in sorted(Path(folder).glob("*.py"))}
