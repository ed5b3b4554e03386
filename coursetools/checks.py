"""Test helpers of the labs: graded tests that say what is wrong, not only that it is wrong.

This file is a module (``from coursetools import checks``: the grader compares results with it)
AND, verbatim, a code cell of every lab notebook, so that a lab runs alone in Colab. It therefore
imports only the standard library and numpy, and every helper the cell needs is defined here.

In a notebook::

    with graded("backward_small", points=2):
        check(backward, dict(x=x, w1=w1, w2=w2, y_true=y_true),
              expect=(grad_w1, grad_w2), outputs=("grad_w1", "grad_w2"),
              vary=("x", "w1", "w2", "y_true"))
    summary()

A method of a class is tested through ``method``, which turns "build the object, set some
attributes, call some methods" into a function of keyword arguments that ``check`` can call::

    with graded("linear_backward", points=2):
        check(method(Linear, "backward", init=(3, 2, np.random.default_rng(0)),
                     attrs=("W", "b"), before=[("forward", "x")], call=("grad_u",),
                     returns=("return", "dW", "db")),
              dict(W=W, b=b, x=x, grad_u=grad_u), expect=(grad_x, dW, db),
              outputs=("grad_x", "dW", "db"), vary=("W", "b", "x", "grad_u"))

The public names are listed in ``__all__``; coursetools/README.md documents them.
"""
import copy as _copy
import hashlib as _hashlib
import json as _json
import math as _math

import numpy as np

__all__ = ["graded", "check", "method", "compare", "diagnose", "summary", "results",
           "enable_recording", "disable_recording", "encode", "decode", "batch_sizes", "error_code",
           "MISTAKES", "MIME", "WrongOutput"]

MIME = "application/vnd.coursetools.result+json"

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

_STATE = {"mode": "notebook", "nonce": None, "sink": None, "test": None, "points": 0,
          "call": 0, "codes": [], "in_func": False, "results": {}}


class WrongOutput(Exception):
    """A function returned something that is not the expected number of numeric outputs."""


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


