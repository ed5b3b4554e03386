"""Diagnosis: the likely mistake behind a wrong output, in the words of the lab it belongs to.

Pure functions of numbers: ``diagnose`` and ``compare`` read the expected and the obtained
outputs (and the call's inputs) and return mistake codes with hint texts. They run in the
notebook (``check``) and in the grader's own process (``score/judge.py``), on the same
arguments, so a grade says what the notebook says.

Nothing here knows a lab's variable names. What is lab-specific comes in a ``Vocabulary``, built
from the lab's configuration (``metadata.coursetools.diagnosis`` of the instructor notebook):

- ``gradients``: prefixes of the output names that are gradients (the hints differ);
- ``relu``: prefixes of output names, or of function labels (``"ReLU."``), whose zeros come
  from a ReLU: only there is a zero pattern called ``relu_mask_missing``/``relu_mask_wrong``
  (elsewhere it is ``nonzero_where_zero``/``zero_where_nonzero``, e.g. a saturated sigmoid);
- ``output_layer``: prefixes of outputs of a network's output layer, which has no ReLU;
- ``batch``: the arguments whose shape gives the batch sizes an average may divide by;
- ``hints``: the lab's wording per mistake code (``"half"``), or per function and code
  (``"Sigmoid.backward:nonzero_where_zero"``): a template with ``{name}`` (the output), ``{q}``,
  ``{arg}``, ``{got}``, ``{want}``, ``{diff}``, or a list of two (for an output that is not a
  gradient, for a gradient); codes it does not word get the lab-neutral texts of ``HINTS``.
  A test's own ``hints=`` wins over both. ``mean_not_sum`` is worded as ``mean_multiplied``
  (a division missing) or ``mean_divided`` (one too many), a shape that should be one number
  as ``scalar``.

It runs inside kernels too (see ``kernel/__init__.py``): standard library and numpy only.
"""
import numpy as np

if __package__:
    from . import protocol
else:   # executed by the test-helper cell, next to the module it put in sys.modules
    import coursetools_protocol as protocol

VERSION = 1

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
    "nonzero_where_zero": "nonzero where the expected value is 0",
    "zero_where_nonzero": "0 where the expected value is not",
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

# Lab-neutral hint texts; a lab words its own in its Vocabulary. A list: one text for an output
# that is not a gradient, one for a gradient.
HINTS = {
    "shape": ["{name} has shape {got} but should have shape {want}.",
              "{name} has shape {got} but should have shape {want}: each gradient has the shape "
              "of what it is the gradient of."],
    "scalar": ["{name} has shape {got} but should be one number: return float(...)."],
    "transposed": ["{name} has the transposed shape {got} instead of {want}: check the order of "
                   "the factors of the matrix product."],
    "transposed_square": ["{name} equals the TRANSPOSE of the expected value: check the order "
                          "of the factors in the matrix product."],
    "factor_2": ["Every value of {name} is twice the expected one: is a factor 2 applied twice?"],
    "half": ["Every value of {name} is half the expected one: is a factor 2 missing (or a 1/2 "
             "too many)?"],
    "sign": ["{name} has the opposite sign.",
             "{name} has the opposite sign: a gradient points uphill; is a difference taken the "
             "wrong way round (target minus prediction instead of prediction minus target)?"],
    "mean_multiplied": ["{name} is {q} times the expected value: is a division by {q} missing, "
                        "or a sum where the lab takes a mean?"],
    "mean_divided": ["{name} is the expected value divided by {q}: is there a division by {q} "
                     "(or an np.mean) too many?"],
    "relu_mask_missing": ["{name} is nonzero where it should be 0: is the ReLU applied?",
                          "{name} is nonzero where it should be 0: a unit whose pre-activation "
                          "is negative passes no gradient back; multiply by the ReLU's "
                          "derivative."],
    "relu_mask_wrong": ["{name} is 0 where it should not be: the ReLU blocks only the units "
                        "with a negative pre-activation; check where and on what the mask is "
                        "applied."],
    "nonzero_where_zero": ["{name} is nonzero where the expected value is 0: compare those "
                           "entries with the inputs of the call."],
    "zero_where_nonzero": ["{name} is 0 where the expected value is not: compare those entries "
                           "with the inputs of the call."],
    "output_relu": ["{name} has no negative values where the expected one has: the output layer "
                    "has no ReLU."],
    "history_shifted": ["{name} is shifted by one step: record the loss BEFORE each update, so "
                        "that the first entry is the loss of the initial weights."],
    "update_order": ["The first value of {name} is right but later ones are not, so the updates "
                     "are wrong: compute every gradient from the current weights before "
                     "updating any of them, then subtract the learning rate times the gradient."],
    "not_finite": ["{name} contains NaN or infinity: an overflow (np.exp of a large number), "
                   "the log of 0, or a division by zero?"],
    "derivative_missing": ["{name} equals {arg}, the gradient that came in, unchanged: multiply "
                           "it by the local derivative (for an activation, its derivative at the "
                           "stored input or output)."],
    "unchanged": ["{name} equals the input {arg} unchanged: is it updated or computed at all?"],
    "bias_missing": ["{name} is the expected value minus the bias {arg}: add the bias."],
    "zeros": ["Every entry of {name} is 0 but the expected value is not: is it computed (and "
              "stored) at all, or does a mask block everything?"],
    "values": ["{name} has wrong values (largest difference {diff})."],
}


