"""coursetools.kernel.checks: graded tests, the student's view, the session and the grader's
record mode (diagnosis and the protocol have their own test modules)."""
import ast
import json
import sys

import nbformat
import numpy as np
import pytest

from coursetools import cells
from coursetools.kernel import checks, diagnosis, protocol
from tests.conftest import ROOT

RNG = np.random.default_rng(0)
W = RNG.normal(size=(3, 4))          # a non-square "gradient"
SQ = RNG.normal(size=(3, 3))         # a square one


LAB3 = nbformat.read(ROOT / "solutions" / "lab3_minibatch.ipynb",
                     as_version=4).metadata["coursetools"]["diagnosis"]


@pytest.fixture(autouse=True)
def fresh_state():
    """Every test starts in notebook mode (strict, as in an instructor notebook), no results,
    with lab 3's diagnosis vocabulary (the names these tests use are that lab's)."""
    checks.disable_recording()
    checks.configure(diagnosis=LAB3)
    yield
    checks.disable_recording()
    checks.configure()


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
    assert checks.results() == [dict(test="fwd", points=2, earned=2, status="passed", codes=[],
                                     func="forward")]


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
    assert out.strip().splitlines()[-1].startswith("Total: 2/5 points")


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
            checks.check(forward, ARGS, EXPECT, NAMES, vary=("x", "w1"), mirror=())
    call, _own, end = record("n1", body)
    assert set(call) == {"test", "call", "func", "args", "outputs", "error", "mutated", "rtol",
                         "atol", "names"}
    assert (call["test"], call["call"], call["func"]) == ("fwd", 0, "forward")
    assert call["names"] == list(NAMES) and call["error"] is None and call["mutated"] == []
    assert (call["rtol"], call["atol"]) == (1e-6, 1e-9)
    args = {k: protocol.decode(v) for k, v in call["args"].items()}
    assert not np.array_equal(args["x"], X) and args["x"].shape == X.shape, "x was varied"
    assert np.array_equal(args["w2"], W2), "w2 was not in vary"
    outputs = [protocol.decode(o) for o in call["outputs"]]
    assert diagnosis.compare(outputs, forward(args["x"], args["w1"], args["w2"]), NAMES) == []
    assert end == {"test": "fwd", "points": 2, "event": "end", "error": None}


def test_record_mode_can_keep_signs_so_a_sign_pattern_survives():
    def body():
        with checks.graded("off", points=1):
            checks.check(forward, ARGS, EXPECT, NAMES, vary=("w2",), vary_keep_sign=("x", "w1"),
                         mirror=())
    call, _own, _ = record("signs", body)
    args = {k: protocol.decode(v) for k, v in call["args"].items()}
    for name in ("x", "w1"):
        assert not np.array_equal(args[name], ARGS[name]), f"{name} was varied"
        assert np.array_equal(np.sign(args[name]), np.sign(ARGS[name])), f"{name} kept its signs"
        assert np.all(np.abs(args[name][ARGS[name] != 0]) >= 0.5), "no entry collapses towards 0"


def test_record_mode_arguments_depend_only_on_nonce_test_and_call():
    def body():
        with checks.graded("fwd", points=1):
            checks.check(forward, ARGS, EXPECT, NAMES, vary=("x",), mirror=())
            checks.check(forward, ARGS, EXPECT, NAMES, vary=("x",), mirror=())
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
            checks.check(broken, ARGS, EXPECT, NAMES, vary=("x",), mirror=())
        with checks.graded("none", points=1):
            checks.check(returns_none, dict(x=1.0), 1.0, "y", vary=("x",), mirror=())
        with checks.graded("missing", points=1):
            checks.check(not_defined_anywhere, ARGS, EXPECT, NAMES)  # noqa: F821
        with checks.graded("mutates", points=1):
            checks.check(train_in_place, dict(x=1.0, y_true=1.0, w1=W1.copy(), w2=W2,
                                              learning_rate=0.5, iterations=1),
                         None, ("w1", "w2", "loss_history"), vary=("w1",), mirror=())
    payloads = record("n", body)
    ni, _, ni_end, none, _, none_end, missing_end, mutates, _, mutates_end = payloads
    assert ni["outputs"] is None and ni["error"].startswith("NotImplementedError: forward")
    assert protocol.error_code(ni["error"]) == "not_implemented"
    assert none["outputs"] is None and protocol.error_code(none["error"]) == "wrong_type"
    assert missing_end["error"].startswith("NameError")
    assert protocol.error_code(missing_end["error"], where="end") == "missing_function"
    assert mutates["mutated"] == ["w1"] and mutates["error"] is None
    assert all(p["event"] == "end" for p in (ni_end, none_end, missing_end, mutates_end))


