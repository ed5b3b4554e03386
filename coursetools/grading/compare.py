"""Scoring: a student's recorded results against the reference's, in the grader's process.

Nothing a student's kernel says about itself is trusted. Its results are plain JSON (numbers
and shapes) and are judged here, outside the kernel:

- points, tolerances and the list of expected calls come from the *reference* run;
- a result counts only if it comes from the test cell that holds its test, exactly once;
- the inputs a student's function received must be exactly the reference's inputs (record mode
  draws them from the same seed): if the kernel's random inputs were tampered with, or the
  results were forged, the test fails;
- outputs are compared with the official ``compare`` / ``diagnose`` of the test helpers,
  taken from the instructor notebook's checks cell (the very code its kernels ran).

A test earns its points only if every one of its calls matches; otherwise it earns nothing and
carries mistake codes (``diagnose``'s codes plus the grader's own: ``timeout``, ``crash``,
``tampering``, ``no_result``) and messages for the feedback. Hidden tests get hints only, never
inputs, values or source.
"""
from __future__ import annotations

import dataclasses
import inspect
import types

import numpy as np

GRADER_MISTAKES = {
    "timeout": "ran longer than the time limit",
    "crash": "the kernel crashed (or the code exited)",
    "tampering": "results that the official tests did not produce",
    "no_result": "the test produced no result",
}


class ReferenceError(Exception):
    """The instructor's own code fails its tests: grading cannot be trusted."""


@dataclasses.dataclass
class TestResult:
    test: str
    points: float
    earned: float
    hidden: bool
    codes: list[str] = dataclasses.field(default_factory=list)
    details: list[str] = dataclasses.field(default_factory=list)   # visible tests only
    hints: list[str] = dataclasses.field(default_factory=list)     # safe for hidden tests

    @property
    def passed(self) -> bool:
        return self.earned == self.points and not self.codes


def load_harness(checks_source: str) -> types.ModuleType:
    """The instructor's checks cell as a module (``compare``, ``diagnose``, ``decode``, ...)."""
    module = types.ModuleType("coursetools_checks_cell")
    exec(compile(checks_source, "<checks cell>", "exec"), module.__dict__)  # noqa: S102 (trusted)
    return module


def mistake_text(harness, code: str) -> str:
    return {**GRADER_MISTAKES, **getattr(harness, "MISTAKES", {})}.get(code, code)


# ------------------------------------------------------------------ grouping results
@dataclasses.dataclass
class TestRecord:
    """What one notebook emitted for one test."""

    calls: dict[int, list[dict]] = dataclasses.field(default_factory=dict)
    ends: list[dict] = dataclasses.field(default_factory=list)
    stray: int = 0
    cell: dict | None = None   # the nbval result of the cell holding the test


def group(cell_results: list[dict]) -> dict[str, TestRecord]:
    """Results of the test cells, by test id; anything from elsewhere is ignored."""
    records: dict[str, TestRecord] = {}
    for cell in cell_results:
        meta = cell.get("meta", {})
        if meta.get("role") != "test":
            continue
        own = list(meta.get("tests", []))
        for test in own:
            records.setdefault(test, TestRecord()).cell = cell
        for payload in cell.get("payloads", []):
            if not isinstance(payload, dict):
                continue
            test = payload.get("test")
            if test not in own:
                if own:
                    records[own[0]].stray += 1
                continue
            record = records[test]
            if payload.get("event") == "end":
                record.ends.append(payload)
            elif isinstance(payload.get("call"), int):
                record.calls.setdefault(payload["call"], []).append(payload)
            else:
                record.stray += 1
    return records


@dataclasses.dataclass
class Reference:
    points: float
    calls: list[dict]
    hidden: bool


