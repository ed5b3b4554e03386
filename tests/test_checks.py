"""coursetools.checks: comparisons, mistake diagnosis, graded tests and the grader's record mode."""
import ast
import json
import sys

import numpy as np
import pytest

from coursetools import checks, generate
from tests.conftest import ROOT

RNG = np.random.default_rng(0)
W = RNG.normal(size=(3, 4))          # a non-square "gradient"
SQ = RNG.normal(size=(3, 3))         # a square one


@pytest.fixture(autouse=True)
def fresh_state():
    """Every test starts in notebook mode with no recorded results."""
    checks.disable_recording()
    checks._STATE["results"].clear()
    yield
    checks.disable_recording()
    checks._STATE["results"].clear()


def codes(name, got, expected, sizes=()):
    return [code for code, _ in checks.diagnose(name, got, expected, sizes=sizes)]


# ----------------------------------------------------------------------------- diagnose
@pytest.mark.parametrize("name, got, expected, sizes, code", [
    ("grad_w1", W[:, :2], W, (), "shape"),
    ("loss", np.array([3.0]), 3.0, (), "shape"),
    ("grad_w1", W.T, W, (), "transposed"),
    ("grad_w2", SQ.T, SQ, (), "transposed"),
    ("grad_w1", 2 * W, W, (), "factor_2"),
    ("grad_w1", W / 2, W, (), "half"),
    ("grad_w1", -W, W, (), "sign"),
    ("grad_w1", W / 5, W, (3, 5, 15), "mean_not_sum"),
    ("loss", 7.5 * 15, 7.5, (3, 5, 15), "mean_not_sum"),
    ("grad_w1", np.where(W > 0, W, 1.0), np.where(W > 0, W, 0.0), (), "relu_mask_missing"),
    ("y1_relu", W, np.maximum(W, 0), (), "relu_mask_missing"),
    ("grad_w1", np.where(W > 0, 0.0, W), W, (), "relu_mask_wrong"),
    ("y2_pred", np.maximum(W, 0), W, (), "output_relu"),
    ("loss_history", [5.0, 3.0, 2.0], [9.0, 5.0, 3.0], (), "history_shifted"),
    ("loss_history", [9.0, 5.5, 3.7], [9.0, 5.0, 3.0], (), "update_order"),
    ("grad_w1", np.full((3, 4), np.nan), W, (), "not_finite"),
    ("loss", 0.0, 4.0, (), "values"),                  # no ReLU hint for the loss
    ("w1", np.where(W > 0, W, 0.0), W, (), "values"),  # nor for trained weights
    ("grad_w1", W + 0.1 * RNG.normal(size=W.shape), W, (), "values"),
])
def test_each_mistake_is_recognised(name, got, expected, sizes, code):
    found = codes(name, got, expected, sizes)
    assert code in found, found
    assert all(c in checks.MISTAKES for c in found)


def test_half_and_mean_by_two_are_both_reported_when_ambiguous():
    assert codes("grad_w1", W / 2, W, sizes=(2,)) == ["half", "mean_not_sum"]


def test_hints_name_the_output_and_the_fix():
    (code, text), = checks.diagnose("grad_w1", W / 2, W)
    assert code == "half" and "grad_w1" in text and "2 * (y2_pred - y_true)" in text
    (code, text), = checks.diagnose("grad_w2", -W, W)
    assert code == "sign" and "NEGATIVE" in text


def test_batch_sizes_come_from_the_targets():
    assert checks.batch_sizes(dict(x=np.zeros((5, 3)), y_true=np.zeros((5, 2)))) == [2, 5, 10]
    assert checks.batch_sizes(dict(x=np.zeros((1, 3)), y_true=np.zeros((1, 4)))) == [4]
    assert checks.batch_sizes(dict(x=2.0, y_true=1.0)) == []


