"""The chapters' SymPy checks fail when the mathematics is wrong.

nbval proves that every check passes on the course's formulas, but a check that cannot fail passes
too. Each case here breaks one step of a derivation the way a reader (or a careless edit) might —
a dropped activation slope, fan-in where fan-out belongs, Var(z) where E[z²] belongs, a batch
mean where the loss is a sum — runs the chapter's code up to the check in this process, and
expects that check's ``assert`` to fail, and no earlier cell to fail first.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Break:
    notebook: str
    old: str          # text of exactly one code cell of the notebook
    new: str          # what a wrong derivation would have there
    check: str = ""   # text of the cell whose assert must fail (default: the broken cell)


BREAKS = {
    # Learning as minimisation (chapter 1)
    "change of a quadratic without the 1/2 of its second-order term": Break(
        "01_learning_as_minimisation", "+ eta_s**2 / 2 * (g_v.T * A_s * g_v)[0, 0]",
        "+ eta_s**2 * (g_v.T * A_s * g_v)[0, 0]"),
    # Computational graphs (chapter 2)
    "multi-path chain rule with one path only": Break(
        "02_computational_graphs", "\n            + sp.diff(F, b).subs(on_path) * sp.diff(b_of_x, xs))", ")"),
    # Backpropagation: deltas (chapter 3)
    "labs' squared error without its factor 2": Break(
        "03_backprop_deltas", '- 2 * (y_id[k] - d[k])) == 0, "labs 1-3"',
        '- (y_id[k] - d[k])) == 0, "labs 1-3"'),
    "sigmoid output delta without the sigmoid's slope": Break(
        "03_backprop_deltas", "(y_sig[k] - d[k]) * y_sig[k] * (1 - y_sig[k])) == 0",
        "(y_sig[k] - d[k])) == 0"),
    "softmax Jacobian without the indicator 1[k=j]": Break(
        "03_backprop_deltas", "y_soft[k] * (indicator - y_soft[j])",
        "y_soft[k] * (1 - y_soft[j])"),
    "delta recursion without the hidden slope f'(u_j)": Break(
        "03_backprop_deltas", "delta[l] = [f_prime(us[l][j - 1]) * sum(", "delta[l] = [sum(",
        check='assert sp.expand(difference) == 0, f"mismatch for w^({l})_{j}{i}"'),
    "output delta without the output slope g'(u_k)": Break(
        "03_backprop_deltas", "(y[k] - d_out[k]) * g_prime(us[L][k])", "(y[k] - d_out[k])",
        check='assert sp.expand(difference) == 0, f"mismatch for w^({l})_{j}{i}"'),
    "sigmoid + binary cross-entropy delta with the sigmoid's slope": Break(
        "03_backprop_deltas", '- (y_sig[k] - d[k])) == 0, "sigmoid + binary cross-entropy"',
        '- (y_sig[k] - d[k]) * y_sig[k] * (1 - y_sig[k])) == 0, "sigmoid + binary cross-entropy"'),
    "worked example: hidden delta without the sigmoid's slope": Break(
        "03_backprop_deltas", "delta1_ex = z1_ex[1:] * (1 - z1_ex[1:]) * (W2_ex[:, 1:].T @ delta2_ex)",
        "delta1_ex = W2_ex[:, 1:].T @ delta2_ex"),
    "one-glance card: hidden delta without f'(U)": Break(
        "03_backprop_deltas", "Delta1 = f_prime(U1) * (Delta2 @ W2)", "Delta1 = Delta2 @ W2"),
    "tanh output delta without tanh'": Break(
        "03_backprop_deltas", "(y_tanh[j] - d[j]) * (1 - y_tanh[j] ** 2)", "(y_tanh[j] - d[j])"),
    "skip connection's term left out of the delta recursion": Break(
        "03_backprop_deltas", "(through_layer_2 + v_11 * delta3)", "(through_layer_2)"),
    "sigmoid with slope xi: the chain rule's xi dropped": Break(
        "03_backprop_deltas", "assert sp.simplify(grad_w - xi_e6 * grad_v) == 0",
        "assert sp.simplify(grad_w - grad_v) == 0"),
    # The Jacobian form (chapter 4)
    "tanh' written as 1 - tanh": Break(
        "04_jacobian_form", "f_prime = lambda v: 1 - sp.tanh(v)**2   # derivative of tanh, by hand",
        "f_prime = lambda v: 1 - sp.tanh(v)   # derivative of tanh, by hand"),
    "back through W without going back through f": Break(
        "04_jacobian_form", "assert_equal(W.T * delta.subs(at_u),",
        "assert_equal(W.T * (z_out - d).subs(at_u),"),
    "hidden delta W^T delta without the element-wise f'(u)": Break(
        "04_jacobian_form", "delta1 = f1_prime.multiply_elementwise(W2.T * delta2)",
        "delta1 = W2.T * delta2"),
    "batch deltas divided by N while the loss is a sum": Break(
        "04_jacobian_form", "Delta1 = F1_prime.multiply_elementwise(Delta2 * W2)     # N x M_1",
        "Delta1 = F1_prime.multiply_elementwise(Delta2 * W2) / N"),
    "bias gradient from the first sample only": Break(
        "04_jacobian_form", "assert_equal(Delta1.T * ones, entrywise_grad(E, b1))",
        "assert_equal(Delta1[0, :].T, entrywise_grad(E, b1))"),
    # Debugging backpropagation (chapter 5)
    "central difference at a ReLU kink without the 2 of 2h": Break(
        "05_debugging_backprop", "quotient(inside) - (inside + h) / (2 * h)", "quotient(inside) - (inside + h) / h"),
    # The initialisation variance (chapter 6)
    "ReLU keeps all of the variance": Break(
        "06_initialisation_variance", "assert sp.simplify(relu_second_moment - sigma**2 / 2) == 0",
        "assert sp.simplify(relu_second_moment - sigma**2) == 0"),
    "Var(z) where E[z^2] belongs": Break(
        "06_initialisation_variance", "claim = M_small * s**2 * second_moment_z",
        "claim = M_small * s**2 * var_z"),
    "LeCun's 1/M for a ReLU network": Break(
        "06_initialisation_variance", "forward_ratio.subs(var_w, 2 / M) - 1) == 0",
        "forward_ratio.subs(var_w, 1 / M) - 1) == 0"),
    "backward variance with the fan-in": Break(
        "06_initialisation_variance", "fan_out_formula = M_next * s**2", "fan_out_formula = M_l * s**2"),
    "He initialisation for a leaky ReLU with 1 + alpha for 1 + alpha^2": Break(
        "06_initialisation_variance", "(2 / ((1 + alpha**2) * M))", "(2 / ((1 + alpha) * M))"),
    # Training in practice (chapter 7)
    "weight decay's shrinkage without the learning rate": Break(
        "07_training_in_practice", "((1 - eta_wd * zeta) * w_i", "((1 - zeta) * w_i"),
    "Adam's average weights summing to 1 - beta^(t+1)": Break(
        "07_training_in_practice", "assert sp.expand(weights - (1 - beta ** t)) == 0",
        "assert sp.expand(weights - (1 - beta ** (t + 1))) == 0"),
    "weight decay as a Gaussian prior with the ratio of variances inverted": Break(
        "07_training_in_practice", "(E_sum + sigma**2 / sigma_w**2 / 2 * (w_1**2 + w_2**2))",
        "(E_sum + sigma_w**2 / sigma**2 / 2 * (w_1**2 + w_2**2))"),
    "Adam's bias correction one step late, 1 - beta^(t+1)": Break(
        "07_training_in_practice", "c1, c2 = (1 - self.b1 ** self.t, 1 - self.b2 ** self.t)",
        "c1, c2 = (1 - self.b1 ** (self.t + 1), 1 - self.b2 ** (self.t + 1))"),
    # From scratch to frameworks (chapter 10)
    "parameter count without the biases": Break(
        "10_from_scratch_to_frameworks", '(sp.Indexed("M", l_s - 1) + 1)', 'sp.Indexed("M", l_s - 1)'),
    "softmax + cross-entropy delta written d - y": Break(
        "10_from_scratch_to_frameworks", "delta_sym = softmax_sym(u_sym) - sp.eye(K_s)[:, c]",
        "delta_sym = sp.eye(K_s)[:, c] - softmax_sym(u_sym)"),
    "double-softmax floor log(1 + K/e) instead of log(1 + (K-1)/e)": Break(
        "10_from_scratch_to_frameworks", "sp.log(1 + (K_s - 1) / sp.E)) == 0",
        "sp.log(1 + K_s / sp.E)) == 0"),
    # Backprop through real layers (chapter 9)
    "col2im overwriting overlapping patches instead of adding": Break(
        "09_backprop_through_real_layers", "image[:, :, a:a + Ho, b:b + Wo] += rows",
        "image[:, :, a:a + Ho, b:b + Wo] = rows", check='what=f"conv, dE/d{name}")'),
    "convolution's incoming gradient flattened without its transpose to (N, Ho, Wo, F)": Break(
        "09_backprop_through_real_layers", "G_rows = G.transpose(0, 2, 3, 1).reshape(-1, F)",
        "G_rows = G.reshape(-1, F)", check='what=f"conv, dE/d{name}")'),
    "max pooling's gradient sent to every input of the window": Break(
        "09_backprop_through_real_layers",
        "return np.where(winner, G[:, :, :, np.newaxis, :, np.newaxis], 0.0).reshape(x.shape)",
        "return np.broadcast_to(G[:, :, :, np.newaxis, :, np.newaxis], windows.shape).reshape(x.shape)",
        check='what="max pooling")'),
    "average pooling without the 1/k^2": Break(
        "09_backprop_through_real_layers", "share = G[:, :, :, np.newaxis, :, np.newaxis] / k ** 2",
        "share = G[:, :, :, np.newaxis, :, np.newaxis]", check='what="average pooling")'),
    "batch norm without the paths through the batch mean and variance": Break(
        "09_backprop_through_real_layers",
        "grad_x = inv_std * (G_hat - G_hat.sum(axis=0) / N - x_hat * (G_hat * x_hat).sum(axis=0) / N)",
        "grad_x = inv_std * G_hat", check='what=f"batch norm, dE/d{name}")'),
    "batch norm without the path through the variance": Break(
        "09_backprop_through_real_layers",
        "grad_x = inv_std * (G_hat - G_hat.sum(axis=0) / N - x_hat * (G_hat * x_hat).sum(axis=0) / N)",
        "grad_x = inv_std * (G_hat - G_hat.sum(axis=0) / N)", check='what=f"batch norm, dE/d{name}")'),
    "dropout's gradient without the 1/(1 - p)": Break(
        "09_backprop_through_real_layers", "return G * keep / (1 - p)", "return G * keep",
        check='what="dropout")'),
    "embedding gradient by fancy-index assignment, a repeated id counted once": Break(
        "09_backprop_through_real_layers", "np.add.at(table, ids, G)", "table[ids] += G",
        check='what="embedding")'),
    "mean softmax cross-entropy's gradient without the 1/N": Break(
        "09_backprop_through_real_layers", "return (Y - np.eye(K, dtype=int)[labels]) / N",
        "return Y - np.eye(K, dtype=int)[labels]", check='what="softmax cross-entropy")'),
    "attention through the softmax without the sum of its Jacobian": Break(
        "09_backprop_through_real_layers", "G_Z = A * (G_A - (G_A * A).sum(axis=1, keepdims=True))",
        "G_Z = A * G_A", check='what=f"attention, dE/d{name}")'),
    "attention's backward pass without the 1/sqrt(d)": Break(
        "09_backprop_through_real_layers", "scale = 1 / sqrt(Q.shape[1])", "scale = 1",
        check='what=f"attention, dE/d{name}")'),
    # Automatic differentiation (chapter 8 of the new numbering)
    "Value's product sends each factor its own value": Break(
        "08_automatic_differentiation", '[(self, other.data), (other, self.data)], "×"',
        '[(self, self.data), (other, other.data)], "×"',
        check='assert abs(x.grad - float(sp.diff(f_sym, xs).subs(point))) < 1e-12, "df/dx"'),
    "backward pass that overwrites instead of adding the paths": Break(
        "08_automatic_differentiation", "parent.grad += node.grad * local", "parent.grad = node.grad * local",
        check='assert abs(x.grad - float(sp.diff(f_sym, xs).subs(point))) < 1e-12, "df/dx"'),
    "topological order that marks a node visited when it is pushed, not when it is expanded": Break(
        "08_automatic_differentiation",
        """        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            stack.extend((parent, False) for parent, _ in node.parents if parent not in visited)""",
        """        else:
            stack.append((node, True))
            for parent, _ in node.parents:
                if parent not in visited:
                    visited.add(parent)
                    stack.append((parent, False))""",
        check='assert abs(x.grad - (1 - math.tanh(0.8) ** 2) * (1 + y.data)) < 1e-12, "h passed on an incomplete gradient"'),
    "dual product without the a d term of the product rule": Break(
        "08_automatic_differentiation", "self.value * other.tangent + self.tangent * other.value",
        "self.tangent * other.value",
        check='assert sp.expand(product.coeff(eps, 1) - by_dual.tangent) == 0, "the product rule"'),
    "dual tanh without the slope 1 - tanh^2": Break(
        "08_automatic_differentiation", "return Dual(t, (1.0 - t * t) * self.tangent)",
        "return Dual(t, self.tangent)",
        check="assert abs(g_dual(Dual(a_val, b_val)).tangent - exact) < 1e-12, g_sym"),
    "VJP of a layer without f'(u)": Break(
        "08_automatic_differentiation", "return W.T @ (slope * y_bar)", "return W.T @ y_bar",
        check='assert rel(vjp(x0, y_bar), J.T @ y_bar) < 1e-12, "VJP is J^T y_bar"'),
    # Matrix calculus (appendix)
    "product rule of differentials with the factors swapped, X dY + dX Y in the wrong order": Break(
        "appendix_matrix_calculus", "product_rule = dX * Y + X * dY", "product_rule = Y * dX + dY * X",
        check='assert sp.simplify(first_order((X + t * dX) * (Y + t * dY)) - product_rule) == sp.zeros(2, 2), "d(XY)"'),
    "differential of the inverse without its minus sign": Break(
        "appendix_matrix_calculus", "inverse_rule = -X.inv() * dX * X.inv()", "inverse_rule = X.inv() * dX * X.inv()",
        check='assert sp.simplify(first_order((X + t * dX).inv()) - inverse_rule) == sp.zeros(2, 2), "d(X^-1)"'),
    "trace trick: gradient of tr(W^T A W) as 2 A W for a non-symmetric A": Break(
        "appendix_matrix_calculus", "(A + A.T) * W) == sp.zeros(2, 2)", "2 * A * W) == sp.zeros(2, 2)"),
    "trace trick: the bias gradient of a batch as the mean of the rows of Delta": Break(
        "appendix_matrix_calculus", '"dE/db": Delta.T @ np.ones(N)', '"dE/db": Delta.mean(axis=0)',
        check='assert error < 1e-7, name'),
    "vec(AXB) with the Kronecker factors in the wrong order": Break(
        "appendix_matrix_calculus", "sp.kronecker_product(B.T, A) * vec(X)", "sp.kronecker_product(A, B.T) * vec(X)"),
    "the adjoint of a broadcast as a mean": Break(
        "appendix_matrix_calculus", "return G.sum(axis=stretched, keepdims=True)",
        "return G.mean(axis=stretched, keepdims=True)",
        check="assert rel(by_sum, central_differences(loss, np.asarray(b, dtype=float))) < 1e-7, shape"),
    # Notation page: the table of loss scalings
    "loss table: lab 4's mean squared error with delta 2(y - d) and no 1/N": Break(
        "notation", "lambda U: 2 / N * (sigmoid(U) - D_prob) * sigmoid(U) * (1 - sigmoid(U)),",
        "lambda U: 2 * (sigmoid(U) - D_prob) * sigmoid(U) * (1 - sigmoid(U)),"),
    "loss table: the chapters' learning rate for MSELoss's 0.05 as 0.05 / 32": Break(
        "notation", "lambda U: squares(U, D_1) / 2, 0.05 / 64),", "lambda U: squares(U, D_1) / 2, 0.05 / 32),"),
    # Mathematical prerequisites (appendix)
    "Hessian of a quadratic form without its 1/2": Break(
        "appendix_prerequisites", "E_quad = (e.T * A * e)[0] / 2", "E_quad = (e.T * A * e)[0]"),
}


def code_cells(notebook: str) -> list[str]:
    """The code cells nbval runs: the cells that need PyTorch or Keras (tagged nbval-skip) are
    left out, as in `make test`."""
    nb = nbformat.read(CHAPTERS / f"{notebook}.ipynb", as_version=4)
    return [cell.source for cell in nb.cells if cell.cell_type == "code"
            and "nbval-skip" not in cell.metadata.get("tags", [])]


def without_magics(source: str) -> str:
    """The cell as plain Python: the chapters' only magic is ``%matplotlib inline``."""
    return "\n".join("" if line.lstrip().startswith("%") else line for line in source.split("\n"))