class Vocabulary:
    """A lab's names and words for diagnosis (see the module docstring); all optional."""

    def __init__(self, gradients=("grad",), relu=(), output_layer=(), batch=(), hints=None):
        self.gradients = tuple(gradients)
        self.relu = tuple(relu)
        self.output_layer = tuple(output_layer)
        self.batch = tuple(batch)
        self.hints = {str(k): [str(t) for t in v] if isinstance(v, (list, tuple)) else [str(v)]
                      for k, v in dict(hints or {}).items()}

    @classmethod
    def of(cls, config):
        """A Vocabulary from a lab's configuration (a dict, None, or a Vocabulary)."""
        if isinstance(config, cls):
            return config
        config = dict(config or {})
        return cls(**{k: config[k] for k in ("gradients", "relu", "output_layer", "batch",
                                             "hints") if k in config})

    def is_gradient(self, name):
        return str(name).startswith(self.gradients) if self.gradients else False

    def has_relu(self, name, func=""):
        return bool(self.relu) and (str(name).startswith(self.relu)
                                    or str(func).startswith(self.relu))

    def text(self, codes, name, info, func=""):
        """The hint for output ``name``: the lab's wording of the first of ``codes`` it words
        (for ``func``, then for any function), else the neutral text of the first code."""
        texts = next((self.hints[key] for code in codes for key in (f"{func}:{code}", code)
                      if key in self.hints), None)
        if texts is None:
            texts = next((HINTS[code] for code in codes if code in HINTS), None) or [
                MISTAKES.get(codes[-1], codes[-1])]
        template = texts[min(len(texts) - 1, int(self.is_gradient(name)))]
        values = {"name": name, "q": "", "arg": "", "got": "", "want": "", "diff": "", **info}
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            return template


NEUTRAL = Vocabulary()


def batch_sizes(args, vocabulary=NEUTRAL):
    """Divisors that averaging could have introduced: N, m and N*m from the first of the
    vocabulary's ``batch`` arguments that is an array."""
    sizes = set()
    for name in Vocabulary.of(vocabulary).batch:
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


def close(a, b, rtol, atol):
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def _numeric_inputs(inputs):
    """The arguments of a call that are numbers or arrays, as float64 arrays (others skipped)."""
    arrays = {}
    for arg, value in (inputs or {}).items():
        try:
            arrays[str(arg)] = protocol.as_float_array(value, arg)
        except (protocol.WrongOutput, TypeError, ValueError):
            continue
    return arrays


def _is_bias(arg):
    return arg == "b" or (arg.startswith("b") and arg[1:].isdigit())


def _input_mistakes(got, want, inputs, rtol, atol, vocabulary):
    """Mistakes that show against the arguments of the call: an input passed back unchanged
    (``derivative_missing`` for a gradient, ``unchanged`` otherwise), or a bias left out."""
    for arg, value in inputs.items():
        if value.shape == got.shape and value.size and close(got, value, rtol, atol) \
                and not close(want, value, rtol, atol):
            return [("derivative_missing" if vocabulary.is_gradient(arg) else "unchanged",
                     dict(arg=arg))]
    for arg, value in inputs.items():
        if not _is_bias(arg) or not value.size or not np.any(value != 0):
            continue
        try:
            with_bias = got + value
        except ValueError:
            continue
        if with_bias.shape == want.shape and close(with_bias, want, rtol, atol):
            return [("bias_missing", dict(arg=arg))]
    return []


def _scaling_mistakes(got, want, sizes, rtol, atol):
    """sign, factor_2, half, mean_not_sum and a square transpose (see ``diagnose``)."""
    found = [code for code, other in (("sign", -want), ("factor_2", 2 * want), ("half", want / 2))
             if close(got, other, rtol, atol)]
    for q in sorted(set(int(q) for q in sizes)):
        divided, multiplied = close(got, want / q, rtol, atol), close(got, want * q, rtol, atol)
        if q >= 2 and (divided or multiplied):
            found.append(("mean_not_sum", dict(q=q, how="divided" if divided else "multiplied")))
            break
    if got.ndim == 2 and got.shape[0] == got.shape[1] and close(got, want.T, rtol, atol):
        found.append("transposed_square")
    return found


