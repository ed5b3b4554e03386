"""Test helpers of the labs: graded tests that say what is wrong, not only that it is wrong.

This module runs in three places: in every lab notebook (its test-helper cell executes this very
source as the module ``coursetools_checks``, so a lab runs alone in Colab), in the grading
kernels, and in the grader's own process, which compares the results the kernels recorded with
``compare`` and ``diagnose``. So it imports only the standard library and numpy.

A notebook sees only the names of ``PUBLIC``; everything else stays inside this module, so a
student's own variables (``results``, ``check_count``...) cannot break the helpers::

    with graded("backward_small", points=2):
        check(backward, dict(x=x, w1=w1, w2=w2, y_true=y_true),
              expect=(grad_w1, grad_w2), outputs=("grad_w1", "grad_w2"),
              vary=("x", "w1", "w2", "y_true"))
    summary()

A method of a class is tested through ``method``, which turns "build the object, set some
attributes, call some methods" into a function of keyword arguments that ``check`` can call.
``coursetools/README.md`` documents the API, the mistake codes and the grader's record mode.
"""
import copy as _copy
import hashlib as _hashlib
import itertools as _itertools
import json as _json
import math as _math
import sys as _sys
import traceback as _traceback

import numpy as np

VERSION = 2
PUBLIC = ("graded", "check", "method", "summary", "needs", "ready_to_hand_in")
MIME = "application/vnd.coursetools.result+json"
# In grading, every varied call is repeated with each combination of signs of these arguments,
# so that every sign pattern that matters (a unit on and off, an output or target above and
# below 0) is exercised on every run, whatever the random draw: 2**4 = 16 calls at most.
MAX_MIRROR = 4
HELPERS_FILE = "<test helpers>"

# Stable mistake codes (the grader counts students per code); the text is the hint's title.
MISTAKES = {
    "shape": "wrong shape",
    "transposed": "transposed result",
    "factor_2": "twice the expected value",
    "half": "half the expected value (factor 2 missing)",
    "sign": "wrong sign",
    "mean_not_sum": "averaged instead of summed (or the reverse)",
    "relu_mask_missing": "nonzero where the ReLU should block",
    "relu_mask_wrong": "zero where the ReLU should let through",
    "output_relu": "ReLU applied to the output layer",
    "history_shifted": "loss recorded after the update instead of before",
    "update_order": "first step right, later steps wrong",
    "not_finite": "NaN or infinity",
    "derivative_missing": "the incoming gradient passed back unchanged (a derivative missing)",
    "unchanged": "equal to an input, unchanged (not updated or not computed)",
    "bias_missing": "the bias is not added",
    "zeros": "all zeros where the expected value is not",
    "values": "wrong values",
    "mutates_input": "modifies its inputs in place",
    "not_implemented": "not implemented yet",
    "missing_function": "function not defined",
    "wrong_type": "wrong number or type of outputs",
    "exception": "raised an exception",
}

_STATE = {"mode": "notebook", "strict": True, "nonce": None, "sink": None,
          "lab": None, "contract": [], "methods": {},
          "test": None, "call": 0, "checks": 0, "codes": [], "in_func": False, "func": None,
          "func_obj": None, "results": {}, "failed": {}, "own": None, "suffix": ""}
METHOD_VARIANT = "~methods"   # the suffix of a test's id when it runs as a method variant


class WrongOutput(Exception):
    """A function returned something that is not the expected number of numeric outputs."""


class TestFailed(AssertionError):
    """A graded test failed; IPython shows only its message, never the helpers' traceback."""

    def _render_traceback_(self):
        return str(self).splitlines()


# ----------------------------------------------------------------------------- encoding
def encode(value):
    """A number or array as JSON-ready ``{"shape": [...], "data": [...]}`` (NaN/inf as strings)."""
    array = _as_float_array(value, "value")
    data = []
    for v in array.ravel().tolist():
        data.append(v if _math.isfinite(v) else ("nan" if v != v else ("inf" if v > 0 else "-inf")))
    return {"shape": list(array.shape), "data": data}


def decode(encoded):
    """The float64 array of an ``encode``d value."""
    data = [float(v) for v in encoded["data"]]
    return np.array(data, dtype=np.float64).reshape(tuple(encoded["shape"]))


def _as_float_array(value, name):
    if value is None or isinstance(value, (str, bytes, dict, set)) or callable(value):
        raise WrongOutput(f"{name} is {type(value).__name__}, not a number or an array")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise WrongOutput(f"{name} is not a number or an array of numbers ({error})") from None
    return array


def _split(result, count):
    """The outputs of one call as a list: a lone value is one output, a tuple/list is several."""
    if count == 1:
        return [result]
    if isinstance(result, (tuple, list)):
        return list(result)
    return [result]


