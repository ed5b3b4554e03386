"""Test helpers of the labs: graded tests that say what is wrong, not only that it is wrong.

This is the public API of the kernel side (``PUBLIC``: what a lab notebook sees) and the one
session of a kernel (``SESSION``); the diagnosis of a wrong output is ``diagnosis.py`` (pure,
worded per lab by the lab's configuration) and what a grading kernel emits is ``protocol.py``.
The three run in every lab notebook (its test-helper cell executes them as the modules
``coursetools_protocol``, ``coursetools_diagnosis`` and ``coursetools_checks``, so a lab runs
alone in Colab), in the grading kernels, and in the grader's own process. So they import only
the standard library and numpy.

A notebook sees only the names of ``PUBLIC``; everything else stays inside these modules, so a
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
import dis as _dis
import json as _json
import sys as _sys
import traceback as _traceback

import numpy as np

if __package__:
    from . import diagnosis as _diagnosis, protocol
else:   # executed by the test-helper cell, after the two modules it put in sys.modules
    import coursetools_diagnosis as _diagnosis
    import coursetools_protocol as protocol

VERSION = 3
PUBLIC = ("graded", "check", "method", "summary", "needs", "ready_to_hand_in")
HELPERS_FILE = "<test helpers>"
METHOD_VARIANT = "~methods"   # the suffix of a test's id when it runs as a method variant
WrongOutput = protocol.WrongOutput


def _user_namespace():
    """The notebook's namespace: IPython's user namespace, else ``__main__``'s."""
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:
        shell = None
    return shell.user_ns if shell is not None else _sys.modules["__main__"].__dict__


class Session:
    """Everything a kernel's helpers remember, in one object (``SESSION``).

    Set up once by ``configure`` (the lab, its contract, its diagnosis vocabulary, strict or
    not) and ``enable_recording`` (record mode, the nonce of the varied inputs, where payloads
    go); then the test that runs now (``test``, its calls and checks, the function under test)
    and what every test ended with (``results``, ``failed``). ``namespace`` returns the
    notebook's namespace and ``sink`` receives the payloads of record mode (None: displayed):
    an in-process driver replaces both.
    """

    def __init__(self):
        self.mode, self.strict, self.nonce, self.sink = "notebook", True, None, None
        self.namespace = _user_namespace
        self.lab, self.contract, self.methods = None, [], {}
        self.vocabulary = _diagnosis.NEUTRAL
        self.results, self.failed, self.own, self.suffix = {}, {}, None, ""
        self.start(None)

    def start(self, test):
        """A test begins (``test``) or ends (None): forget the previous one's calls."""
        self.test, self.call, self.checks, self.codes = test, 0, 0, []
        self.in_func, self.func, self.func_obj = False, None, None

    @property
    def recording(self):
        return self.mode == "record"


SESSION = Session()


class TestFailed(AssertionError):
    """A graded test failed; IPython shows only its message, never the helpers' traceback."""

    def _render_traceback_(self):
        return str(self).splitlines()


# ----------------------------------------------------------------------------- check
def _emit(payload):
    if SESSION.sink is not None:
        SESSION.sink(payload)
        return
    try:
        from IPython.display import display
    except ImportError:  # outside IPython: one JSON line on stdout
        print(_json.dumps({protocol.MIME: payload}))
        return
    display({protocol.MIME: payload}, raw=True)


def _func_name(func):
    return getattr(func, "__name__", type(func).__name__)


def _split(result, count):
    """The outputs of one call as a list: a lone value is one output, a tuple/list is several."""
    if count == 1:
        return [result]
    if isinstance(result, (tuple, list)):
        return list(result)
    return [result]


def _record_call(func, name, args, outputs, rtol, atol, hints):
    """Record mode: call ``func`` on one argument set and emit what happened (never raises)."""
    call = SESSION.call
    SESSION.call = call + 1
    before, passed = _copy.deepcopy(args), _copy.deepcopy(args)
    payload = protocol.call_payload(SESSION.test, call, name, args, outputs, rtol, atol, hints)
    try:
        result = func(**passed)
        payload["outputs"] = [protocol.encode(v) for v in _split(result, len(outputs))]
    except WrongOutput as error:
        payload["error"] = f"WrongOutput: {name} returned {error}"
    except BaseException as error:  # the student's code may raise anything
        if isinstance(error, KeyboardInterrupt):
            raise
        payload["error"] = f"{type(error).__name__}: {str(error)[:300]}"
    payload["mutated"] = [k for k in args if protocol.changed(before[k], passed[k])]
    _emit(payload)