def run_until_check(cells: list[str], check: int) -> None:
    """Run cells 0..check-1 (each must pass) and then the check cell, whose error propagates."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    namespace = {"__name__": "__main__"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for index, source in enumerate(cells[:check + 1]):
            code = compile(without_magics(source), f"<code cell {index}>", "exec")
            if index < check:
                try:
                    exec(code, namespace)
                except Exception as error:  # noqa: BLE001 - reported as a failure of the case
                    pytest.fail(f"code cell {index} failed before the check: {error!r}")
            else:
                try:
                    exec(code, namespace)
                finally:
                    plt.close("all")
            plt.close("all")


def the_one_cell(cells: list[str], text: str, notebook: str) -> int:
    found = [index for index, source in enumerate(cells) if text in source]
    assert len(found) == 1, f"{notebook}: {text!r} is in {len(found)} code cells, expected one"
    return found[0]


@pytest.mark.parametrize("name", BREAKS)
def test_a_wrong_derivation_fails_its_check(name):
    case = BREAKS[name]
    cells = code_cells(case.notebook)
    broken = the_one_cell(cells, case.old, case.notebook)
    check = the_one_cell(cells, case.check or case.old, case.notebook)
    assert check >= broken
    cells[broken] = cells[broken].replace(case.old, case.new)
    with pytest.raises(AssertionError):
        run_until_check(cells, check)


def test_each_notebook_runs_to_its_last_check_unbroken():
    """The same driver passes on the course's own code, so a failure above is the break's."""
    for notebook in sorted({case.notebook for case in BREAKS.values()}):
        cells = code_cells(notebook)
        last = max(the_one_cell(cells, case.check or case.old, notebook)
                   for case in BREAKS.values() if case.notebook == notebook)
        run_until_check(cells, last)