def _show(array):
    if array.ndim == 0:
        return repr(float(array))
    return np.array2string(array, precision=6, threshold=12, edgeitems=2, max_line_width=100)


# ----------------------------------------------------------------------------- diagnosis
def batch_sizes(args):
    """Divisors that averaging could have introduced: N, m and N*m from the first of the
    arguments ``y_true``, ``x``, ``d`` (targets) and ``y`` (outputs) that is an array."""
    sizes = set()
    for name in ("y_true", "x", "d", "y"):
        value = args.get(name) if isinstance(args, dict) else None
        if value is None:
            continue
        shape = np.shape(value)
        if len(shape) >= 1:
            sizes.update(shape)
            sizes.add(int(np.prod(shape)))
        if sizes:
            break
    return sorted(q for q in sizes if q >= 2)


def _has_relu(name):
    """Outputs a ReLU acts on (directly or through its derivative): y1..., y2..., grad..."""
    return str(name).startswith(("y1", "y2", "grad"))


def _is_grad(name):
    return str(name).startswith("grad")


def _hint_shape(name, grad, info):
    text = f"{name} has shape {info['got']} but should have shape {info['want']}"
    if info["want"] == ():
        return text + ": return one number, e.g. float(...)"
    return text + (": each gradient has the shape of its weight" if grad else "")


def _hint_half(name, grad, info):
    if grad:
        return (f"every value of {name} is half the expected one: the loss is the sum of squares "
                "WITHOUT 1/2, so its derivative is 2 * (y2_pred - y_true): the factor 2 is missing")
    return f"every value of {name} is half the expected one: is a factor 2 missing (or a 1/2 too many)?"


def _hint_sign(name, grad, info):
    if grad:
        return (f"{name} has the opposite sign: the output gradient is 2 * (y2_pred - y_true); "
                "2 * (y_true - y2_pred) is the NEGATIVE gradient")
    return f"{name} has the opposite sign"


def _hint_mean(name, grad, info):
    q = info["q"]
    if info["how"] == "multiplied by":
        return (f"{name} is {q} times the expected value: a division by {q} is missing? Where the "
                "loss is the MEAN over the N samples of the batch, the loss and every gradient "
                "carry the factor 1/N")
    return (f"{name} is the expected value divided by {q}: a division by {q} (or an np.mean) too "
            "many? Where the loss SUMS over the samples and outputs, do not average anywhere; "
            "where it is the mean over the samples, divide by N only once")


def _hint_mask_missing(name, grad, info):
    if grad:
        return (f"{name} is nonzero where it should be 0: a hidden unit with y1 < 0 passes no "
                "gradient back; multiply the gradient arriving at y1 by the ReLU derivative (y1 > 0)")
    return f"{name} is nonzero where it should be 0: did you apply the ReLU, max(y1, 0)?"


def _hint_values(name, grad, info):
    text = f"{name} has wrong values (largest difference {info['diff']:.3g})"
    if grad:
        text += "; the numerical gradient check below helps to find which entries are wrong"
    return text


_HINTS = {
    "shape": _hint_shape,
    "transposed": lambda name, grad, info: (
        f"{name} has the transposed shape {info['got']} instead of {info['want']}: each gradient "
        "has the shape of its weight; check the order of the factors of the matrix product"),
    "transposed_square": lambda name, grad, info: (
        f"{name} equals the TRANSPOSE of the expected value: check the order of the factors in "
        "the matrix product"),
    "factor_2": lambda name, grad, info: (
        f"every value of {name} is twice the expected one: is a factor 2 applied twice?"),
    "half": _hint_half,
    "sign": _hint_sign,
    "mean_not_sum": _hint_mean,
    "relu_mask_missing": _hint_mask_missing,
    "relu_mask_wrong": lambda name, grad, info: (
        f"{name} is 0 where it should not be: the ReLU mask (y1 > 0) blocks only the hidden units "
        "with a negative pre-activation; check where and on what you apply it"),
    "output_relu": lambda name, grad, info: (
        f"{name} has no negative values where the expected one has: the output layer has NO "
        "ReLU (y2_pred = y1_relu @ w2)"),
    "history_shifted": lambda name, grad, info: (
        f"{name} is shifted by one step: record the loss BEFORE each update, so that {name}[0] "
        "is the loss of the initial weights"),
    "update_order": lambda name, grad, info: (
        f"the first value of {name} is right but later ones are not, so the updates are wrong: "
        "if backward passes its tests, compute both gradients from the current w1 and w2 before "
        "updating either, then w = w - learning_rate * grad"),
    "not_finite": lambda name, grad, info: (
        f"{name} contains NaN or infinity: an overflow (np.exp of a large number: subtract the "
        "row maximum before np.exp), the log of 0, or a division by zero?"),
    "derivative_missing": lambda name, grad, info: (
        f"{name} equals {info['arg']}, the gradient that came in, unchanged: multiply it by the "
        "local derivative (for an activation, its derivative at the stored input: z * (1 - z) "
        "for the sigmoid, the mask (u > 0) for the ReLU)"),
    "unchanged": lambda name, grad, info: (
        f"{name} equals the input {info['arg']} unchanged: is it updated (for example "
        "W = W - learning_rate * dW) or computed at all?"),
    "bias_missing": lambda name, grad, info: (
        f"{name} is the expected value minus the bias {info['arg']}: add the bias (u = x @ W + b, "
        "where b of shape (1, n_out) is added to every row)"),
    "zeros": lambda name, grad, info: (
        f"every entry of {name} is 0 but the expected value is not: is it computed (and stored) "
        "at all, or does a mask block everything?"),
    "values": _hint_values,
}