def check(func, args, expect, outputs, vary=(), rtol=1e-6, atol=1e-9, hints=None,
          vary_keep_sign=(), mirror=None, label=None):
    """Call ``func(**args)`` on copies of ``args`` and compare its outputs with ``expect``.

    ``outputs`` names the outputs; ``expect`` holds one expected value per output (a lone value
    if there is one output). Fails (``TestFailed`` with hints) on wrong outputs or if ``func``
    modified its arguments. ``hints`` maps mistake codes to this test's own wording; ``label``
    is the name shown in messages (default: the function's name). In grading (record mode)
    ``vary``, ``vary_keep_sign`` and ``mirror`` decide the argument sets (see
    ``protocol.variants``) and the outcome of each call is emitted for the grader instead of
    compared here.
    """
    outputs = (outputs,) if isinstance(outputs, str) else tuple(outputs)
    name = str(label) if label else _func_name(func)
    SESSION.func, SESSION.func_obj = name, func
    number = SESSION.checks
    SESSION.checks = number + 1
    if SESSION.recording:
        for one in protocol.variants(args, vary, vary_keep_sign, mirror,
                                     protocol.rng(SESSION.nonce, SESSION.test, number)):
            _record_call(func, name, one, outputs, rtol, atol, hints)
        return None
    args = dict(args)
    before, passed = _copy.deepcopy(args), _copy.deepcopy(args)
    SESSION.in_func = True
    result = func(**passed)
    SESSION.in_func = False
    vocabulary = SESSION.vocabulary
    mismatches = _diagnosis.compare(_split(result, len(outputs)), _split(expect, len(outputs)),
                                   names=outputs, rtol=rtol, atol=atol,
                                   sizes=_diagnosis.batch_sizes(args, vocabulary), inputs=before,
                                   hints=hints, vocabulary=vocabulary, func=name)
    mutated = [k for k in args if protocol.changed(before[k], passed[k])]
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
                     "(a = a.copy()) or write a = a - ... instead of a -= ...")
    SESSION.codes = codes
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


# Operators call methods without naming them: ``a - b`` runs ``__sub__`` (or ``__rsub__``).
_OPERATORS = {"+": ("__add__", "__radd__"), "-": ("__sub__", "__rsub__"),
              "*": ("__mul__", "__rmul__"), "/": ("__truediv__", "__rtruediv__"),
              "**": ("__pow__", "__rpow__"), "@": ("__matmul__", "__rmatmul__")}
_UNARY = {"UNARY_NEGATIVE": "__neg__", "UNARY_POSITIVE": "__pos__"}


def _names_in(code):
    """The global and attribute names a code object uses, operators as their methods."""
    names = set(code.co_names)
    for instruction in _dis.get_instructions(code):
        if instruction.opname in _UNARY:
            names.add(_UNARY[instruction.opname])
        elif instruction.opname.startswith("BINARY_") or instruction.opname.startswith("INPLACE_"):
            symbol = str(instruction.argrepr).rstrip("=")
            names.update(_OPERATORS.get(symbol, ()))
    return names


def _classes():
    """The contract's classes as the notebook defines them now."""
    namespace = SESSION.namespace()
    return [namespace[n] for n in SESSION.contract if isinstance(namespace.get(n), type)]


def _used_names(func):
    """Every global, attribute or operator method name the code of ``func`` may run: its own
    (nested code included) and, through the contract's classes, that of the methods it uses."""
    todo = func.code_objects() if isinstance(func, method) else [c for c in [_code_of(func)] if c]
    classes = _classes() + ([func.cls] if isinstance(func, method) else [])
    names, seen = set(), set()
    while todo:
        code = todo.pop()
        if code in seen:
            continue
        seen.add(code)
        found = _names_in(code)
        names.update(found)
        todo += [c for c in code.co_consts if hasattr(c, "co_names")]
        todo += [c for cls in classes for n in found
                 for c in [_code_of(getattr(cls, n, None))] if c is not None]
    return names


def _root_causes(func_name, used):
    """Functions that ``func_name`` uses and that failed their own tests already."""
    causes = []
    for other, tests in SESSION.failed.items():
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
        SESSION.start(self.test_id)
        return self

    def __exit__(self, kind, error, traceback):
        in_func, codes, func = SESSION.in_func, list(SESSION.codes), SESSION.func
        used = _used_names(SESSION.func_obj) if SESSION.func_obj is not None else set()
        SESSION.start(None)
        if SESSION.recording:
            if kind is not None and issubclass(kind, KeyboardInterrupt):
                return False
            message = None if kind is None else f"{kind.__name__}: {str(error)[:300]}"
            _emit(protocol.end_payload(self.test_id, self.points, message))
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
        if SESSION.strict:
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
        SESSION.results[self.test_id] = {"test": self.test_id, "points": self.points,
                                           "earned": earned, "status": status, "codes": codes,
                                           "func": func}
        if func and status == "failed":
            SESSION.failed.setdefault(func, set()).add(self.test_id)