# ----------------------------------------------------------------------------- compare
@pytest.mark.parametrize("got", [
    (1.5, np.float64(2.0), np.array(3.0)),      # Python float, numpy scalar, 0-d array
    [1.5, 2.0, 3.0],                            # a list instead of a tuple
    (1.5 + 1e-12, 2.0 * (1 + 1e-8), 3.0),       # within rtol=1e-6 / atol=1e-9
])
def test_valid_alternatives_are_accepted(got):
    assert checks.compare(got, (1.5, 2.0, 3.0), names=("a", "b", "c")) == []


def test_history_as_list_or_array_and_outputs_as_tuple_or_list():
    expected = (W, SQ, [3.0, 2.0])
    assert checks.compare([W.copy(), SQ.copy(), np.array([3.0, 2.0])], expected) == []
    assert checks.compare((W.copy(), SQ.copy(), (3.0, 2.0)), expected) == []


def test_wrong_number_or_type_of_outputs():
    (mismatch,) = checks.compare([W], (W, SQ), names=("grad_w1", "grad_w2"))
    assert mismatch["codes"] == ["wrong_type"] and "grad_w1, grad_w2" in mismatch["message"]
    (mismatch,) = checks.compare([W, None], (W, SQ), names=("grad_w1", "grad_w2"))
    assert mismatch["codes"] == ["wrong_type"] and mismatch["output"] == "grad_w2"


def test_a_mismatch_message_shows_expected_got_and_hint():
    (mismatch,) = checks.compare([W, -SQ], (W, SQ), names=("grad_w1", "grad_w2"))
    assert mismatch["output"] == "grad_w2" and mismatch["codes"] == ["sign"]
    for part in ("expected (shape (3, 3))", "got      (shape (3, 3))", "hint [sign]"):
        assert part in mismatch["message"]


# ----------------------------------------------------------------------------- check + graded
def forward(x, w1, w2):
    y1 = x @ w1
    y1_relu = np.maximum(y1, 0)
    return y1, y1_relu, y1_relu @ w2


def train_in_place(x, y_true, w1, w2, learning_rate, iterations):
    w1 -= learning_rate          # modifies the caller's array
    return w1, w2, [0.0] * iterations


X, W1, W2 = RNG.normal(size=(4, 3)), RNG.normal(size=(3, 5)), RNG.normal(size=(5, 2))
ARGS = dict(x=X, w1=W1, w2=W2)
EXPECT = forward(X, W1, W2)
NAMES = ("y1", "y1_relu", "y2_pred")


def test_check_passes_and_graded_prints_points(capsys):
    with checks.graded("fwd", points=2):
        checks.check(forward, ARGS, EXPECT, NAMES)
    assert "\u2713 fwd (2/2 points)" in capsys.readouterr().out
    assert checks.results() == [dict(test="fwd", points=2, earned=2, status="passed", codes=[])]


def test_a_wrong_function_fails_with_a_targeted_message(capsys):
    def no_relu(x, w1, w2):
        y1 = x @ w1
        return y1, y1, y1 @ w2
    with pytest.raises(AssertionError) as failure:
        with checks.graded("fwd", points=2):
            checks.check(no_relu, ARGS, EXPECT, NAMES)
    message = str(failure.value)
    assert "no_relu(x, w1, w2) is not right yet" in message
    assert "output y1_relu is wrong" in message and "hint [relu_mask_missing]" in message
    assert "\u2717 fwd (0/2 points): relu_mask_missing" in capsys.readouterr().out
    assert checks.results()[0]["codes"][0] == "relu_mask_missing"


def test_mutating_an_argument_is_a_mistake_even_with_right_values():
    args = dict(x=X, y_true=W2, w1=W1.copy(), w2=W2, learning_rate=0.1, iterations=2)
    original = args["w1"].copy()
    with pytest.raises(AssertionError, match=r"hint \[mutates_input\].*w1"):
        with checks.graded("train", points=1):
            checks.check(train_in_place, args, (W1 - 0.1, W2, [0.0, 0.0]), ("w1", "w2", "loss_history"))
    assert np.array_equal(args["w1"], original), "check passes copies: the test's own data is safe"
    assert checks.results()[0]["codes"] == ["mutates_input"]


