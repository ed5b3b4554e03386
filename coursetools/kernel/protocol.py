"""The record protocol: what a grading kernel emits, and the inputs it calls the student's code on.

In grading (record mode) a test does not compare anything inside the kernel: every call of a
``check`` emits one JSON payload (``call_payload``), every test one ``end_payload``, as a display
of MIME type ``MIME``. The grader reads them from outside and judges them in its own process
(``coursetools/grading/score/judge.py``), with ``diagnosis``. This module holds what both sides
must agree on: the payloads, the encoding of numbers (``encode``/``decode``), the mistake code
of an error string (``error_code``) and the argument sets of a varied call (``variants``).

It runs inside kernels too (see ``kernel/__init__.py``): standard library and numpy only.
"""
import hashlib as _hashlib
import itertools as _itertools
import math as _math

import numpy as np

VERSION = 1
MIME = "application/vnd.coursetools.result+json"
# In grading, every varied call is repeated with each combination of signs of these arguments,
# so that every sign pattern that matters (a unit on and off, an output or target above and
# below 0) is exercised on every run, whatever the random draw: 2**4 = 16 calls at most.
MAX_MIRROR = 4
# The notebook's own inputs are graded too, each entry scaled by a random factor
# exp(0.1 * z), z standard normal clipped to +-2, so in this range (signs, zeros and saturation
# kept): the special cases a test's hints are written for (a sigmoid at +-40) reach the grade
# with values no hard-coded answer can know.
JITTER = (_math.exp(-0.2), _math.exp(0.2))


class WrongOutput(Exception):
    """A function returned something that is not the expected number of numeric outputs."""


# ----------------------------------------------------------------------------- encoding
def as_float_array(value, name):
    """``value`` as a float64 array, or WrongOutput saying why it is not numbers."""
    if value is None or isinstance(value, (str, bytes, dict, set)) or callable(value):
        raise WrongOutput(f"{name} is {type(value).__name__}, not a number or an array")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise WrongOutput(f"{name} is not a number or an array of numbers ({error})") from None
    return array


def encode(value):
    """A number or array as JSON-ready ``{"shape": [...], "data": [...]}`` (NaN/inf as strings)."""
    array = as_float_array(value, "value")
    data = []
    for v in array.ravel().tolist():
        data.append(v if _math.isfinite(v) else ("nan" if v != v else ("inf" if v > 0 else "-inf")))
    return {"shape": list(array.shape), "data": data}


def decode(encoded):
    """The float64 array of an ``encode``d value."""
    data = [float(v) for v in encoded["data"]]
    return np.array(data, dtype=np.float64).reshape(tuple(encoded["shape"]))


# ----------------------------------------------------------------------------- payloads
def call_payload(test, call, func, args, names, rtol, atol, hints=None):
    """The record of one call, before it runs (``outputs``, ``error``, ``mutated`` filled after)."""
    payload = {"test": test, "call": call, "func": func,
               "args": {k: encode(v) for k, v in args.items()}, "outputs": None, "error": None,
               "mutated": [], "rtol": rtol, "atol": atol, "names": list(names)}
    if hints:
        payload["hints"] = {str(k): str(v) for k, v in dict(hints).items()}
    return payload


def end_payload(test, points, error=None):
    """The record that closes a test: its points and how its cell ended."""
    return {"test": test, "points": points, "event": "end", "error": error}


def error_code(error, where="check"):
    """The mistake code of an error string "Type: message" (or an exception) seen at ``where``.

    ``where`` is "check" for an error raised while calling the function, "end" for an error in
    the test cell itself (e.g. a NameError because the function is not defined).
    """
    text = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
    kind = text.split(":", 1)[0].strip()
    if kind == "NotImplementedError":
        return "not_implemented"
    if kind == "WrongOutput":
        return "wrong_type"
    if kind == "NameError" and where == "end":
        return "missing_function"
    return "exception"


def changed(before, after):
    """True if an argument was modified by the call (compared with its copy from before)."""
    try:
        a = np.asarray(before)
        b = np.asarray(after)
        if a.dtype == object or b.dtype == object:
            return before is not after and before != after
        return a.shape != b.shape or not np.array_equal(a, b, equal_nan=True)
    except Exception:
        return True


# ----------------------------------------------------------------------------- varied inputs
def _random_like(value, rng):
    if isinstance(value, np.ndarray):
        return rng.standard_normal(value.shape)
    if isinstance(value, np.generic):
        return np.float64(rng.standard_normal())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(rng.standard_normal())
    raise TypeError(f"cannot vary an argument of type {type(value).__name__}")


def _random_same_sign(value, rng):
    """Random values whose entries keep the signs of ``value`` (zeros stay zero).

    For tests whose point is a sign pattern (a ReLU unit that is off), so that in record mode
    the pattern survives while the values change and a hard-coded answer cannot pass.
    """
    magnitude = np.abs(np.asarray(_random_like(value, rng), dtype=float)) + 0.5
    signed = np.sign(np.asarray(value, dtype=float)) * magnitude
    if isinstance(value, np.ndarray):
        return signed
    return np.float64(signed) if isinstance(value, np.generic) else float(signed)


def _jittered(value, rng):
    """``value`` with every entry scaled by its own random factor in ``JITTER`` (drawn with
    ``standard_normal`` only, like every varied input: a patched generator shows)."""
    factor = np.exp(0.1 * np.clip(rng.standard_normal(np.shape(value)), -2.0, 2.0))
    scaled = np.asarray(value, dtype=float) * factor
    if isinstance(value, np.ndarray):
        return scaled
    return np.float64(scaled) if isinstance(value, np.generic) else float(scaled)


def rng(nonce, test, call):
    """The generator of one check's varied inputs: the only place that decides the seeding."""
    digest = _hashlib.sha256(f"{nonce}|{test}|{call}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def variants(args, vary=(), vary_keep_sign=(), mirror=None, rng=None):
    """The argument sets a varied check is called with in grading (a list of dicts).

    One random draw (``vary``: standard normal values of the same shape; ``vary_keep_sign``:
    random values with the same signs), then the same draw with every combination of signs of
    the ``mirror`` arguments (default: ``vary``), so the cases that depend on signs are covered
    by design on every run; last, the notebook's own arguments with the varied ones jittered
    (``JITTER``), so that the special cases the notebook checks (and diagnoses) are graded too.
    """
    base = dict(args)
    for name in vary:
        base[name] = _random_like(args[name], rng)
    for name in vary_keep_sign:
        base[name] = _random_same_sign(args[name], rng)
    flips = list(vary if mirror is None else mirror)
    if len(flips) > MAX_MIRROR:
        raise ValueError(f"a test mirrors at most {MAX_MIRROR} arguments: pass mirror= with the "
                         f"ones whose sign matters (not {flips})")
    found = []
    for signs in _itertools.product((1, -1), repeat=len(flips)):
        one = dict(base)
        for name, sign in zip(flips, signs):
            if sign < 0:
                one[name] = -base[name]
        found.append(one)
    if vary or vary_keep_sign:
        own = dict(args)
        for name in (*vary, *vary_keep_sign):
            own[name] = _jittered(args[name], rng)
        found.append(own)
    return found