def _hint(code, name, **info):
    writer = _HINTS.get(code)
    return writer(str(name), _is_grad(name), info) if writer else MISTAKES.get(code, code)


def _close(a, b, rtol, atol):
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def _numeric_inputs(inputs):
    """The arguments of a call that are numbers or arrays, as float64 arrays (others skipped)."""
    arrays = {}
    for arg, value in (inputs or {}).items():
        try:
            arrays[str(arg)] = _as_float_array(value, arg)
        except (WrongOutput, TypeError, ValueError):
            continue
    return arrays


def _is_bias(arg):
    return arg == "b" or (arg.startswith("b") and arg[1:].isdigit())


def _input_mistakes(got, want, inputs, rtol, atol):
    """Mistakes that show against the arguments of the call: an input passed back unchanged
    (``derivative_missing`` for a gradient, ``unchanged`` otherwise), or a bias left out."""
    for arg, value in inputs.items():
        if value.shape == got.shape and value.size and _close(got, value, rtol, atol) \
                and not _close(want, value, rtol, atol):
            return [("derivative_missing" if _is_grad(arg) else "unchanged", dict(arg=arg))]
    for arg, value in inputs.items():
        if not _is_bias(arg) or not value.size or not np.any(value != 0):
            continue
        try:
            with_bias = got + value
        except ValueError:
            continue
        if with_bias.shape == want.shape and _close(with_bias, want, rtol, atol):
            return [("bias_missing", dict(arg=arg))]
    return []


def diagnose(name, got, expected, sizes=(), rtol=1e-6, atol=1e-9, inputs=None, hints=None):
    """Likely mistakes behind ``got`` != ``expected``: a list of ``(code, text)``, most specific first.

    ``name`` is the output's name (hints differ for gradients, names starting with "grad");
    ``sizes`` are the batch sizes that averaging could divide by (see ``batch_sizes``).
    ``inputs`` (optional) are the arguments of the call, by name: with them an output that
    equals an input (``derivative_missing``, ``unchanged``) or misses a bias argument ``b``, ``b1``,
    ... (``bias_missing``) is recognised. ``hints`` (optional) maps a code to the text to show
    instead of the default one (a test's own wording).
    """
    got = _as_float_array(got, name)
    want = _as_float_array(expected, name)
    found, info = [], {}
    if got.shape != want.shape:
        code = "transposed" if got.ndim >= 2 and got.shape == want.shape[::-1] else "shape"
        found, info = [code], dict(got=got.shape, want=want.shape)
    with np.errstate(all="ignore"):
        if not found and np.any(~np.isfinite(got) & np.isfinite(want)):
            found = ["not_finite"]
        if not found:
            found = _diagnose_values(name, got, want, sizes, rtol, atol, _numeric_inputs(inputs))
        diff = float(np.max(np.abs(got - want))) if got.size and got.shape == want.shape else 0.0
    texts = []
    for item in found or ["values"]:
        code, extra = item if isinstance(item, tuple) else (item, {})
        text = _hint(code, name, diff=diff, **info, **extra)
        code = "transposed" if code == "transposed_square" else code
        if hints and code in hints:
            text = str(hints[code])
        texts.append((code, text))
    return texts


def _scaling_mistakes(got, want, sizes, rtol, atol):
    """sign, factor_2, half, mean_not_sum and a square transpose (see ``diagnose``)."""
    found = [code for code, other in (("sign", -want), ("factor_2", 2 * want), ("half", want / 2))
             if _close(got, other, rtol, atol)]
    for q in sorted(set(int(q) for q in sizes)):
        divided, multiplied = _close(got, want / q, rtol, atol), _close(got, want * q, rtol, atol)
        if q >= 2 and (divided or multiplied):
            found.append(("mean_not_sum", dict(q=q, how="divided by" if divided else "multiplied by")))
            break
    if got.ndim == 2 and got.shape[0] == got.shape[1] and _close(got, want.T, rtol, atol):
        found.append("transposed_square")
    return found