@pytest.mark.parametrize("body, code", [
    ("raise NotImplementedError('f: not implemented yet')", "not_implemented"),
    ("return undefined_name", "exception"),      # a NameError inside the student's function
    ("return 1 / 0", "exception"),
])
def test_errors_raised_by_the_function_are_classified(body, code):
    namespace = {}
    exec(f"def f(x):\n    {body}\n", namespace)
    with pytest.raises(Exception):
        with checks.graded("t", points=1):
            checks.check(namespace["f"], dict(x=1.0), 1.0, "y")
    assert checks.results()[0]["codes"] == [code]


def test_a_missing_function_is_reported_as_such():
    with pytest.raises(NameError):
        with checks.graded("t", points=1):
            checks.check(not_defined_anywhere, dict(x=1.0), 1.0, "y")  # noqa: F821
    assert checks.results()[0]["codes"] == ["missing_function"]


def test_summary_prints_every_test_and_the_total(capsys):
    with checks.graded("good", points=2):
        pass
    with pytest.raises(AssertionError):
        with checks.graded("bad", points=3):
            checks.check(lambda y: -y, dict(y=W), W, "grad_w1")
    capsys.readouterr()
    checks.summary()
    out = capsys.readouterr().out
    assert "good" in out and "bad" in out and "sign" in out
    assert out.strip().endswith("Total: 2/5 points")


# ----------------------------------------------------------------------------- record mode
def record(nonce, body):
    payloads = []
    checks.enable_recording(nonce, sink=payloads.append)
    body()
    checks.disable_recording()
    return json.loads(json.dumps(payloads))   # must survive JSON


def test_record_mode_payload_format():
    def body():
        with checks.graded("fwd", points=2):
            checks.check(forward, ARGS, EXPECT, NAMES, vary=("x", "w1"))
    call, end = record("n1", body)
    assert set(call) == {"test", "call", "func", "args", "outputs", "error", "mutated", "rtol",
                         "atol", "names"}
    assert (call["test"], call["call"], call["func"]) == ("fwd", 0, "forward")
    assert call["names"] == list(NAMES) and call["error"] is None and call["mutated"] == []
    assert (call["rtol"], call["atol"]) == (1e-6, 1e-9)
    args = {k: checks.decode(v) for k, v in call["args"].items()}
    assert not np.array_equal(args["x"], X) and args["x"].shape == X.shape, "x was varied"
    assert np.array_equal(args["w2"], W2), "w2 was not in vary"
    outputs = [checks.decode(o) for o in call["outputs"]]
    assert checks.compare(outputs, forward(args["x"], args["w1"], args["w2"]), NAMES) == []
    assert end == {"test": "fwd", "points": 2, "event": "end", "error": None}


def test_record_mode_can_keep_signs_so_a_sign_pattern_survives():
    def body():
        with checks.graded("off", points=1):
            checks.check(forward, ARGS, EXPECT, NAMES, vary=("w2",), vary_keep_sign=("x", "w1"))
    call, _ = record("signs", body)
    args = {k: checks.decode(v) for k, v in call["args"].items()}
    for name in ("x", "w1"):
        assert not np.array_equal(args[name], ARGS[name]), f"{name} was varied"
        assert np.array_equal(np.sign(args[name]), np.sign(ARGS[name])), f"{name} kept its signs"
        assert np.all(np.abs(args[name][ARGS[name] != 0]) >= 0.5), "no entry collapses towards 0"


def test_record_mode_arguments_depend_only_on_nonce_test_and_call():
    def body():
        with checks.graded("fwd", points=1):
            checks.check(forward, ARGS, EXPECT, NAMES, vary=("x",))
            checks.check(forward, ARGS, EXPECT, NAMES, vary=("x",))
    first, second = record("abc", body), record("abc", body)
    other = record("xyz", body)
    assert first == second
    assert first[0]["args"]["x"] != first[1]["args"]["x"], "each call gets its own values"
    assert first[0]["args"]["x"] != other[0]["args"]["x"], "another nonce, other values"