def results():
    """The outcome of every graded test run so far, in order: a list of dicts."""
    return [dict(r) for r in SESSION.results.values()]


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
        if kind is None or SESSION.strict or issubclass(kind, (KeyboardInterrupt, SystemExit)):
            return False
        print(f"This cell stopped: {kind.__name__}: {error}")
        frames = [f for f in _traceback.extract_tb(traceback) if f.filename != HELPERS_FILE]
        if frames:
            print("Where:\n" + "".join(_traceback.format_list(frames)).rstrip())
        failed = {name.split(".")[0] for name in SESSION.failed}
        waiting = [n for n in self.names if n in failed or not _passed(n)]
        if waiting:
            print(f"It needs {', '.join(self.names)}; not passing their tests yet: "
                  f"{', '.join(waiting)}. Finish those tasks first, then run this cell again.")
        return True


def _passed(name):
    return any(r["status"] == "passed" and str(r.get("func") or "").split(".")[0] == name
               for r in SESSION.results.values())


def _skeleton_parts(name, obj):
    """The parts of a contract function or class that still only raise NotImplementedError."""
    if isinstance(obj, type):
        parts = [(f"{name}.{m}", getattr(obj, m, None)) for m in SESSION.methods.get(name, [])]
    else:
        parts = [(name, obj)]
    return [label for label, func in parts
            if _code_of(func) is not None and set(_code_of(func).co_names) == {"NotImplementedError"}]


def ready_to_hand_in():
    """Print a checklist: is this notebook ready to hand in? (the lab's last cell; returns None
    so that the notebook shows only the checklist)."""
    namespace, problems = SESSION.namespace(), []
    missing = [n for n in SESSION.contract if n not in namespace]
    if missing:
        problems.append(f"not defined: {', '.join(missing)} (keep the names of the lab)")
    skeletons = [part for n in SESSION.contract if n in namespace
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
def configure(lab=None, contract=(), methods=None, strict=True, diagnosis=None):
    """Called by the helper cell: the lab, the names the student writes, the lab's diagnosis
    vocabulary (``diagnosis.Vocabulary``) and the mode."""
    SESSION.lab, SESSION.contract = lab, list(contract)
    SESSION.methods = dict(methods or {})
    SESSION.vocabulary = _diagnosis.Vocabulary.of(diagnosis)
    SESSION.strict, SESSION.results, SESSION.failed = bool(strict), {}, {}
    SESSION.own, SESSION.suffix = None, ""


def enable_recording(nonce, sink=None):
    """Record mode (used by the grader): vary arguments, emit results, never raise in tests."""
    SESSION.mode, SESSION.nonce, SESSION.sink = "record", str(nonce), sink


def disable_recording():
    """Back to the default (notebook) mode."""
    SESSION.mode, SESSION.nonce, SESSION.sink = "notebook", None, None


def variant_id(test_id):
    """The id a test records under: its own, or with the method variant's suffix."""
    return f"{test_id}{SESSION.suffix}"


def isolate_methods(name, keep, source):
    """Grader: the next tests run with a copy of the student's class ``name`` whose methods other
    than ``keep`` are the official ones (from ``source``), and record as ``<test>~methods``.

    So a test of ``Value.__sub__`` is also seen with the official ``__mul__``: when the student's
    ``__mul__`` fails its own test, the grader charges that mistake there only. Never raises: a
    class that cannot be combined (another design) runs as the student wrote it.
    """
    SESSION.suffix = METHOD_VARIANT
    namespace = SESSION.namespace()
    own = (SESSION.own or {}).get(name, namespace.get(name))
    if own is not None:
        namespace[name] = own
    try:
        # The official methods see what the notebook binds now (the official versions of the
        # names before ``name``, set by the subject's isolation cell), like the student's.
        official_ns = {**namespace, "__name__": "coursetools_official"}
        exec(compile(source, "<official definitions>", "exec"), official_ns)
        official = official_ns[name]
        replaced = {m: official.__dict__[m] for m in SESSION.methods.get(name, [])
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
    SESSION.suffix = ""
    namespace = SESSION.namespace()
    if SESSION.own is None:
        SESSION.own = {n: namespace[n] for n in SESSION.contract if n in namespace}
    for name in SESSION.contract:
        if name in SESSION.own:
            namespace[name] = SESSION.own[name]
        else:
            namespace.pop(name, None)
    if names:
        official = {"__name__": "coursetools_official", "__builtins__": __builtins__}
        exec(compile(source, "<official definitions>", "exec"), official)
        for name in names:
            namespace[name] = official[name]