def _diagnose_values(name, func, got, want, sizes, rtol, atol, inputs, vocabulary):
    """The codes of a same-shape, finite mismatch (see ``diagnose``)."""
    found = []
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    tiny = atol + 1e-12 * scale
    if scale > tiny:
        found = _scaling_mistakes(got, want, sizes, rtol, atol)
        if (str(name).startswith(vocabulary.output_layer) and vocabulary.output_layer
                and np.any(want < -tiny) and close(got, np.maximum(want, 0), rtol, atol)):
            found.append("output_relu")
        if got.ndim == 1 and got.size >= 2 and not found:
            if close(got[:-1], want[1:], rtol, atol):
                found.append("history_shifted")
            elif close(got[:1], want[:1], rtol, atol):
                found.append("update_order")
        if not found and inputs:
            found += _input_mistakes(got, want, inputs, rtol, atol, vocabulary)
        if not found and got.size >= 2 and np.all(np.abs(got) <= tiny):
            found.append("zeros")
    zero = np.abs(want) <= tiny
    wrong = ~np.isclose(got, want, rtol=rtol, atol=atol)
    relu = vocabulary.has_relu(name, func)
    if not found and np.any(zero & wrong):
        found.append("relu_mask_missing" if relu else "nonzero_where_zero")
    if not found and np.any(~zero & (np.abs(got) <= tiny) & wrong):
        found.append("relu_mask_wrong" if relu else "zero_where_nonzero")
    return found


def diagnose(name, got, expected, sizes=(), rtol=1e-6, atol=1e-9, inputs=None, hints=None,
             vocabulary=NEUTRAL, func=""):
    """Likely mistakes behind ``got`` != ``expected``: a list of ``(code, text)``, most specific first.

    ``name`` is the output's name and ``func`` the label of the function that made it (the
    ``vocabulary`` says which are gradients and where a ReLU acts); ``sizes`` are the batch
    sizes that averaging could divide by (see ``batch_sizes``). ``inputs`` (optional) are the
    arguments of the call, by name: with them an output that equals an input
    (``derivative_missing``, ``unchanged``) or misses a bias argument ``b``, ``b1``, ...
    (``bias_missing``) is recognised. ``hints`` (optional) maps a code to the text to show
    instead of the lab's (a test's own wording).
    """
    vocabulary = Vocabulary.of(vocabulary)
    got = protocol.as_float_array(got, name)
    want = protocol.as_float_array(expected, name)
    found, info = [], {}
    if got.shape != want.shape:
        code = "transposed" if got.ndim >= 2 and got.shape == want.shape[::-1] else "shape"
        found, info = [code], dict(got=got.shape, want=want.shape)
    with np.errstate(all="ignore"):
        if not found and np.any(~np.isfinite(got) & np.isfinite(want)):
            found = ["not_finite"]
        if not found:
            found = _diagnose_values(name, func, got, want, sizes, rtol, atol,
                                     _numeric_inputs(inputs), vocabulary)
        diff = float(np.max(np.abs(got - want))) if got.size and got.shape == want.shape else 0.0
    texts = []
    for item in found or ["values"]:
        code, extra = item if isinstance(item, tuple) else (item, {})
        wordings = [code]
        if code == "mean_not_sum":
            wordings = ["mean_" + extra["how"], code]
        elif code == "shape" and info.get("want") == ():
            wordings = ["scalar", code]
        code = "transposed" if code == "transposed_square" else code
        if hints and code in hints:
            text = str(hints[code])
        else:
            text = vocabulary.text(wordings, str(name), {**info, **extra, "diff": f"{diff:.3g}"},
                                   func)
        texts.append((code, text))
    return texts


def show(array):
    """A short display of an array (or a number) for a message."""
    if array.ndim == 0:
        return repr(float(array))
    return np.array2string(array, precision=6, threshold=12, edgeitems=2, max_line_width=100)


def compare(got, expected, names=None, rtol=1e-6, atol=1e-9, sizes=(), inputs=None, hints=None,
            vocabulary=NEUTRAL, func="", show_values=True):
    """Compare the outputs of one call with the expected ones.

    ``got`` and ``expected`` are sequences of outputs (numbers or arrays). Returns a list of
    mismatches, each ``{"output": name, "codes": [...], "message": text}``; empty if all match.
    ``inputs``, ``hints``, ``vocabulary`` and ``func`` are passed on to ``diagnose``. The message
    shows the expected and the returned values (``show_values``): the student's notebook does,
    on its public examples; the grader does not, on graded inputs (no answer key to farm).
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
            value = protocol.as_float_array(value, name)
        except protocol.WrongOutput as error:
            mismatches.append({"output": name, "codes": ["wrong_type"], "message": str(error)})
            continue
        want = protocol.as_float_array(want, name)
        if close(value, want, rtol, atol):
            continue
        found = diagnose(name, value, want, sizes=sizes, rtol=rtol, atol=atol, inputs=inputs,
                         hints=hints, vocabulary=vocabulary, func=func)
        lines = [f"output {name} is wrong"]
        if show_values:
            lines += [f"  expected (shape {want.shape}): {show(want)}",
                      f"  got      (shape {value.shape}): {show(value)}"]
        lines += [f"  hint [{code}]: {text}" for code, text in found]
        mismatches.append({"output": name, "codes": [code for code, _ in found],
                           "message": "\n".join(lines)})
    return mismatches