# ----------------------------------------------------------------------------- the module itself
def test_the_helper_cell_works_on_its_own_and_exposes_only_the_public_names(capsys):
    """The inlined cell needs nothing but numpy; a student's own names cannot break it."""
    namespace = {}
    exec(compile(cells.helper_source("lab_x", ["f"], strict=False), "<cell>", "exec"), namespace)
    assert set(namespace) - {"__builtins__"} == set(checks.PUBLIC)
    exec("import numpy as np\nresults = 'a student variable'\ncheck_count = 3\n"
         "def f(x):\n    return abs(x)\n"
         "with graded('t', points=1):\n    check(f, dict(x=-2.0), 2.0, 'y')\nsummary()", namespace)
    assert "Total: 1/1 points" in capsys.readouterr().out


G = RNG.normal(size=(4, 3))


def test_a_test_may_word_its_hints_itself(capsys):
    hints = {"sign": "the delta of softmax with cross-entropy is y - d"}
    (code, text), = diagnosis.diagnose("grad_u", -G, G, hints=hints)
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
                         ("dW", "db"), vary=("W", "x", "grad_u"), mirror=())
    call, _own, end = record("n2", body)
    assert call["func"] == "Affine.backward" and call["error"] is None and end["error"] is None
    args = {k: protocol.decode(v) for k, v in call["args"].items()}
    dW, db = (protocol.decode(o) for o in call["outputs"])
    assert np.allclose(dW, args["x"].T @ args["grad_u"]) and np.allclose(db, args["grad_u"].sum(0))


# ----------------------------------------------------------------------------- coverage by design
def test_a_relu_network_gets_active_and_inactive_units_and_both_output_signs_on_every_seed():
    """The cases a ReLU network's tests need are there whatever the draw (any nonce)."""
    for nonce in range(20):
        calls = record(nonce, lambda: checks.check(forward, ARGS, EXPECT, NAMES,
                                                   vary=("x", "w1", "w2")))
        y1 = np.concatenate([protocol.decode(c["outputs"][0]).ravel() for c in calls])
        y2 = np.concatenate([protocol.decode(c["outputs"][2]).ravel() for c in calls])
        assert (y1 > 0).any() and (y1 < 0).any() and (y2 > 0).any() and (y2 < 0).any()


def test_a_label_names_the_function_in_messages_and_payloads():
    with pytest.raises(AssertionError, match=r"^Linear\.__init__\(seed\)"):
        with checks.graded("t", points=1):
            checks.check(lambda seed: seed + 1, dict(seed=1.0), 3.0, "y", label="Linear.__init__")
    (call,) = record("n", lambda: checks.check(lambda seed: seed, dict(seed=1.0), 1.0, "y",
                                               label="Linear.__init__"))
    assert call["func"] == "Linear.__init__"


# ----------------------------------------------------------------------------- the student's view
def student(source="", contract=("forward", "backward", "train"), methods=None):
    """A student lab's kernel: the helper cell in student mode, plus some code (the helpers'
    session sees this namespace as the notebook's)."""
    namespace = {}
    exec(compile(cells.helper_source("lab_x", contract, methods, strict=False), "<cell>", "exec"),
         namespace)
    sys.modules[cells.MODULE].SESSION.namespace = lambda: namespace
    exec(source, namespace)
    return namespace


def test_in_a_student_lab_a_failing_test_prints_and_does_not_raise(capsys):
    namespace = student("def f(y):\n    return -y\n")
    exec("with graded('t', points=2):\n    check(f, dict(y=1.5), 1.5, 'grad_w1')", namespace)
    out = capsys.readouterr().out
    assert "\u2717 t (0/2 points): sign" in out and "hint [sign]" in out
    assert "Traceback" not in out and "<test helpers>" not in out


def test_a_failure_inside_the_students_code_shows_only_the_students_frames(capsys):
    source = "def f(y):\n    return helper(y)\ndef helper(y):\n    return y[3]\n"
    namespace = student()
    exec(compile(source, "student_cell.py", "exec"), namespace)
    exec("with graded('t', points=1):\n    check(f, dict(y=1.5), 1.5, 'y')", namespace)
    out = capsys.readouterr().out
    assert "raised TypeError" in out and "Where, in your code" in out
    assert 'student_cell.py", line 2, in f' in out and "line 4, in helper" in out
    assert checks.HELPERS_FILE not in out


def test_the_failure_raised_in_an_instructor_notebook_renders_without_a_traceback():
    with pytest.raises(checks.TestFailed) as failure:
        with checks.graded("t", points=1):
            checks.check(lambda y: -y, dict(y=W), W, "grad_w1")
    assert failure.value._render_traceback_()[0].startswith("<lambda>(y) is not right yet")


def test_a_function_that_uses_a_failing_function_names_the_root_cause(capsys):
    namespace = student("def forward(x):\n    return -x\ndef train(x):\n    return forward(x) * 2\n")
    exec("with graded('fwd', points=1):\n    check(forward, dict(x=1.0), 1.0, 'y')\n"
         "with graded('tr', points=1):\n    check(train, dict(x=1.0), 2.0, 'w')\n", namespace)
    out = capsys.readouterr().out
    assert "Note: train uses forward (which failed fwd)" in out
    assert "train itself may well be right" in out