def _hint(code, name, **info):
    name = str(name)
    grad = _is_grad(name)
    if code == "shape":
        text = f"{name} has shape {info['got']} but should have shape {info['want']}"
        if info["want"] == ():
            text += ": return one number, e.g. float(...)"
        elif grad:
            text += ": each gradient has the shape of its weight"
        return text
    if code == "transposed":
        return (f"{name} has the transposed shape {info['got']} instead of {info['want']}: each "
                "gradient has the shape of its weight; check the order of the factors of the matrix product")
    if code == "factor_2":
        return f"every value of {name} is twice the expected one: is a factor 2 applied twice?"
    if code == "half":
        if grad:
            return (f"every value of {name} is half the expected one: the loss is the sum of squares "
                    "WITHOUT 1/2, so its derivative is 2 * (y2_pred - y_true): the factor 2 is missing")
        return f"every value of {name} is half the expected one: is a factor 2 missing (or a 1/2 too many)?"
    if code == "sign":
        if grad:
            return (f"{name} has the opposite sign: the output gradient is 2 * (y2_pred - y_true); "
                    "2 * (y_true - y2_pred) is the NEGATIVE gradient")
        return f"{name} has the opposite sign"
    if code == "mean_not_sum":
        if info["how"] == "multiplied by":
            return (f"{name} is {info['q']} times the expected value: a division by {info['q']} is "
                    "missing? Where the loss is the MEAN over the N samples of the batch, the loss "
                    "and every gradient carry the factor 1/N")
        return (f"{name} is the expected value divided by {info['q']}: a division by {info['q']} "
                "(or an np.mean) too many? Where the loss SUMS over the samples and outputs, do not "
                "average anywhere; where it is the mean over the samples, divide by N only once")
    if code == "relu_mask_missing":
        if grad:
            return (f"{name} is nonzero where it should be 0: a hidden unit with y1 < 0 passes no "
                    "gradient back; multiply the gradient arriving at y1 by the ReLU derivative (y1 > 0)")
        return f"{name} is nonzero where it should be 0: did you apply the ReLU, max(y1, 0)?"
    if code == "relu_mask_wrong":
        return (f"{name} is 0 where it should not be: the ReLU mask (y1 > 0) blocks only the hidden units "
                "with a negative pre-activation; check where and on what you apply it")
    if code == "output_relu":
        return (f"{name} has no negative values where the expected one has: the output layer has NO "
                "ReLU (y2_pred = y1_relu @ w2)")
    if code == "history_shifted":
        return (f"{name} is shifted by one step: record the loss BEFORE each update, so that "
                f"{name}[0] is the loss of the initial weights")
    if code == "update_order":
        return (f"the first value of {name} is right but later ones are not, so the updates are "
                "wrong: if backward passes its tests, compute both gradients from the current w1 "
                "and w2 before updating either, then w = w - learning_rate * grad")
    if code == "not_finite":
        return (f"{name} contains NaN or infinity: an overflow (np.exp of a large number: subtract "
                "the row maximum before np.exp), the log of 0, or a division by zero?")
    if code == "derivative_missing":
        return (f"{name} equals {info['arg']}, the gradient that came in, unchanged: multiply it by "
                "the local derivative (for an activation, its derivative at the stored input: "
                "z * (1 - z) for the sigmoid, the mask (u > 0) for the ReLU)")
    if code == "unchanged":
        return (f"{name} equals the input {info['arg']} unchanged: is it updated (for example "
                "W = W - learning_rate * dW) or computed at all?")
    if code == "bias_missing":
        return (f"{name} is the expected value minus the bias {info['arg']}: add the bias "
                "(u = x @ W + b, where b of shape (1, n_out) is added to every row)")
    if code == "zeros":
        return (f"every entry of {name} is 0 but the expected value is not: is it computed (and "
                "stored) at all, or does a mask block everything?")
    if code == "values":
        text = f"{name} has wrong values (largest difference {info['diff']:.3g})"
        if grad:
            text += "; the numerical gradient check below helps to find which entries are wrong"
        return text
    return MISTAKES.get(code, code)


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
    found = []
    for arg, value in inputs.items():
        if value.shape == got.shape and value.size and _close(got, value, rtol, atol) \
                and not _close(want, value, rtol, atol):
            found.append(("derivative_missing" if _is_grad(arg) else "unchanged", dict(arg=arg)))
            return found
    for arg, value in inputs.items():
        if not _is_bias(arg) or not value.size or not np.any(value != 0):
            continue
        try:
            with_bias = got + value
        except ValueError:
            continue
        if with_bias.shape == want.shape and _close(with_bias, want, rtol, atol):
            found.append(("bias_missing", dict(arg=arg)))
            return found
    return found


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
    found = []
    info = {}
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
        if code == "transposed_square":
            code, text = "transposed", (f"{name} equals the TRANSPOSE of the expected value: check "
                                        "the order of the factors in the matrix product")
        else:
            text = _hint(code, name, diff=diff, **info, **extra)
        if hints and code in hints:
            text = str(hints[code])
        texts.append((code, text))
    return texts


def _diagnose_values(name, got, want, sizes, rtol, atol, inputs):
    """The codes of a same-shape, finite mismatch (see ``diagnose``)."""
    found = []
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    tiny = atol + 1e-12 * scale
    if scale > tiny:
        if _close(got, -want, rtol, atol):
            found.append("sign")
        if _close(got, 2 * want, rtol, atol):
            found.append("factor_2")
        if _close(got, want / 2, rtol, atol):
            found.append("half")
        for q in sorted(set(int(q) for q in sizes)):
            if q >= 2 and (_close(got, want / q, rtol, atol) or _close(got, want * q, rtol, atol)):
                how = "divided by" if _close(got, want / q, rtol, atol) else "multiplied by"
                found.append(("mean_not_sum", dict(q=q, how=how)))
                break
        if got.ndim == 2 and got.shape[0] == got.shape[1] and _close(got, want.T, rtol, atol):
            found.append("transposed_square")
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


# ----------------------------------------------------------------------------- tests
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