def _diagnose_values(name, got, want, sizes, rtol, atol, inputs):
    """The codes of a same-shape, finite mismatch (see ``diagnose``)."""
    found = []
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    tiny = atol + 1e-12 * scale
    if scale > tiny:
        found = _scaling_mistakes(got, want, sizes, rtol, atol)
        if (str(name).startswith("y2") and np.any(want < -tiny)
                and _close(got, np.maximum(want, 0), rtol, atol)):
            found.append("output_relu")
        if got.ndim == 1 and got.size >= 2 and not found:
            if _close(got[:-1], want[1:], rtol, atol):
                found.append("history_shifted")
            elif _close(got[:1], want[:1], rtol, atol):
                found.append("update_order")
        if not found and inputs:
            found += _input_mistakes(got, want, inputs, rtol, atol)
        if not found and got.size >= 2 and np.all(np.abs(got) <= tiny):
            found.append("zeros")
    zero = np.abs(want) <= tiny
    wrong = ~np.isclose(got, want, rtol=rtol, atol=atol)
    if not found and _has_relu(name) and np.any(zero & wrong):
        found.append("relu_mask_missing")
    if not found and _has_relu(name) and np.any(~zero & (np.abs(got) <= tiny) & wrong):
        found.append("relu_mask_wrong")
    return found


def compare(got, expected, names=None, rtol=1e-6, atol=1e-9, sizes=(), inputs=None, hints=None):
    """Compare the outputs of one call with the expected ones.

    ``got`` and ``expected`` are sequences of outputs (numbers or arrays). Returns a list of
    mismatches, each ``{"output": name, "codes": [...], "message": text}``; empty if all match.
    ``inputs`` and ``hints`` are passed on to ``diagnose``.
    """
    expected = list(expected)
    names = list(names) if names else [f"output {i + 1}" for i in range(len(expected))]
    got = list(got)
    if len(got) != len(expected):
        return [{"output": None, "codes": ["wrong_type"],
                 "message": f"returned {len(got)} value(s) but {len(expected)} are expected: "
                            f"return {', '.join(names)}" + (" as a tuple" if len(names) > 1 else "")}]
    mismatches = []
    for name, value, want in zip(names, got, expected):
        try:
            value = _as_float_array(value, name)
        except WrongOutput as error:
            mismatches.append({"output": name, "codes": ["wrong_type"], "message": str(error)})
            continue
        want = _as_float_array(want, name)
        if _close(value, want, rtol, atol):
            continue
        found = diagnose(name, value, want, sizes=sizes, rtol=rtol, atol=atol, inputs=inputs,
                         hints=hints)
        lines = [f"output {name} is wrong",
                 f"  expected (shape {want.shape}): {_show(want)}",
                 f"  got      (shape {value.shape}): {_show(value)}"]
        lines += [f"  hint [{code}]: {text}" for code, text in found]
        mismatches.append({"output": name, "codes": [code for code, _ in found],
                           "message": "\n".join(lines)})
    return mismatches


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


# ----------------------------------------------------------------------------- varied inputs
def _changed(before, after):
    try:
        a = np.asarray(before)
        b = np.asarray(after)
        if a.dtype == object or b.dtype == object:
            return before is not after and before != after
        return a.shape != b.shape or not np.array_equal(a, b, equal_nan=True)
    except Exception:
        return True


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