def test_record_mode_never_raises_and_reports_errors():
    def broken(x, w1, w2):
        raise NotImplementedError("forward: not implemented yet")

    def returns_none(x):
        return None

    def body():
        with checks.graded("ni", points=1):
            checks.check(broken, ARGS, EXPECT, NAMES, vary=("x",))
        with checks.graded("none", points=1):
            checks.check(returns_none, dict(x=1.0), 1.0, "y", vary=("x",))
        with checks.graded("missing", points=1):
            checks.check(not_defined_anywhere, ARGS, EXPECT, NAMES)  # noqa: F821
        with checks.graded("mutates", points=1):
            checks.check(train_in_place, dict(x=1.0, y_true=1.0, w1=W1.copy(), w2=W2,
                                              learning_rate=0.5, iterations=1),
                         None, ("w1", "w2", "loss_history"), vary=("w1",))
    payloads = record("n", body)
    ni, ni_end, none, none_end, missing_end, mutates, mutates_end = payloads
    assert ni["outputs"] is None and ni["error"].startswith("NotImplementedError: forward")
    assert checks.error_code(ni["error"]) == "not_implemented"
    assert none["outputs"] is None and checks.error_code(none["error"]) == "wrong_type"
    assert missing_end["error"].startswith("NameError")
    assert checks.error_code(missing_end["error"], where="end") == "missing_function"
    assert mutates["mutated"] == ["w1"] and mutates["error"] is None
    assert all(p["event"] == "end" for p in (ni_end, none_end, missing_end, mutates_end))


def test_encode_decode_round_trip_including_non_finite_values():
    value = np.array([[1.5, np.nan], [np.inf, -np.inf]])
    encoded = json.loads(json.dumps(checks.encode(value)))
    assert encoded == {"shape": [2, 2], "data": [1.5, "nan", "inf", "-inf"]}
    assert np.array_equal(checks.decode(encoded), value, equal_nan=True)
    assert checks.decode(checks.encode(2.0)).shape == ()