NUM = """
class Num:
    def __init__(self, v):
        self.v = v

    def __add__(self, other):
        return Num(self.v - other.v)       # the mistake

    def __neg__(self):
        return Num(-self.v)

    def __sub__(self, other):
        return self + (-other)             # right: it runs __add__ and __neg__ without naming them
"""


def test_the_root_cause_is_named_inside_a_class_through_its_operators(capsys):
    """Lab 6's Value.__sub__ is self + (-other): its test fails because of __add__, which its
    code never names (an operator). The notebook's own note names __add__ (it cascaded)."""
    namespace = student(NUM, contract=["Num"], methods={"Num": ["__add__", "__neg__", "__sub__"]})
    exec("with graded('add', points=1):\n"
         "    check(lambda a, b: (Num(a) + Num(b)).v, dict(a=1.0, b=2.0), 3.0, 's',"
         " label='Num.__add__')\n"
         "with graded('sub', points=1):\n"
         "    check(lambda a, b: (Num(a) - Num(b)).v, dict(a=1.0, b=2.0), -1.0, 'd',"
         " label='Num.__sub__')\n", namespace)
    out = capsys.readouterr().out
    assert "Note: Num.__sub__ uses Num.__add__ (which failed add)" in out, out


def test_needs_lets_run_all_go_on_and_names_what_is_missing(capsys):
    namespace = student("def train(x):\n    raise NotImplementedError('train: not implemented yet')\n")
    exec("with needs('train'):\n    train(1.0)\nreached = True", namespace)
    out = capsys.readouterr().out
    assert namespace["reached"] and "This cell stopped: NotImplementedError" in out
    assert "not passing their tests yet: train" in out
    checks.configure(strict=True)
    with pytest.raises(NotImplementedError):
        with checks.needs("train"):
            namespace["train"](1.0)


def test_ready_to_hand_in_finds_the_skeleton_and_missing_names(capsys, monkeypatch):
    namespace = student('def forward(x):\n    "doc"\n    raise NotImplementedError("x")\n'
                        "def backward(x):\n    return x\n")
    inlined = sys.modules[cells.MODULE]      # the helper cell's own copy of this module
    monkeypatch.setattr(inlined.SESSION, "namespace", lambda: namespace)
    namespace["ready_to_hand_in"]()
    out = capsys.readouterr().out
    assert "Ready to hand in? not yet" in out
    assert "not defined: train" in out and "still the skeleton" in out and "forward" in out
    assert "Download .ipynb" in out
    exec("def forward(x):\n    return x\ndef train(x):\n    return x\n"
         "with graded('t', points=1):\n    check(forward, dict(x=1.0), 1.0, 'y')", namespace)
    namespace["ready_to_hand_in"]()
    assert "Ready to hand in? yes" in capsys.readouterr().out


# ----------------------------------------------------------------------------- grader isolation
def test_isolate_binds_official_versions_and_gives_the_students_back(monkeypatch):
    namespace = {"forward": "student forward", "backward": "student backward"}
    monkeypatch.setattr(checks.SESSION, "namespace", lambda: namespace)
    checks.configure(contract=["forward", "backward", "train"])
    checks.isolate(["forward"], "def forward(x):\n    return ('official', x)\n")
    assert namespace["forward"](1) == ("official", 1) and namespace["backward"] == "student backward"
    assert "train" not in namespace
    checks.isolate([], "")
    assert namespace == {"forward": "student forward", "backward": "student backward"}


def test_isolate_methods_mixes_a_class_and_records_under_the_variant_id(monkeypatch):
    class Pair:                                     # the student's: add is right, mul is not
        def __init__(self, v):
            self.v = v

        def add(self, o):
            return Pair(self.v + o.v)

        def mul(self, o):
            return Pair(self.v + o.v)

    namespace = {"Pair": Pair}
    monkeypatch.setattr(checks.SESSION, "namespace", lambda: namespace)
    checks.configure(contract=["Pair"], methods={"Pair": ["add", "mul"]})
    checks.isolate([], "")
    official = "class Pair:\n    def mul(self, o):\n        return Pair(self.v * o.v)\n"
    checks.isolate_methods("Pair", ["add"], official)
    mixed = namespace["Pair"]
    assert mixed(2).mul(mixed(3)).v == 6 and mixed(2).add(mixed(3)).v == 5
    assert isinstance(mixed(2).mul(mixed(3)), mixed)   # official code builds the mixed class
    assert checks.graded("t").test_id == "t" + checks.METHOD_VARIANT
    checks.isolate_methods("Pair", ["add"], "this is not Python")   # never raises
    assert namespace["Pair"] is Pair
    checks.isolate([], "")                            # the next subject: plain ids again
    assert checks.graded("t").test_id == "t" and namespace["Pair"] is Pair