def check(func, args, expect, outputs, vary=(), rtol=1e-6, atol=1e-9, hints=None, vary_keep_sign=(),
          label=None):
    """Call ``func(**args)`` on copies of ``args`` and compare its outputs with ``expect``.

    ``outputs`` names the outputs; ``expect`` holds one expected value per output (a lone value
    if there is one output). Fails (AssertionError with hints) on wrong outputs or if ``func``
    modified its arguments. In record mode the arguments named in ``vary`` are replaced by random
    values of the same shape and the outcome is emitted for the grader instead. ``hints``
    (optional) maps mistake codes to this test's own wording of their hint; in record mode it
    travels in the payload as ``"hints"`` (the key is present only when given). Arguments named in
    ``vary_keep_sign`` are varied too, but every entry keeps its sign (see ``_random_same_sign``).
    ``label`` (optional) is the name shown in messages and sent to the grader instead of
    ``func.__name__`` (e.g. ``"Value.__mul__"`` for a ``lambda`` that exercises that method).
    """
    outputs = (outputs,) if isinstance(outputs, str) else tuple(outputs)
    shown = _func_name(func) if label is None else str(label)
    test = _STATE["test"]
    call = _STATE["call"]
    _STATE["call"] = call + 1
    args = dict(args)
    if _STATE["mode"] == "record":
        rng = _rng(test, call)
        for name in vary:
            args[name] = _random_like(args[name], rng)
        for name in vary_keep_sign:
            args[name] = _random_same_sign(args[name], rng)
    before = _copy.deepcopy(args)
    passed = _copy.deepcopy(args)
    if _STATE["mode"] == "record":
        payload = {"test": test, "call": call, "func": shown,
                   "args": {k: encode(v) for k, v in args.items()}, "outputs": None, "error": None,
                   "mutated": [], "rtol": rtol, "atol": atol, "names": list(outputs)}
        if hints:
            payload["hints"] = {str(k): str(v) for k, v in dict(hints).items()}
        try:
            result = func(**passed)
            payload["outputs"] = [encode(v) for v in _split(result, len(outputs))]
        except WrongOutput as error:
            payload["error"] = f"WrongOutput: {shown} returned {error}"
        except BaseException as error:  # the student's code may raise anything
            if isinstance(error, KeyboardInterrupt):
                raise
            payload["error"] = f"{type(error).__name__}: {error}"
        payload["mutated"] = [k for k in args if _changed(before[k], passed[k])]
        _emit(payload)
        return None
    _STATE["in_func"] = True
    result = func(**passed)
    _STATE["in_func"] = False
    expected = _split(expect, len(outputs))
    mismatches = compare(_split(result, len(outputs)), expected, names=outputs, rtol=rtol,
                         atol=atol, sizes=batch_sizes(args), inputs=before, hints=hints)
    mutated = [k for k in args if _changed(before[k], passed[k])]
    if not mismatches and not mutated:
        return None
    lines = [f"{shown}({', '.join(args)}) is not right yet."]
    codes = []
    for mismatch in mismatches:
        lines.append(mismatch["message"])
        codes += mismatch["codes"]
    if mutated:
        codes.append("mutates_input")
        lines.append(f"hint [mutates_input]: {shown} changed its argument(s) {', '.join(mutated)} in "
                     "place; the caller's arrays must stay as they were: work on copies "
                     "(w1 = w1.copy()) or write w1 = w1 - ... instead of w1 -= ...")
    _STATE["codes"] = codes
    raise AssertionError("\n".join(lines)) from None


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
    returns=("return",))`` builds, at every call with keyword arguments ``kw``:

    1. the object: ``target(*init)`` if ``target`` is a class, else a deep copy of the object
       ``target`` (``init`` is deep-copied too, so a random generator in it gives the same
       numbers at every call);
    2. sets attributes from arguments: ``attrs`` is a list of argument names (each sets the
       attribute of the same name) or a dict ``{argument: "attribute.path"}`` (a path may index
       lists: ``"layers.0.W"``); the object gets copies, so it may update them in place;
    3. runs ``before``, a list of steps: ``("forward", "x")`` calls ``obj.forward(kw["x"])``;
       a dict sets attributes as in ``attrs``;
    4. calls the method ``name`` with the arguments named in ``call`` (positionally) and the
       keyword arguments ``fixed`` (deep-copied); ``name`` may also be a function, called as
       ``name(obj, ...)``, and ``None`` only builds the object;
    5. returns what ``returns`` names: ``"return"`` is the return value, anything else an
       attribute path read after the call (one value, or a tuple of several).

    Its ``__name__`` (used in messages and by the grader) is ``"Class.method"``, the function's
    name, or the class name when it only builds the object.
    """

    def __init__(self, target, name=None, init=(), attrs=(), before=(), call=(), fixed=None,
                 returns=("return",)):
        self.target, self.name, self.init = target, name, tuple(init)
        self.attrs = _assignments(attrs)
        self.before = list(before)
        self.call = (call,) if isinstance(call, str) else tuple(call)
        self.fixed = dict(fixed or {})
        self.returns = (returns,) if isinstance(returns, str) else tuple(returns)
        owner = target.__name__ if isinstance(target, type) else type(target).__name__
        if name is None:
            self.__name__ = owner
        elif callable(name):
            self.__name__ = getattr(name, "__name__", owner)
        else:
            self.__name__ = f"{owner}.{name}"

    def __call__(self, **kw):
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


class graded:
    """``with graded(test_id, points):`` one graded test; prints its outcome and remembers it."""

    def __init__(self, test_id, points=1):
        self.test_id = str(test_id)
        self.points = points

    def __enter__(self):
        _STATE.update(test=self.test_id, points=self.points, call=0, codes=[], in_func=False)
        return self

    def __exit__(self, kind, error, traceback):
        in_func = _STATE["in_func"]
        codes = list(_STATE["codes"])
        _STATE.update(test=None, call=0, codes=[], in_func=False)
        if _STATE["mode"] == "record":
            if kind is not None and issubclass(kind, KeyboardInterrupt):
                return False
            message = None if kind is None else f"{kind.__name__}: {error}"
            _emit({"test": self.test_id, "points": self.points, "event": "end", "error": message})
            return True
        if kind is None:
            self._store(self.points, "passed", [])
            print(f"\u2713 {self.test_id} ({self.points}/{self.points} points)")
            return False
        if issubclass(kind, AssertionError) and codes:
            codes = list(dict.fromkeys(codes))
            note = ", ".join(codes)
        elif issubclass(kind, NotImplementedError):
            codes, note = ["not_implemented"], f"not implemented yet ({error})"
        elif issubclass(kind, NameError) and not in_func:
            codes, note = ["missing_function"], f"not defined yet ({error})"
        else:
            codes, note = ["exception"], f"raised {kind.__name__}: {error}"
        self._store(0, "failed", codes)
        print(f"\u2717 {self.test_id} (0/{self.points} points): {note}")
        return False

    def _store(self, earned, status, codes):
        _STATE["results"][self.test_id] = {"test": self.test_id, "points": self.points,
                                           "earned": earned, "status": status, "codes": codes}


def results():
    """The outcome of every graded test run so far, in order: a list of dicts."""
    return [dict(r) for r in _STATE["results"].values()]


def summary():
    """Print the table of the graded tests run so far and the total points."""
    rows = results()
    if not rows:
        print("No graded test has run yet.")
        return
    width = max(len(r["test"]) for r in rows)
    for r in rows:
        mark = "\u2713" if r["status"] == "passed" else "\u2717 " + ", ".join(r["codes"])
        print(f"{r['test']:<{width}}  {r['earned']:>3}/{r['points']:<3} {mark}")
    earned = sum(r["earned"] for r in rows)
    total = sum(r["points"] for r in rows)
    print(f"Total: {earned}/{total} points")


def enable_recording(nonce, sink=None):
    """Record mode (used by the grader): vary arguments, emit results, never raise in tests."""
    _STATE.update(mode="record", nonce=str(nonce), sink=sink)


def disable_recording():
    """Back to the default (notebook) mode."""
    _STATE.update(mode="notebook", nonce=None, sink=None)
