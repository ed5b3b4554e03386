"""coursetools.grading.mutants: one AST change per mutant, stable ids, every operator."""
from __future__ import annotations

import ast

from coursetools.grading import mutants

BACKWARD = '''
def backward(x, w1, w2, y_true):
    """docstring: never mutated"""
    y1 = x @ w1
    y2_pred = np.maximum(y1, 0) @ w2
    grad_y2 = 2.0 * (y2_pred - y_true)
    grad_w2 = np.maximum(y1, 0).T @ grad_y2
    grad_w1 = x.T @ ((grad_y2 @ w2.T) * (y1 > 0))
    return grad_w1, np.sum(grad_w2, axis=0, keepdims=True)
'''

CLASS = '''
class Net:
    def step(self, lr):
        for layer in reversed(self.layers):
            layer.W += -lr * layer.dW
            layer.b += -lr * layer.db
        for k in range(len(self.layers)):
            pass

    def helper(self):
        return 1
'''


def _one_change(original, mutated):
    a, b = ast.unparse(ast.parse(original)).splitlines(), mutated.splitlines()
    return len(a) >= len(b) and sum(x != y for x, y in zip(a, b)) <= 1 + (len(a) - len(b))


def test_each_operator_makes_its_mistake_once_per_site():
    found = {m.id: m for m in mutants.mutants("backward", BACKWARD)}
    operators = {i.split(":")[1] for i in found}
    assert {"flip_operator", "swap_operands", "drop_term", "drop_transpose", "change_axis",
            "drop_keepdims", "relax_comparison", "change_constant", "return_none"} <= operators
    assert "(y2_pred - y_true)" in BACKWARD and any(
        "(y_true - y2_pred)" in m.source for m in found.values())          # swapped operands
    assert any("grad_w1 = x @" in m.source for m in found.values())        # transpose dropped
    assert any("axis=1" in m.source for m in found.values())
    assert all("docstring: never mutated" in m.source for m in found.values()
               if ":return_none:" not in m.id)
    for m in found.values():
        assert m.item == m.unit == "backward" and m.source != ast.unparse(ast.parse(BACKWARD))
        compile(m.source, m.id, "exec")


def test_methods_of_a_class_only_the_listed_ones_with_stable_ids():
    first = mutants.mutants("Net", CLASS, ["step"])
    again = mutants.mutants("Net", CLASS, ["step"])
    assert [m.id for m in first] == [m.id for m in again] and first == again
    assert {m.unit for m in first} == {"Net.step"}
    operators = {m.id.split(":")[1] for m in first}
    assert {"not_reversed", "overwrite", "off_by_one", "flip_sign",
            "drop_loop_statement"} <= operators
    assert any("for layer in self.layers:" in m.source for m in first)
    assert any("layer.W = -lr * layer.dW" in m.source for m in first)
    assert any("range(len(self.layers) - 1)" in m.source for m in first)