def reference(lab, cell_results: list[dict]) -> dict[str, Reference]:
    """The reference results per test; raises ReferenceError if the instructor's code fails."""
    records = group(cell_results)
    found = {}
    for cell in lab.test_cells:
        for test in cell.tests:
            record = records.get(test)
            where = f"test {test!r} (cell {cell.index} of {lab.path.name})"
            if record is None or record.cell is None:
                raise ReferenceError(f"{where} did not run in the reference kernel")
            failure = record.cell.get("failure")
            if failure or record.cell.get("errors"):
                detail = failure or "; ".join(f"{e['ename']}: {e['evalue']}"
                                              for e in record.cell["errors"])
                raise ReferenceError(f"{where} fails with the instructor's code: {detail}")
            if len(record.ends) != 1:
                raise ReferenceError(f"{where} emitted no end event: is the checks cell in "
                                     "record mode?")
            end = record.ends[0]
            if end.get("error"):
                raise ReferenceError(f"{where} fails with the instructor's code: {end['error']}")
            calls = []
            for index in sorted(record.calls):
                payload = record.calls[index][0]
                if payload.get("error"):
                    raise ReferenceError(f"{where}, call {index}, fails with the instructor's "
                                         f"code: {payload['error']}")
                if payload.get("mutated"):
                    raise ReferenceError(f"{where}: the instructor's code modifies its inputs "
                                         f"{payload['mutated']}")
                calls.append(payload)
            found[test] = Reference(points=float(end.get("points", 0)), calls=calls,
                                    hidden=cell.hidden)
    return found


# ------------------------------------------------------------------ one test
def _decode(harness, encoded) -> np.ndarray:
    return harness.decode(encoded)


def _show_args(harness, args: dict) -> str:
    shown = []
    for name, encoded in args.items():
        value = _decode(harness, encoded)
        text = (np.format_float_positional(float(value), precision=6, trim="-")
                if value.ndim == 0 else
                np.array2string(value, precision=4, threshold=8, edgeitems=2,
                                max_line_width=80).replace("\n", " "))
        shown.append(f"{name}={text}")
    return ", ".join(shown)


def _extra(harness, **options) -> dict:
    """The keyword options that this version of ``compare``/``diagnose`` accepts."""
    accepted = inspect.signature(harness.compare).parameters
    return {k: v for k, v in options.items() if k in accepted and v is not None}


def _error_code(harness, error: str, where: str) -> str:
    if hasattr(harness, "error_code"):
        return harness.error_code(error, where)
    kind = error.split(":", 1)[0]
    return {"NotImplementedError": "not_implemented"}.get(kind, "exception")


def _missing_reason(harness, record: TestRecord, func: str) -> tuple[str, str, str]:
    """(code, detail, hint) for a call whose result never arrived."""
    cell = record.cell or {}
    failure = cell.get("failure")
    errors = cell.get("errors", [])
    names = {e.get("ename") for e in errors}
    if failure == "timeout" or "GradingTimeout" in names:
        text = f"{func} did not finish within the time limit (an endless loop?)"
        return "timeout", text, text
    if failure in ("kernel died", "kernel dead"):
        text = f"the Python kernel stopped while running {func} (a crash, os._exit or exit())"
        return "crash", text, text
    if record.ends and record.ends[-1].get("error"):
        error = record.ends[-1]["error"]
        code = _error_code(harness, error, "end")
        if code == "missing_function":
            text = f"{func} is not defined: define a function with exactly this name"
            return code, f"{text} ({error})", text
        kind = error.split(":")[0]
        return code, f"the test stopped with {error}", f"the test stopped with {kind}"
    if errors:
        error = f"{errors[-1]['ename']}: {errors[-1]['evalue']}"
        return "exception", f"the test cell stopped with {error}", \
            f"the test cell stopped with {errors[-1]['ename']}"
    if failure:
        return "crash", f"the test could not run ({failure})", "the test could not run"
    text = "no result arrived for this test (were the test helpers changed?)"
    return "no_result", text, text


