"""coursetools.kernel.protocol: the payloads a grading kernel emits and the inputs it draws."""
import json

import numpy as np
import pytest

from coursetools.kernel import protocol

RNG = np.random.default_rng(0)
ARGS = dict(x=RNG.normal(size=(4, 3)), w1=RNG.normal(size=(3, 5)), w2=RNG.normal(size=(5, 2)))


def test_encode_decode_round_trip_including_non_finite_values():
    value = np.array([[1.5, np.nan], [np.inf, -np.inf]])
    encoded = json.loads(json.dumps(protocol.encode(value)))
    assert encoded == {"shape": [2, 2], "data": [1.5, "nan", "inf", "-inf"]}
    assert np.array_equal(protocol.decode(encoded), value, equal_nan=True)
    assert protocol.decode(protocol.encode(2.0)).shape == ()


def test_variants_cover_every_sign_combination_of_the_mirrored_arguments():
    rng = np.random.default_rng(0)
    *found, own = protocol.variants(ARGS, vary=("x", "w1", "w2"), rng=rng)
    assert len(found) == 8
    signs = {tuple(bool(np.all(np.sign(v[n]) == np.sign(found[0][n]))) for n in ("x", "w1", "w2"))
             for v in found}
    assert len(signs) == 8, "each combination of flipped arguments appears once"
    assert all(np.array_equal(np.abs(v["x"]), np.abs(found[0]["x"])) for v in found)


def test_more_than_four_mirrored_arguments_must_be_named():
    args = dict(a=1.0, b=1.0, c=1.0, d=1.0, e=1.0)
    with pytest.raises(ValueError, match="mirror="):
        protocol.variants(args, vary=tuple(args), rng=np.random.default_rng(0))
    assert len(protocol.variants(args, vary=tuple(args), mirror=("a",),
                               rng=np.random.default_rng(0))) == 2 + 1   # + the jittered own




def test_the_notebook_s_own_special_cases_are_graded_with_varied_values():
    """A saturated sigmoid at +-40, a zero, a sign pattern: the last argument set is the
    notebook's own, every varied entry scaled by its own factor in JITTER (never the same)."""
    u = np.array([[0.0, 40.0, -40.0], [1.5, -2.0, 0.5]])
    args = dict(u=u, grad_z=np.ones((2, 3)), learning_rate=0.5)
    *_, own = protocol.variants(args, vary=("u", "grad_z"), rng=np.random.default_rng(3))
    low, high = protocol.JITTER
    assert own["learning_rate"] == 0.5, "what is not varied stays as the notebook has it"
    assert np.array_equal(np.sign(own["u"]), np.sign(u)) and own["u"][0, 0] == 0.0
    ratio = own["u"][u != 0] / u[u != 0]
    assert np.all((ratio >= low) & (ratio <= high)) and len(set(ratio)) == ratio.size
    assert 32 <= own["u"][0, 1] <= 50 and -50 <= own["u"][0, 2] <= -32   # still saturated
    assert len(protocol.variants(args, rng=np.random.default_rng(3))) == 1, \
        "a check that varies nothing is called once, on the notebook's inputs"


def test_every_varied_input_is_drawn_with_standard_normal_only():
    """A student's patched generator (a cheat seen in grading) must change the inputs, which
    the grader notices, not break the draw: variants needs nothing but standard_normal."""
    class Fixed:
        def standard_normal(self, size=None):
            return np.full(size, 0.5) if size else 0.5
    found = protocol.variants(dict(ARGS, lr=0.1), vary=("x", "lr"), vary_keep_sign=("w1",),
                              rng=Fixed())
    assert len(found) == 4 + 1 and np.allclose(found[-1]["x"], ARGS["x"] * np.exp(0.05))
