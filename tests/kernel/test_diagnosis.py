"""coursetools.kernel.diagnosis: the mistake behind a wrong output, worded per lab.

Most cases use lab 3's vocabulary, read from its instructor notebook (the names y1, y2_pred,
grad_... are that lab's): what the lab configures is what is tested."""
import re

import nbformat
import numpy as np
import pytest

from coursetools.kernel import diagnosis
from tests.conftest import ROOT

RNG = np.random.default_rng(0)
W = RNG.normal(size=(3, 4))          # a non-square "gradient"
SQ = RNG.normal(size=(3, 3))         # a square one
LABS = ("lab1_scalar", "lab2_vector", "lab3_minibatch", "lab4_xor", "lab5_softmax", "lab6_autograd")


def vocabulary(lab):
    nb = nbformat.read(ROOT / "solutions" / f"{lab}.ipynb", as_version=4)
    return diagnosis.Vocabulary.of(nb.metadata["coursetools"]["diagnosis"])


LAB3, LAB4 = vocabulary("lab3_minibatch"), vocabulary("lab4_xor")


def diagnose(name, got, expected, vocabulary=LAB3, **options):
    return diagnosis.diagnose(name, got, expected, vocabulary=vocabulary, **options)


def compare(got, expected, vocabulary=LAB3, **options):
    return diagnosis.compare(got, expected, vocabulary=vocabulary, **options)


def codes(name, got, expected, sizes=()):
    return [code for code, _ in diagnose(name, got, expected, sizes=sizes)]


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
    ("loss", 0.0, 4.0, (), "zero_where_nonzero"),      # no ReLU hint for the loss
    ("w1", np.where(W > 0, W, 0.0), W, (), "zero_where_nonzero"),  # no ReLU for the weights
    ("z", np.where(W > 0, W, 1.0), np.where(W > 0, W, 0.0), (), "nonzero_where_zero"),
    ("grad_w1", W + 0.1 * RNG.normal(size=W.shape), W, (), "values"),
])
def test_each_mistake_is_recognised(name, got, expected, sizes, code):
    found = codes(name, got, expected, sizes)
    assert code in found, found
    assert all(c in diagnosis.MISTAKES for c in found)


def test_half_and_mean_by_two_are_both_reported_when_ambiguous():
    assert codes("grad_w1", W / 2, W, sizes=(2,)) == ["half", "mean_not_sum"]


def test_hints_name_the_output_and_the_fix():
    (code, text), = diagnose("grad_w1", W / 2, W)
    assert code == "half" and "grad_w1" in text and "2 * (y2_pred - y_true)" in text
    (code, text), = diagnose("grad_w2", -W, W)
    assert code == "sign" and "NEGATIVE" in text


def test_batch_sizes_come_from_the_lab_s_batch_arguments():
    assert diagnosis.batch_sizes(dict(x=np.zeros((5, 3)), y_true=np.zeros((5, 2))), LAB3) == [2, 5, 10]
    assert diagnosis.batch_sizes(dict(x=np.zeros((1, 3)), y_true=np.zeros((1, 4))), LAB3) == [4]
    assert diagnosis.batch_sizes(dict(x=2.0, y_true=1.0), LAB3) == []
    assert diagnosis.batch_sizes(dict(x=np.zeros((5, 3)), y_true=np.zeros((5, 2)))) == [], \
        "without a lab's vocabulary no argument is a batch"


# ----------------------------------------------------------------------------- compare
@pytest.mark.parametrize("got", [
    (1.5, np.float64(2.0), np.array(3.0)),      # Python float, numpy scalar, 0-d array
    [1.5, 2.0, 3.0],                            # a list instead of a tuple
    (1.5 + 1e-12, 2.0 * (1 + 1e-8), 3.0),       # within rtol=1e-6 / atol=1e-9
])
def test_valid_alternatives_are_accepted(got):
    assert compare(got, (1.5, 2.0, 3.0), names=("a", "b", "c")) == []


def test_history_as_list_or_array_and_outputs_as_tuple_or_list():
    expected = (W, SQ, [3.0, 2.0])
    assert compare([W.copy(), SQ.copy(), np.array([3.0, 2.0])], expected) == []
    assert compare((W.copy(), SQ.copy(), (3.0, 2.0)), expected) == []


def test_wrong_number_or_type_of_outputs():
    (mismatch,) = compare([W], (W, SQ), names=("grad_w1", "grad_w2"))
    assert mismatch["codes"] == ["wrong_type"] and "grad_w1, grad_w2" in mismatch["message"]
    (mismatch,) = compare([W, None], (W, SQ), names=("grad_w1", "grad_w2"))
    assert mismatch["codes"] == ["wrong_type"] and mismatch["output"] == "grad_w2"


def test_a_mismatch_message_shows_expected_got_and_hint():
    (mismatch,) = compare([W, -SQ], (W, SQ), names=("grad_w1", "grad_w2"))
    assert mismatch["output"] == "grad_w2" and mismatch["codes"] == ["sign"]
    for part in ("expected (shape (3, 3))", "got      (shape (3, 3))", "hint [sign]"):
        assert part in mismatch["message"]


# ----------------------------------------------------------------------------- mistakes seen against the inputs
G = RNG.normal(size=(4, 3))