def score_test(harness, test: str, ref: Reference, record: TestRecord | None) -> TestResult:
    """All-or-nothing score of one test, with its mistake codes and messages."""
    result = TestResult(test=test, points=ref.points, earned=0.0, hidden=ref.hidden)
    record = record or TestRecord()

    def fail(code, detail, hint=None):
        if code not in result.codes:
            result.codes.append(code)
        if detail and detail not in result.details:
            result.details.append(detail)
        hint = detail if hint is None else hint
        if hint and hint not in result.hints:
            result.hints.append(hint)

    extra = set(record.calls) - set(range(len(ref.calls)))
    if record.stray or extra or any(len(v) > 1 for v in record.calls.values()) \
            or len(record.ends) > 1:
        fail("tampering", "results for this test were emitted that the official test did not "
             "produce (redefined or patched test helpers?)")
        return result
    for index, expected in enumerate(ref.calls):
        func = expected.get("func", "the function")
        got = record.calls.get(index, [None])[0]
        if got is None:
            fail(*_missing_reason(harness, record, func))
            break
        where = f"{func}({_show_args(harness, expected['args'])})"
        if got.get("func") != expected.get("func") or got.get("args") != expected.get("args"):
            fail("tampering", f"{func} was not called with the official inputs (patched random "
                 "inputs or forged results?)")
            break
        if got.get("error"):
            error = str(got["error"])
            kind = error.split(":", 1)[0]
            code = _error_code(harness, error, "check")
            if code == "not_implemented":
                fail(code, f"{func} is not implemented yet ({error})",
                     f"{func} is not implemented yet")
            elif kind == "WrongOutput":
                fail(code, f"{where}: {error}", error)
            else:
                fail(code, f"{where} raised {error}", f"{func} raised {kind}")
            continue
        if got.get("outputs") is None:
            fail("wrong_type", f"{where} returned nothing usable",
                 f"{func} returned nothing usable")
            continue
        names = list(expected.get("names") or [])
        want = [_decode(harness, e) for e in expected["outputs"]]
        try:
            have = [_decode(harness, e) for e in got["outputs"]]
        except Exception:  # noqa: BLE001 - malformed numbers from a tampered kernel
            fail("tampering", f"{func} produced malformed results")
            continue
        args = {k: _decode(harness, v) for k, v in expected["args"].items()}
        sizes = harness.batch_sizes(args) if hasattr(harness, "batch_sizes") else ()
        rtol, atol = float(expected.get("rtol", 1e-6)), float(expected.get("atol", 1e-9))
        # The test's own hint wording and the call's inputs, from the reference (trusted).
        extra = _extra(harness, inputs=args, hints=expected.get("hints"))
        mismatches = harness.compare(have, want, names=names or None, rtol=rtol, atol=atol,
                                     sizes=sizes, **extra)
        for mismatch in mismatches:
            codes = list(mismatch.get("codes", [])) or ["values"]
            output = mismatch.get("output")
            if output in names and codes != ["wrong_type"]:
                position = names.index(output)
                hints = [text for _, text in harness.diagnose(
                    output, have[position], want[position], sizes=sizes, rtol=rtol, atol=atol,
                    **extra)]
            else:
                hints = [mismatch.get("message", "")]
            for code in codes:
                if code not in result.codes:
                    result.codes.append(code)
            result.details.append(f"{where}:\n{mismatch.get('message', '')}")
            result.hints += [f"{func}: {h}" for h in hints if f"{func}: {h}" not in result.hints]
        if got.get("mutated"):
            fail("mutates_input", f"{func} changed its argument(s) {', '.join(got['mutated'])} "
                 "in place; work on copies", None)
    if not result.codes:
        end = record.ends[0] if record.ends else None
        if end is None:
            fail(*_missing_reason(harness, record, "the test"))
        elif end.get("error"):
            error = str(end["error"])
            fail(_error_code(harness, error, "end"), f"the test stopped with {error}",
                 f"the test stopped with {error.split(':')[0]}")
    if not result.codes:
        result.earned = ref.points
    return result


def score(harness, lab, refs: dict[str, Reference], cell_results: list[dict]) -> list[TestResult]:
    """Every test of the lab, in notebook order, for one student's cell results."""
    records = group(cell_results)
    return [score_test(harness, test, refs[test], records.get(test)) for test in lab.test_ids]