# ----------------------------------------------------------------------------- the module itself
def test_checks_imports_only_the_standard_library_and_numpy():
    tree = ast.parse((ROOT / "coursetools" / "checks.py").read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    allowed = set(sys.stdlib_module_names) | {"numpy", "IPython"}   # IPython only for display
    assert imported <= allowed, imported - allowed


def test_the_checks_cell_works_on_its_own(capsys):
    """The inlined cell defines everything a notebook needs, numpy as np included."""
    namespace = {}
    exec(compile(generate.checks_cell_source(), "<checks cell>", "exec"), namespace)
    assert namespace["np"] is np
    exec("def f(x):\n    return abs(x)\nwith graded('t', points=1):\n    check(f, dict(x=-2.0), 2.0, 'y')\nsummary()", namespace)
    assert "Total: 1/1 points" in capsys.readouterr().out


# ----------------------------------------------------------------------------- mistakes seen against the inputs
G = RNG.normal(size=(4, 3))


@pytest.mark.parametrize("got, expected, inputs, code", [
    (G, G * 0.2, dict(u=G + 1, grad_z=G), "derivative_missing"),   # the incoming gradient, unchanged
    (W, W - 0.1, dict(W=W, dW=np.ones_like(W)), "unchanged"),        # a weight that was not updated
    (G, G + np.array([[1.0, -2.0, 0.5]]), dict(x=G[:, :2], b=np.array([[1.0, -2.0, 0.5]])), "bias_missing"),
    (G, G + np.array([[1.0, -2.0, 0.5]]), dict(b2=np.array([[1.0, -2.0, 0.5]])), "bias_missing"),
])
def test_mistakes_recognised_against_the_inputs(got, expected, inputs, code):
    assert [c for c, _ in checks.diagnose("out", got, expected, inputs=inputs)] == [code]
    assert checks.diagnose("out", got, expected) == checks.diagnose("out", got, expected, inputs={}), \
        "without inputs nothing changes"
    assert code in checks.MISTAKES


def test_an_all_zero_array_is_reported_as_zeros_but_a_zero_number_as_a_mask():
    assert codes("db", np.zeros((1, 3)), np.array([[1.0, -2.0, 0.5]])) == ["zeros"]
    assert codes("grad_w1", 0.0, 3.0) == ["relu_mask_wrong"]          # lab 1: one dead unit


def test_mean_not_sum_hint_follows_the_direction():
    (code, text), = checks.diagnose("loss", 7.5 * 4, 7.5, sizes=(4,))
    assert code == "mean_not_sum" and "1/N" in text and "4 times" in text
    (code, text), = checks.diagnose("loss", 7.5 / 4, 7.5, sizes=(4,))
    assert code == "mean_not_sum" and "divided by 4" in text


def test_batch_sizes_also_come_from_d_or_y():
    assert checks.batch_sizes(dict(y=np.zeros((6, 1)), d=np.zeros((6, 3)))) == [3, 6, 18]
    assert checks.batch_sizes(dict(u=np.zeros((6, 3)), y=np.zeros((5, 1)))) == [5]


def test_a_test_may_word_its_hints_itself(capsys):
    hints = {"sign": "the delta of softmax with cross-entropy is y - d"}
    (code, text), = checks.diagnose("grad_u", -G, G, hints=hints)
    assert (code, text) == ("sign", hints["sign"])
    with pytest.raises(AssertionError, match=r"hint \[sign\]: the delta of softmax"):
        with checks.graded("t", points=1):
            checks.check(lambda u: -u, dict(u=G), G, "grad_u", hints=hints)
    calls = record("n", lambda: checks.check(lambda u: u, dict(u=G), G, "grad_u", hints=hints))
    assert calls[0]["hints"] == hints
    assert "hints" not in record("n", lambda: checks.check(lambda u: u, dict(u=G), G, "grad_u"))[0]



def test_a_label_names_a_lambda_in_messages_and_for_the_grader():
    with pytest.raises(AssertionError, match=r"^Value\.__mul__\(a\) is not right yet"):
        with checks.graded("t", points=1):
            checks.check(lambda a: 2 * a, dict(a=1.5), 4.0, "f", label="Value.__mul__")
    calls = record("n", lambda: checks.check(lambda a: 2 * a, dict(a=1.5), None, "f",
                                             vary=("a",), label="Value.__mul__"))
    assert calls[0]["func"] == "Value.__mul__"
    assert record("n", lambda: checks.check(forward, ARGS, None, NAMES))[0]["func"] == "forward"

# ----------------------------------------------------------------------------- method
class Affine:
    """A layer of the labs' contract: W (n_in, n_out), b (1, n_out), forward stores x."""

    def __init__(self, n_in, n_out, rng):
        self.W = rng.standard_normal((n_in, n_out))
        self.b = np.zeros((1, n_out))

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad_u):
        self.dW = self.x.T @ grad_u
        self.db = grad_u.sum(axis=0, keepdims=True)
        return grad_u @ self.W.T

    def step(self, learning_rate):
        self.W -= learning_rate * self.dW      # in place: allowed on the object's own copy
        self.b -= learning_rate * self.db


class Chain:
    def __init__(self, layers):
        self.layers = list(layers)

    def step(self, learning_rate):
        for layer in self.layers:
            layer.step(learning_rate)


def fit(net, x, learning_rate):
    layer = net.layers[0]
    layer.backward(layer.forward(x))
    layer.step(learning_rate)
    return float(np.sum(layer.W))


B = RNG.normal(size=(1, 5))