@pytest.mark.parametrize("got, expected, inputs, code", [
    (G, G * 0.2, dict(u=G + 1, grad_z=G), "derivative_missing"),   # the incoming gradient, unchanged
    (W, W - 0.1, dict(W=W, dW=np.ones_like(W)), "unchanged"),        # a weight that was not updated
    (G, G + np.array([[1.0, -2.0, 0.5]]), dict(x=G[:, :2], b=np.array([[1.0, -2.0, 0.5]])), "bias_missing"),
    (G, G + np.array([[1.0, -2.0, 0.5]]), dict(b2=np.array([[1.0, -2.0, 0.5]])), "bias_missing"),
])
def test_mistakes_recognised_against_the_inputs(got, expected, inputs, code):
    assert [c for c, _ in diagnose("out", got, expected, inputs=inputs)] == [code]
    assert diagnose("out", got, expected) == diagnose("out", got, expected, inputs={}), \
        "without inputs nothing changes"
    assert code in diagnosis.MISTAKES


def test_an_all_zero_array_is_reported_as_zeros_but_a_zero_number_as_a_mask():
    assert codes("db", np.zeros((1, 3)), np.array([[1.0, -2.0, 0.5]])) == ["zeros"]
    assert codes("grad_w1", 0.0, 3.0) == ["relu_mask_wrong"]          # lab 1: one dead unit


def test_mean_not_sum_hint_follows_the_direction():
    (code, text), = diagnose("loss", 7.5 * 4, 7.5, sizes=(4,))
    assert code == "mean_not_sum" and "division by 4 missing" in text and "4 times" in text
    (code, text), = diagnose("loss", 7.5 / 4, 7.5, sizes=(4,))
    assert code == "mean_not_sum" and "divided by 4" in text


def test_batch_sizes_also_come_from_d_or_y_in_lab_4():
    assert diagnosis.batch_sizes(dict(y=np.zeros((6, 1)), d=np.zeros((6, 3))), LAB4) == [3, 6, 18]
    assert diagnosis.batch_sizes(dict(u=np.zeros((6, 3)), y=np.zeros((5, 1))), LAB4) == [5]




# ----------------------------------------------------------------------------- hints per lab
SAMPLE = dict(q=4, arg="grad_z", got=(3, 2), want=(2, 3), diff="0.5", how="divided")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def _code_like(text):
    """The words of a hint that are code: with an underscore, a digit, a dot or CamelCase."""
    return {w for w in IDENTIFIER.findall(text)
            if "_" in w or "." in w or any(c.isdigit() for c in w) or re.match(r"[A-Z][a-z]+[A-Z]", w)}


def _every_hint(vocabulary, output="grad_u"):
    """Every text the vocabulary can show, filled in, for an output named ``output``."""
    texts = []
    for code in {*diagnosis.HINTS, *vocabulary.hints}:
        function, _, plain = code.rpartition(":")
        for name in (output, "E"):
            texts.append(vocabulary.text([plain], name, dict(SAMPLE), function))
    return texts


@pytest.mark.parametrize("lab", LABS)
def test_every_hint_of_a_lab_names_only_what_the_lab_has(lab):
    """"2 * (y2_pred - y_true)" in lab 4, whose code has no y2_pred, cannot happen: every name
    in a hint is in the lab's instructor notebook (or numpy's)."""
    text = (ROOT / "solutions" / f"{lab}.ipynb").read_text(encoding="utf-8")
    for hint in _every_hint(vocabulary(lab)):
        filled = {SAMPLE["arg"], "grad_u"}     # what the test filled in, not the lab's words
        unknown = {w for w in _code_like(hint) - filled if w not in text and not w.startswith("np.")}
        assert not unknown, (lab, unknown, hint)


@pytest.mark.parametrize("lab", ("lab4_xor", "lab5_softmax", "lab6_autograd"))
def test_labs_4_to_6_never_get_lab_3_s_words(lab):
    for hint in _every_hint(vocabulary(lab)):
        for words in ("y2_pred", "y_true", "y1", "SUMS", "sum of squares WITHOUT"):
            assert words not in hint, (lab, hint)


@pytest.mark.parametrize("lab", (None, *LABS))
def test_every_hint_is_whole_sentences(lab):
    """A hint starts with a name or a capital, ends with "." or "?", has balanced brackets and
    no stray spaces, and every placeholder is filled in."""
    texts = _every_hint(diagnosis.NEUTRAL if lab is None else vocabulary(lab))
    for hint in texts:
        assert hint.endswith((".", "?")), hint
        assert hint[0].isupper() or hint.split()[0] in ("grad_u", "E"), hint
        assert "{" not in hint and "}" not in hint, hint
        assert "  " not in hint and " ," not in hint and " ." not in hint.replace(" ...", ""), hint
        assert hint.count("(") == hint.count(")"), hint


def test_the_neutral_hints_name_no_lab_variable():
    for hint in _every_hint(diagnosis.NEUTRAL, output="out"):
        assert _code_like(hint) - {SAMPLE["arg"]} <= {"np.mean", "np.exp", "ReLU", "NaN"}, hint


def test_a_lab_words_a_hint_per_function_and_a_test_overrides_the_lab():
    lab4 = vocabulary("lab4_xor")
    u = np.array([[0.0, 40.0, -40.0]])
    want = u * 0 + np.array([[0.5, 0.0, 0.0]])
    got = np.array([[0.5, -1560.0, -1640.0]])
    (code, text), = diagnosis.diagnose("grad_u", got, want, vocabulary=lab4, func="Sigmoid.backward")
    assert code == "nonzero_where_zero" and "saturated" in text
    (code, text), = diagnosis.diagnose("grad_u", got, want, vocabulary=lab4, func="Linear.backward")
    assert code == "nonzero_where_zero" and "saturated" not in text
    (code, _), = diagnosis.diagnose("grad_u", got, want, vocabulary=lab4, func="ReLU.backward")
    assert code == "relu_mask_missing", "only a ReLU's zeros are a ReLU mask"
    (_, text), = diagnosis.diagnose("grad_u", got, want, vocabulary=lab4, func="Sigmoid.backward",
                                    hints={"nonzero_where_zero": "the test's own words"})
    assert text == "the test's own words"