def _rng(test, call):
    digest = _hashlib.sha256(f"{_STATE['nonce']}|{test}|{call}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def variants(args, vary=(), vary_keep_sign=(), mirror=None, rng=None):
    """The argument sets a varied check is called with in grading (a list of dicts).

    One random draw (``vary``: standard normal values of the same shape; ``vary_keep_sign``:
    random values with the same signs), then the same draw with every combination of signs of
    the ``mirror`` arguments (default: ``vary``), so the cases that depend on signs are covered
    by design on every run.
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
    return found


# ----------------------------------------------------------------------------- check
def _emit(payload):
    if _STATE["sink"] is not None:
        _STATE["sink"](payload)
        return
    try:
        from IPython.display import display
    except ImportError:  # outside IPython: one JSON line on stdout
        print(_json.dumps({MIME: payload}))
        return
    display({MIME: payload}, raw=True)


def _func_name(func):
    return getattr(func, "__name__", type(func).__name__)


def _record_call(func, name, args, outputs, rtol, atol, hints):
    """Record mode: call ``func`` on one argument set and emit what happened (never raises)."""
    call = _STATE["call"]
    _STATE["call"] = call + 1
    before, passed = _copy.deepcopy(args), _copy.deepcopy(args)
    payload = {"test": _STATE["test"], "call": call, "func": name,
               "args": {k: encode(v) for k, v in args.items()}, "outputs": None, "error": None,
               "mutated": [], "rtol": rtol, "atol": atol, "names": list(outputs)}
    if hints:
        payload["hints"] = {str(k): str(v) for k, v in dict(hints).items()}
    try:
        result = func(**passed)
        payload["outputs"] = [encode(v) for v in _split(result, len(outputs))]
    except WrongOutput as error:
        payload["error"] = f"WrongOutput: {name} returned {error}"
    except BaseException as error:  # the student's code may raise anything
        if isinstance(error, KeyboardInterrupt):
            raise
        payload["error"] = f"{type(error).__name__}: {str(error)[:300]}"
    payload["mutated"] = [k for k in args if _changed(before[k], passed[k])]
    _emit(payload)


def check(func, args, expect, outputs, vary=(), rtol=1e-6, atol=1e-9, hints=None,
          vary_keep_sign=(), mirror=None, label=None):
    """Call ``func(**args)`` on copies of ``args`` and compare its outputs with ``expect``.

    ``outputs`` names the outputs; ``expect`` holds one expected value per output (a lone value
    if there is one output). Fails (``TestFailed`` with hints) on wrong outputs or if ``func``
    modified its arguments. ``hints`` maps mistake codes to this test's own wording; ``label``
    is the name shown in messages (default: the function's name). In grading (record mode)
    ``vary``, ``vary_keep_sign`` and ``mirror`` decide the argument sets (see ``variants``) and
    the outcome of each call is emitted for the grader instead of compared here.
    """
    outputs = (outputs,) if isinstance(outputs, str) else tuple(outputs)
    name = str(label) if label else _func_name(func)
    _STATE.update(func=name, func_obj=func)
    number = _STATE["checks"]
    _STATE["checks"] = number + 1
    if _STATE["mode"] == "record":
        for one in variants(args, vary, vary_keep_sign, mirror, _rng(_STATE["test"], number)):
            _record_call(func, name, one, outputs, rtol, atol, hints)
        return None
    args = dict(args)
    before, passed = _copy.deepcopy(args), _copy.deepcopy(args)
    _STATE["in_func"] = True
    result = func(**passed)
    _STATE["in_func"] = False
    mismatches = compare(_split(result, len(outputs)), _split(expect, len(outputs)), names=outputs,
                         rtol=rtol, atol=atol, sizes=batch_sizes(args), inputs=before, hints=hints)
    mutated = [k for k in args if _changed(before[k], passed[k])]
    if not mismatches and not mutated:
        return None
    lines = [f"{name}({', '.join(args)}) is not right yet."]
    codes = []
    for mismatch in mismatches:
        lines.append(mismatch["message"])
        codes += mismatch["codes"]
    if mutated:
        codes.append("mutates_input")
        lines.append(f"hint [mutates_input]: {name} changed its argument(s) {', '.join(mutated)} in "
                     "place; the caller's arrays must stay as they were: work on copies "
                     "(w1 = w1.copy()) or write w1 = w1 - ... instead of w1 -= ...")
    _STATE["codes"] = codes
    raise TestFailed("\n".join(lines))


# ----------------------------------------------------------------------------- method
def _path(path):
    """``"layers.0.W"`` -> ``["layers", 0, "W"]`` (digits index a list)."""
    return [int(part) if part.isdigit() else part for part in str(path).split(".")]


def _get(obj, path):
    for part in _path(path):
        if isinstance(part, int):
            obj = obj[part]
        elif not hasattr(obj, part):
            raise AttributeError(f"{type(obj).__name__} object has no attribute {part!r} (the "
                                 f"tests read {path!r}: keep the names of the lab's contract)")
        else:
            obj = getattr(obj, part)
    return obj


def _set(obj, path, value):
    *parents, last = _path(path)
    for part in parents:
        obj = obj[part] if isinstance(part, int) else getattr(obj, part)
    if isinstance(last, int):
        obj[last] = value
    else:
        setattr(obj, last, value)


def _assignments(spec):
    """``("W", "b")`` or ``{"W1": "layers.0.W"}`` as a list of (argument, attribute path)."""
    if isinstance(spec, dict):
        return list(spec.items())
    return [(name, name) for name in ((spec,) if isinstance(spec, str) else spec)]


class method:
    """A function of keyword arguments that runs methods of an object, for ``check``.

    ``method(target, name, init=(), attrs=(), before=(), call=(), fixed=None,
    returns=("return",))`` builds, at every call with keyword arguments ``kw``: the object
    (``target(*init)`` for a class, else a deep copy of the object ``target``); sets attributes
    from arguments (``attrs``: names, or ``{argument: "attribute.path"}``, a path may index lists:
    ``"layers.0.W"``); runs the steps of ``before`` (``("forward", "x")`` calls
    ``obj.forward(kw["x"])``, a dict sets attributes); calls the method ``name`` with the
    arguments named in ``call`` and the keyword values ``fixed`` (``name`` may be a function,
    called as ``name(obj, ...)``, or ``None`` to only build the object); returns what ``returns``
    names (``"return"`` or attribute paths read after the call). Its ``__name__`` is
    ``"Class.method"``, the function's name, or the class name.
    """

    def __init__(self, target, name=None, init=(), attrs=(), before=(), call=(), fixed=None,
                 returns=("return",)):
        self.target, self.name, self.init = target, name, tuple(init)
        self.attrs = _assignments(attrs)
        self.before = list(before)
        self.call = (call,) if isinstance(call, str) else tuple(call)
        self.fixed = dict(fixed or {})
        self.returns = (returns,) if isinstance(returns, str) else tuple(returns)
        self.cls = target if isinstance(target, type) else type(target)
        if name is None:
            self.__name__ = self.cls.__name__
        elif callable(name):
            self.__name__ = getattr(name, "__name__", self.cls.__name__)
        else:
            self.__name__ = f"{self.cls.__name__}.{name}"

    def _build(self, kw):
        if isinstance(self.target, type):
            obj = self.target(*_copy.deepcopy(self.init))
        else:
            obj = _copy.deepcopy(self.target)
        for arg, path in self.attrs:
            _set(obj, path, _copy.deepcopy(kw[arg]))
        for step in self.before:
            if isinstance(step, dict):
                for arg, path in _assignments(step):
                    _set(obj, path, _copy.deepcopy(kw[arg]))
                continue
            step = (step,) if isinstance(step, str) else tuple(step)
            getattr(obj, step[0])(*[kw[arg] for arg in step[1:]])
        return obj

    def __call__(self, **kw):
        obj = self._build(kw)
        result = None
        if self.name is not None:
            values = [kw[arg] for arg in self.call]
            fixed = _copy.deepcopy(self.fixed)
            if callable(self.name):
                result = self.name(obj, *values, **fixed)
            else:
                result = getattr(obj, self.name)(*values, **fixed)
        found = [result if item == "return" else _get(obj, item) for item in self.returns]
        return found[0] if len(found) == 1 else tuple(found)

    def code_objects(self):
        """The code this call runs of the student's (for the root-cause note of a failure)."""
        target = self.name if callable(self.name) else getattr(self.cls, self.name or "__init__", None)
        return [c for c in (_code_of(target),) if c is not None]


# ----------------------------------------------------------------------------- graded tests
def _code_of(func):
    func = getattr(func, "__func__", func)
    return getattr(func, "__code__", None)


def _used_names(func):
    """Every global or attribute name the code of ``func`` refers to (nested code included)."""
    todo = func.code_objects() if isinstance(func, method) else [c for c in [_code_of(func)] if c]
    names = set()
    while todo:
        code = todo.pop()
        names.update(code.co_names)
        todo += [c for c in code.co_consts if hasattr(c, "co_names")]
    return names


def _root_causes(func_name, used):
    """Functions that ``func_name`` uses and that failed their own tests already."""
    causes = []
    for other, tests in _STATE["failed"].items():
        if other == func_name or not tests:
            continue
        if other in used or other.split(".")[-1] in used:
            causes.append(f"{other} (which failed {', '.join(sorted(tests))})")
    return causes


def _student_frames(traceback):
    """The frames of a traceback that are the student's code (not these helpers, not the cell)."""
    frames = _traceback.extract_tb(traceback)
    inside = [i for i, f in enumerate(frames) if f.filename == HELPERS_FILE]
    if not inside:
        return []
    return [f for f in frames[inside[0]:] if f.filename != HELPERS_FILE]


class graded:
    """``with graded(test_id, points):`` one graded test; prints its outcome and remembers it.

    In an instructor notebook (strict) a failing test raises, so nbval fails; in a student lab
    it prints what went wrong and lets "Run all" go on to the summary.
    """

    def __init__(self, test_id, points=1, grades=(), official=()):
        # grades / official: the contract items the test grades and the ones it only uses,
        # read by the grader from the instructor notebook (attribution); nothing to do here.
        self.test_id = variant_id(test_id)
        self.points = points
        self.funcs = []

    def __enter__(self):
        _STATE.update(test=self.test_id, call=0, checks=0, codes=[], in_func=False, func=None,
                      func_obj=None)
        return self

    def __exit__(self, kind, error, traceback):
        in_func, codes, func = _STATE["in_func"], list(_STATE["codes"]), _STATE["func"]
        used = _used_names(_STATE["func_obj"]) if _STATE["func_obj"] is not None else set()
        _STATE.update(test=None, call=0, checks=0, codes=[], in_func=False, func=None,
                      func_obj=None)
        if _STATE["mode"] == "record":
            if kind is not None and issubclass(kind, KeyboardInterrupt):
                return False
            message = None if kind is None else f"{kind.__name__}: {str(error)[:300]}"
            _emit({"test": self.test_id, "points": self.points, "event": "end", "error": message})
            return True
        if kind is None:
            self._store(self.points, "passed", [], func)
            print(f"\u2713 {self.test_id} ({self.points}/{self.points} points)")
            return False
        if issubclass(kind, (KeyboardInterrupt, SystemExit)):
            return False
        codes, note, details = self._explain(kind, error, traceback, codes, in_func, func, used)
        self._store(0, "failed", codes, func)
        print(f"\u2717 {self.test_id} (0/{self.points} points): {note}")
        if _STATE["strict"]:
            return False   # the exception shows the details (TestFailed: without a traceback)
        if details:
            print(details)
        return True

    def _explain(self, kind, error, traceback, codes, in_func, func, used):
        """(codes, one-line note, further lines) of a failure, in the student's terms."""
        lines = []
        if issubclass(kind, TestFailed) and codes:
            codes = list(dict.fromkeys(codes))
            note = ", ".join(codes)
            lines.append(str(error))
        elif issubclass(kind, NotImplementedError):
            codes, note = ["not_implemented"], f"not implemented yet ({error})"
        elif issubclass(kind, NameError) and not in_func:
            codes, note = ["missing_function"], f"not defined yet ({error})"
        else:
            codes, note = ["exception"], f"{func or 'the test'} raised {kind.__name__}: {error}"
            frames = _student_frames(traceback)
            if frames:
                lines.append("Where, in your code:\n" + "".join(_traceback.format_list(frames)).rstrip())
        if func and "not_implemented" not in codes:
            causes = _root_causes(func, used)
            if causes:
                lines.append(f"Note: {func} uses {'; '.join(causes)}. Fix that first: {func} "
                             "itself may well be right.")
        return codes, note, "\n".join(lines)

    def _store(self, earned, status, codes, func):
        _STATE["results"][self.test_id] = {"test": self.test_id, "points": self.points,
                                           "earned": earned, "status": status, "codes": codes,
                                           "func": func}
        if func and status == "failed":
            _STATE["failed"].setdefault(func, set()).add(self.test_id)


def results():
    """The outcome of every graded test run so far, in order: a list of dicts."""
    return [dict(r) for r in _STATE["results"].values()]


def summary():
    """Print the table of the graded tests run so far and the total points."""
    rows = results()
    if not rows:
        print("No graded test has run yet: run the cells above first (Run all).")
        return
    width = max(len(r["test"]) for r in rows)
    for r in rows:
        mark = "\u2713" if r["status"] == "passed" else "\u2717 " + ", ".join(r["codes"])
        print(f"{r['test']:<{width}}  {r['earned']:>3}/{r['points']:<3} {mark}")
    earned = sum(r["earned"] for r in rows)
    total = sum(r["points"] for r in rows)
    print(f"Total: {earned}/{total} points (the hidden tests of your instructor are not included)")


class needs:
    """``with needs("forward", "train"):`` a cell that uses the student's functions.

    In a student lab, an error in the block does not stop "Run all": the cell says what went
    wrong and which of the functions it needs have not passed their tests yet. In an
    instructor notebook (strict) the error propagates as usual.
    """

    def __init__(self, *names):
        self.names = names

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if kind is None or _STATE["strict"] or issubclass(kind, (KeyboardInterrupt, SystemExit)):
            return False
        print(f"This cell stopped: {kind.__name__}: {error}")
        frames = [f for f in _traceback.extract_tb(traceback) if f.filename != HELPERS_FILE]
        if frames:
            print("Where:\n" + "".join(_traceback.format_list(frames)).rstrip())
        failed = {name.split(".")[0] for name in _STATE["failed"]}
        waiting = [n for n in self.names if n in failed or not _passed(n)]
        if waiting:
            print(f"It needs {', '.join(self.names)}; not passing their tests yet: "
                  f"{', '.join(waiting)}. Finish those tasks first, then run this cell again.")
        return True


def _passed(name):
    return any(r["status"] == "passed" and str(r.get("func") or "").split(".")[0] == name
               for r in _STATE["results"].values())


def _user_namespace():
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:
        shell = None
    return shell.user_ns if shell is not None else _sys.modules["__main__"].__dict__


def _skeleton_parts(name, obj):
    """The parts of a contract function or class that still only raise NotImplementedError."""
    if isinstance(obj, type):
        parts = [(f"{name}.{m}", getattr(obj, m, None)) for m in _STATE["methods"].get(name, [])]
    else:
        parts = [(name, obj)]
    return [label for label, func in parts
            if _code_of(func) is not None and set(_code_of(func).co_names) == {"NotImplementedError"}]


def ready_to_hand_in():
    """Print a checklist: is this notebook ready to hand in? (the lab's last cell; returns None
    so that the notebook shows only the checklist)."""
    namespace, problems = _user_namespace(), []
    missing = [n for n in _STATE["contract"] if n not in namespace]
    if missing:
        problems.append(f"not defined: {', '.join(missing)} (keep the names of the lab)")
    skeletons = [part for n in _STATE["contract"] if n in namespace
                 for part in _skeleton_parts(n, namespace[n])]
    if skeletons:
        problems.append(f"still the skeleton (raise NotImplementedError): {', '.join(skeletons)}")
    rows = results()
    if not rows:
        problems.append("no test has run: run every cell first (Runtime -> Run all in Colab)")
    unfinished = [r["test"] for r in rows if "not_implemented" in r["codes"]]
    if unfinished:
        problems.append(f"tests that reach NotImplementedError: {', '.join(unfinished)}")
    failing = [r["test"] for r in rows if r["status"] == "failed" and r["test"] not in unfinished]
    print("Ready to hand in? " + ("not yet" if problems else "yes"))
    for text in problems:
        print(f"  \u2717 {text}")
    if failing:
        print(f"  (tests still failing: {', '.join(failing)}; you may hand in anyway)")
    if rows:
        earned = sum(r["earned"] for r in rows)
        print(f"  visible tests: {earned}/{sum(r['points'] for r in rows)} points")
    print("To hand in: save, then download the notebook as .ipynb (Colab: File -> Download -> "
          "Download .ipynb; Jupyter: File -> Download) and upload that file.")


# ----------------------------------------------------------------------------- set-up
def configure(lab=None, contract=(), methods=None, strict=True):
    """Called by the helper cell: the lab, the names the student writes, and the mode."""
    _STATE.update(lab=lab, contract=list(contract), methods=dict(methods or {}),
                  strict=bool(strict), results={}, failed={})


def enable_recording(nonce, sink=None):
    """Record mode (used by the grader): vary arguments, emit results, never raise in tests."""
    _STATE.update(mode="record", nonce=str(nonce), sink=sink)


def disable_recording():
    """Back to the default (notebook) mode."""
    _STATE.update(mode="notebook", nonce=None, sink=None)


def variant_id(test_id):
    """The id a test records under: its own, or with the method variant's suffix."""
    return f"{test_id}{_STATE.get('suffix', '')}"


def isolate_methods(name, keep, source):
    """Grader: the next tests run with a copy of the student's class ``name`` whose methods other
    than ``keep`` are the official ones (from ``source``), and record as ``<test>~methods``.

    So a test of ``Value.__sub__`` is also seen with the official ``__mul__``: when the student's
    ``__mul__`` fails its own test, the grader charges that mistake there only. Never raises: a
    class that cannot be combined (another design) runs as the student wrote it.
    """
    _STATE["suffix"] = METHOD_VARIANT
    namespace = _user_namespace()
    own = (_STATE["own"] or {}).get(name, namespace.get(name))
    if own is not None:
        namespace[name] = own
    try:
        # The official methods see what the notebook binds now (the official versions of the
        # names before ``name``, set by the subject's isolation cell), like the student's.
        official_ns = {**namespace, "__name__": "coursetools_official"}
        exec(compile(source, "<official definitions>", "exec"), official_ns)
        official = official_ns[name]
        replaced = {m: official.__dict__[m] for m in _STATE["methods"].get(name, [])
                    if m not in keep and m in official.__dict__}
        mixed = type(own.__name__, (own,), replaced)
        official_ns[name] = mixed      # the official methods build nodes of the mixed class
        namespace[name] = mixed
    except Exception:  # noqa: BLE001 - the student's class as it is
        pass


def isolate(names=(), source=""):
    """Grader: bind the official definitions of ``names`` (from ``source``) for the next tests.

    Every other contract name gets the student's own object back. So the tests of one function
    run with the official versions of the functions it uses, and one mistake costs points once.
    """
    _STATE["suffix"] = ""
    namespace = _user_namespace()
    if _STATE["own"] is None:
        _STATE["own"] = {n: namespace[n] for n in _STATE["contract"] if n in namespace}
    for name in _STATE["contract"]:
        if name in _STATE["own"]:
            namespace[name] = _STATE["own"][name]
        else:
            namespace.pop(name, None)
    if names:
        official = {"__name__": "coursetools_official", "__builtins__": __builtins__}
        exec(compile(source, "<official definitions>", "exec"), official)
        for name in names:
            namespace[name] = official[name]