def test_method_builds_sets_runs_and_returns():
    backward = checks.method(Affine, "backward", init=(3, 5, np.random.default_rng(0)),
                             attrs=("W", "b"), before=[("forward", "x")], call=("grad_u",),
                             returns=("return", "dW", "db"))
    assert backward.__name__ == "Affine.backward"
    args = dict(W=W1, b=B, x=X, grad_u=np.ones((4, 5)))
    grad_x, dW, db = backward(**args)
    assert np.allclose(grad_x, np.ones((4, 5)) @ W1.T) and np.allclose(dW, X.T @ np.ones((4, 5)))
    assert np.allclose(db, np.full((1, 5), 4.0))
    with checks.graded("m", points=1):
        checks.check(backward, args, (grad_x, dW, db), ("grad_x", "dW", "db"))


def test_method_init_only_and_the_same_random_numbers_at_every_call():
    build = checks.method(Affine, init=(2, 3, np.random.default_rng(7)), returns=("W", "b"))
    assert build.__name__ == "Affine"
    first, second = build(), build()
    assert np.array_equal(first[0], second[0])
    assert np.array_equal(first[0], np.random.default_rng(7).standard_normal((2, 3)))


def test_method_on_an_object_with_paths_steps_and_a_function():
    net = Chain([Affine(3, 5, np.random.default_rng(1))])
    step = checks.method(net, "step", attrs={"W1": "layers.0.W", "b1": "layers.0.b"},
                         before=[{"dW1": "layers.0.dW", "db1": "layers.0.db"}],
                         call=("learning_rate",), returns=("layers.0.W", "layers.0.b"))
    assert step.__name__ == "Chain.step"
    args = dict(W1=W1, b1=B, dW1=np.ones_like(W1), db1=np.ones_like(B), learning_rate=0.5)
    with checks.graded("step", points=1):    # in-place updates of the object's copies are fine
        checks.check(step, args, (W1 - 0.5, B - 0.5), ("W1", "b1"))
    assert fit.__name__ == checks.method(net, fit, call=("x", "learning_rate")).__name__
    total = checks.method(net, fit, attrs={"W1": "layers.0.W"}, call=("x", "learning_rate"))
    assert np.isfinite(total(W1=W1, x=X, learning_rate=0.1))
    assert np.array_equal(net.layers[0].b, np.zeros((1, 5))), "the object itself is never touched"


def test_method_reports_a_missing_attribute_and_a_not_implemented_method():
    class Lazy(Affine):
        def backward(self, grad_u):
            return grad_u @ self.W.T            # forgets to store dW and db

    lazy = checks.method(Lazy, "backward", init=(3, 5, np.random.default_rng(0)),
                         before=[("forward", "x")], call=("grad_u",), returns=("return", "dW"))
    with pytest.raises(AttributeError, match="no attribute 'dW'"):
        lazy(x=X, grad_u=np.ones((4, 5)))

    class Todo(Affine):
        def forward(self, x):
            raise NotImplementedError("Todo.forward: not implemented yet")

    with pytest.raises(NotImplementedError):
        with checks.graded("todo", points=1):
            checks.check(checks.method(Todo, "forward", init=(3, 5, np.random.default_rng(0)),
                                       call=("x",)), dict(x=X), X, "u")
    assert checks.results()[-1]["codes"] == ["not_implemented"]


def test_method_in_record_mode_varies_the_attributes():
    backward = checks.method(Affine, "backward", init=(3, 5, np.random.default_rng(0)),
                             attrs=("W", "b"), before=[("forward", "x")], call=("grad_u",),
                             returns=("dW", "db"))

    def body():
        with checks.graded("rec", points=1):
            checks.check(backward, dict(W=W1, b=B, x=X, grad_u=np.ones((4, 5))), None,
                         ("dW", "db"), vary=("W", "x", "grad_u"))
    call, end = record("n2", body)
    assert call["func"] == "Affine.backward" and call["error"] is None and end["error"] is None
    args = {k: checks.decode(v) for k, v in call["args"].items()}
    dW, db = (checks.decode(o) for o in call["outputs"])
    assert np.allclose(dW, args["x"].T @ args["grad_u"]) and np.allclose(db, args["grad_u"].sum(0))
