"""Step: score a student's recorded results against the reference's, in the grader's process.

Nothing a student's kernel says about itself is trusted. Its results are plain JSON (numbers
and shapes) and are judged here, outside the kernel:

- points, tolerances and the list of expected calls come from the *reference* run;
- a result counts only if it comes from the test cell that holds its test, exactly once;
- the inputs a student's function received must be exactly the reference's inputs (record mode
  draws both from the submission's inputs key, ``build.inputs_key``: the reference runs the
  official code on each submission's own inputs, ``References``): tampered random inputs or
  forged results fail the test;
- outputs are compared with ``compare`` / ``diagnose`` of the grader's own ``kernel.diagnosis``,
  in the lab's vocabulary (``Lab.diagnosis``), as the notebook's own check does.

A mistake is charged once: the build step grades each function with the official versions of
the functions it uses, and ``charge_once`` does the same inside a class: a failing test about
some of its methods earns its points when its method variant (the other methods official)
passes and another of those methods fails its own tests for good.

A test earns its points only if every one of its calls matches; otherwise it earns nothing and
carries mistake codes (``diagnose``'s codes plus the grader's own, ``GRADER_MISTAKES``).

What a student is shown comes only from the grader: the kernel that graded them held hidden
tests and official code, so nothing it said reaches feedback - no error text, no exception
name, no returned value or shape (any of them could carry what the student's code read there).
Nor are the graded inputs and their expected values shown: with them, feedback would be an
answer key to collect over resubmissions. A visible test's details are the mistake codes in
the grader's (or the test's own) words, the function and the output that is wrong; hidden
tests show their codes' standard texts only.
"""
from __future__ import annotations

import dataclasses
import re

from coursetools.grading.lab.instructor import Lab
from coursetools.grading.records import (STATUS_OF_FAILURE, CellResult, Failure, Role, Status,
                                         Submission, TestResult)
from coursetools.kernel import diagnosis, protocol
from coursetools.kernel.checks import METHOD_VARIANT

GRADER_MISTAKES = {
    "timeout": "ran longer than the time limit",
    "output_too_large": "printed more output than the grader reads",
    "disk": "wrote more to disk than the grader allows",
    "crash": "the kernel crashed (or the code exited)",
    "tampering": "results that the official tests did not produce",
    "no_result": "the test produced no result",
}
FAILURE_CODES = {Failure.TIMEOUT: "timeout", Failure.NOTEBOOK_TIME: "timeout",
                 Failure.OUTPUT: "output_too_large", Failure.DISK: "disk",
                 Failure.KERNEL_DIED: "crash",
                 Failure.NOT_RUN: "crash", Failure.GRADER: "no_result"}
MAX_DETAIL_CHARS = 600
NO_SECOND_ROUND = set(GRADER_MISTAKES)   # what the grader saw go wrong: no method variants
# Failures that no other part can excuse (nothing of the student's ran, or the grader saw the
# run go wrong): fair costs never share or cap them.
NOT_SHARED = NO_SECOND_ROUND | {"not_implemented", "missing_function"}


class ReferenceFailure(Exception):
    """The instructor's own code fails its tests: grading cannot be trusted."""


def mistake_text(code: str) -> str:
    return {**GRADER_MISTAKES, **diagnosis.MISTAKES}.get(code, code)


# ------------------------------------------------------------------ grouping results
@dataclasses.dataclass
class TestRecord:
    """What one notebook emitted for one test."""

    calls: dict[int, list[dict]] = dataclasses.field(default_factory=dict)
    ends: list[dict] = dataclasses.field(default_factory=list)
    stray: int = 0
    cell: CellResult | None = None   # the cell that holds the test


def group(results: list[CellResult]) -> dict[str, TestRecord]:
    """Results of the test cells, by test id; anything from elsewhere is ignored."""
    records: dict[str, TestRecord] = {}
    for cell in results:
        if cell.role is not Role.TEST:
            continue
        for test in cell.tests:
            records.setdefault(test, TestRecord()).cell = cell
        for payload in cell.payloads:
            test = payload.get("test")
            if test not in cell.tests:
                if cell.tests:
                    records[cell.tests[0]].stray += 1
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
    subject: str | None
    items: list[str] = dataclasses.field(default_factory=list)


def _reference_calls(record: TestRecord, where: str) -> list[dict]:
    cell = record.cell
    if cell.failure is not Failure.NONE or cell.errors:
        detail = cell.failure.value if cell.failure is not Failure.NONE else "; ".join(
            f"{name}: {message}" for name, message in cell.errors)
        raise ReferenceFailure(f"{where} fails with the instructor's code: {detail}")
    if len(record.ends) != 1:
        raise ReferenceFailure(f"{where} emitted no end event: is the helper cell in record mode?")
    if record.ends[0].get("error"):
        raise ReferenceFailure(f"{where} fails with the instructor's code: {record.ends[0]['error']}")
    calls = []
    for index in sorted(record.calls):
        payload = record.calls[index][0]
        if payload.get("error"):
            raise ReferenceFailure(f"{where}, call {index}, fails with the instructor's code: "
                                   f"{payload['error']}")
        if payload.get("mutated"):
            raise ReferenceFailure(f"{where}: the instructor's code modifies its inputs "
                                   f"{payload['mutated']}")
        calls.append(payload)
    return calls


def reference(lab: Lab, results: list[CellResult]) -> dict[str, Reference]:
    """The reference results per test; raises ReferenceFailure if the instructor's code fails."""
    records = group(results)
    found = {}
    for cell in lab.test_cells:
        variants = [] if lab.method_variant(cell) is None else [
            test + METHOD_VARIANT for test in cell.tests]
        for test in [*cell.tests, *variants]:
            record = records.get(test)
            where = f"test {test!r} (cell {cell.index} of {lab.path.name})"
            if record is None or record.cell is None:
                raise ReferenceFailure(f"{where} did not run in the reference kernel")
            calls = _reference_calls(record, where)
            found[test] = Reference(points=float(record.ends[0].get("points", 0)), calls=calls,
                                    hidden=cell.hidden, subject=cell.subject,
                                    items=list(cell.items))
    return found


@dataclasses.dataclass
class References:
    """The reference results of each inputs key (``build.inputs_key``, from the seed and a
    submission's graded code): a submission is scored against those of its own key (``of``),
    on the very inputs its kernel drew."""

    by_key: dict[str, dict[str, Reference]]

    def of(self, key: str) -> dict[str, Reference]:
        """The reference results (test id -> Reference) of the inputs ``key``."""
        try:
            return self.by_key[key]
        except KeyError:
            raise ReferenceFailure(f"the reference did not run on inputs key {key[:12]}") from None

    def common(self) -> dict[str, Reference]:
        """What is the same for every key (each test's points, hidden, subject, items):
        for the tests of a submission that did not run, and the lab's list of tests."""
        return self.by_key[min(self.by_key)]


def references(lab: Lab, results: dict[str, list[CellResult]],
               known: References | None = None) -> References:
    """The reference results of each inputs key (key -> its cell results), added to those
    ``known`` already (which grows: a driver that grades many variants of a lab runs each key
    once); raises ReferenceFailure if the instructor's code fails on any, or if a test's
    points depend on the inputs (they never may: every key must grade alike)."""
    found = known if known is not None else References({})
    added = {key: reference(lab, cells) for key, cells in results.items()}
    if not found.by_key and not added:
        raise ReferenceFailure("the reference did not run")
    first = (found if found.by_key else References(added)).common()
    for refs in added.values():
        for test, ref in refs.items():
            if (ref.points, ref.hidden) != (first[test].points, first[test].hidden):
                raise ReferenceFailure(f"test {test!r} is worth {ref.points} points on some "
                                       f"inputs and {first[test].points} on others")
    found.by_key.update(added)
    return found


# ------------------------------------------------------------------ one test
def clip(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    """``text`` within about ``limit`` characters, its hint lines always whole: what gives way
    is the display of the inputs and values (shortened at a comma or a space, or left out)."""
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    hints = [line for line in lines if line.lstrip().startswith("hint [")]
    budget = max(limit - sum(len(line) + 1 for line in hints), 120)
    kept = []
    for line in lines:
        if line in hints:
            kept.append(line)
            continue
        if budget < 20:
            continue
        if len(line) + 1 > budget:
            cut = max(line.rfind(", ", 0, budget - 5), line.rfind(" ", 0, budget - 5))
            line = (line[:cut] if cut > 0 else line[:budget - 5]).rstrip(",") + " ..."
        budget -= len(line) + 1
        kept.append(line)
    return "\n".join(kept)


class _Scorer:
    """All-or-nothing score of one test, with its mistake codes and (visible) details."""

    def __init__(self, test: str, ref: Reference, record: TestRecord | None, names: list[str],
                 vocabulary=None):
        self.ref, self.record = ref, record or TestRecord()
        self.vocabulary = diagnosis.Vocabulary.of(vocabulary)
        self.result = TestResult(test=test, points=ref.points, earned=0.0, hidden=ref.hidden,
                                 subject=ref.subject, isolated_from=list(names),
                                 items=list(ref.items))
        self.seen: dict[tuple, list] = {}   # one failure -> [its detail, how many calls showed it]

    def fail(self, code: str, detail: str = "") -> None:
        if code not in self.result.codes:
            self.result.codes.append(code)
        self.detail(detail)

    def detail(self, text: str) -> None:
        text = clip(text)
        if text and text not in self.result.details:
            self.result.details.append(text)

    def once(self, key: tuple, text: str) -> None:
        """The detail of a failure shown once, however many calls (mirrored signs, the
        notebook's own inputs) show the same failure (``key``: function, output, codes)."""
        if key in self.seen:
            self.seen[key][1] += 1
            return
        self.seen[key] = [clip(text), 1]
        self.detail(text)

    def _count_repeats(self) -> None:
        for text, count in self.seen.values():
            if count > 1 and text in self.result.details:
                index = self.result.details.index(text)
                self.result.details[index] = (f"{text}\n(The same mistake shows in {count} calls "
                                              "of this test, with other inputs.)")

    def missing(self, func: str) -> None:
        """Why a call's result never arrived, from what the grader observed."""
        cell = self.record.cell
        failure = cell.failure if cell else Failure.GRADER
        if failure in FAILURE_CODES and failure is not Failure.GRADER:
            self.fail(FAILURE_CODES[failure], f"{func}: {failure.value}")
        elif self.record.ends and self.record.ends[-1].get("error"):
            error = str(self.record.ends[-1]["error"])
            code = protocol.error_code(error, "end")
            self.fail(code, f"{func} is not defined: define it with exactly this name"
                      if code == "missing_function" else "the test stopped with an exception")
        elif cell is not None and cell.errors:
            self.fail("exception", "the test cell stopped with an exception")
        else:
            self.fail("no_result", "no result arrived for this test")

    def _undefined(self) -> list[str]:
        """The graded items the kernel said were not defined (their definition failed)."""
        errors = [str(p.get("error") or "") for calls in self.record.calls.values()
                  for p in calls] + [str(e.get("error") or "") for e in self.record.ends]
        named = {m for error in errors for m in re.findall(r"name '(\w+)' is not defined", error)}
        return [item for item in self.result.items if item in named]

    def tampered(self) -> bool:
        record = self.record
        extra = set(record.calls) - set(range(len(self.ref.calls)))
        if record.stray or extra or any(len(v) > 1 for v in record.calls.values()) \
                or len(record.ends) > 1:
            self.fail("tampering", "results were emitted that the official test did not produce")
            return True
        return False

    def call(self, expected: dict, got: dict) -> None:
        func = expected.get("func", "the function")
        where = f"{func}, on the graded inputs,"
        if got.get("error"):
            error = str(got["error"])
            code = protocol.error_code(error, "check")
            self.fail(code, f"{func} is not implemented yet" if code == "not_implemented"
                      else f"{where} raised an exception")
            return
        if got.get("outputs") is None:
            self.fail("wrong_type", f"{where} returned nothing usable")
            return
        names = list(expected.get("names") or [])
        want = [protocol.decode(e) for e in expected["outputs"]]
        try:
            have = [protocol.decode(e) for e in got["outputs"]]
        except Exception:  # noqa: BLE001 - malformed numbers from a tampered kernel
            self.fail("tampering", f"{func} produced malformed results")
            return
        args = {k: protocol.decode(v) for k, v in expected["args"].items()}
        rtol, atol = float(expected.get("rtol", 1e-6)), float(expected.get("atol", 1e-9))
        vocabulary = diagnosis.Vocabulary.of(self.vocabulary)
        for mismatch in diagnosis.compare(have, want, names=names or None, rtol=rtol, atol=atol,
                                          sizes=diagnosis.batch_sizes(args, vocabulary),
                                          inputs=args, hints=expected.get("hints"),
                                          vocabulary=vocabulary, func=func, show_values=False):
            codes = mismatch.get("codes") or ["values"]
            for code in codes:
                self.fail(code)
            output = mismatch.get("output") if mismatch.get("output") in names else None
            lines = mismatch.get("message", "").split("\n")
            hints = [line for line in lines if line.startswith("  hint [")] or lines[:1]
            self.once((func, mismatch.get("output"), tuple(codes)),
                      f"{where} returned a wrong {output or 'result'}:\n" + "\n".join(hints))
        if got.get("mutated"):
            self.fail("mutates_input", f"{func} changed its argument(s) "
                      f"{', '.join(map(str, got['mutated']))} in place; work on copies")

    def score(self) -> TestResult:
        if not self.tampered():
            for index, expected in enumerate(self.ref.calls):
                got = self.record.calls.get(index, [None])[0]
                if got is None:
                    self.missing(expected.get("func", "the function"))
                    break
                if got.get("func") != expected.get("func") or got.get("args") != expected.get("args"):
                    self.fail("tampering", f"{expected.get('func')} was not called with the "
                              "official inputs")
                    break
                self.call(expected, got)
            if not self.result.codes:
                end = self.record.ends[0] if self.record.ends else None
                if end is None or end.get("error"):
                    self.missing("the test")
        if not self.result.codes:
            self.result.earned = self.ref.points
        self._count_repeats()
        self.result.undefined = self._undefined()
        if self.result.hidden:
            self.result.details = []
        return self.result


def score(lab: Lab, refs: dict[str, Reference], results: list[CellResult]) -> list[TestResult]:
    """Every test of the lab, in notebook order, for one student's cell results."""
    records = group(results)
    return [_Scorer(test, refs[test], records.get(test),
                    lab.official_names(lab.test_cell(test)), lab.diagnosis).score()
            for test in lab.test_ids]


# ------------------------------------------------------------------ one bug inside a class
def _about(lab: Lab) -> dict[str, set[str]]:
    return {test: set(lab.about(cell)) for cell in lab.test_cells for test in cell.tests}


def variant_candidates(lab: Lab, scored: list[TestResult]) -> list[str]:
    """The failing tests whose method variant may change a grade: those of a class with a
    method variant, when another test of the same class fails too (one may be the other's
    cause)."""
    failing = [r for r in scored if not r.passed]
    return [r.test for r in failing if lab.method_variant(lab.test_cell(r.test)) is not None
            and any(o.test != r.test and o.subject == r.subject for o in failing)]


def score_variants(lab: Lab, refs: dict[str, Reference],
                   results: dict[str, list[CellResult]]) -> dict[str, TestResult]:
    """Each test's method variant (test id -> the cell results of its own notebook), scored
    against the reference's variant."""
    scored = {}
    for test, cells in results.items():
        key = test + METHOD_VARIANT
        scored[test] = _Scorer(test, refs[key], group(cells).get(key), [], lab.diagnosis).score()
    return scored


def charge_once(lab: Lab, scored: list[TestResult],
                variants: dict[str, TestResult]) -> list[TestResult]:
    """Inside a class, one mistake costs its own tests only.

    A failing test about some methods of a class earns its points when its method variant (the
    class's other methods official, run alone in its own kernel) passes *and* one of those other
    methods is named by a test that fails for good (its own variant fails too, or it has none):
    the failure was that method's, charged there. Two tests can never excuse each other, and a
    design whose internals do not combine with the official methods keeps its own results.
    """
    about = _about(lab)
    passing = {test: result for test, result in variants.items() if result.passed}
    for_good = [r for r in scored if not r.passed and r.test not in passing]
    rescued = {}
    for test, again in passing.items():
        replaced = set(lab.method_variant(lab.test_cell(test))[1])
        causes = sorted({method for other in for_good
                         if other.subject == again.subject and other.test != test
                         for method in about[other.test] & replaced})
        if causes:
            rescued[test] = dataclasses.replace(
                again, isolated_from=[f"{again.subject}.{method}" for method in causes])
    return [rescued.get(result.test, result) for result in scored]


# ------------------------------------------------------------------ fair costs
def units(lab: Lab, test: str, items=None) -> list[str]:
    """What a test's points belong to: the methods of its class it is about (``Class.method``,
    from its checks' labels), or else the contract items it declares."""
    cell = lab.test_cell(test)
    about = lab.about(cell)
    return [f"{cell.subject}.{m}" for m in about] if about else list(
        cell.items if items is None else items)


def unit_points(lab: Lab, refs: dict[str, Reference]) -> dict[str, float]:
    """Each unit's points: every test shares its points equally among its units."""
    found: dict[str, float] = {}
    for test in lab.test_ids:
        mine = units(lab, test)
        for unit in mine:
            found[unit] = found.get(unit, 0.0) + refs[test].points / len(mine)
    return found


def share_costs(lab: Lab, refs: dict[str, Reference],
                scored: list[TestResult]) -> list[TestResult]:
    """One mistake costs at most the points of the unit it is in, never a multiple of them.

    The rule (``coursetools/README.md``, *Fair costs*): a test's points are shared equally by
    its units (``units``: the methods it is about, else the items it grades); a unit's points
    are its shares. A unit *fails on its own* when a test whose only unit it is fails. A failed
    test is charged to those of its units that fail on their own; if none does, to the failing
    methods of the classes it grades; if none, to all its units. A failed test loses the shares
    of the units it is charged to, and a unit never loses more than its points in all: a test
    whose loss finds its units' points spent keeps its points (its codes still say what
    failed). A test that failed because nothing ran (``NOT_SHARED``: not implemented, not
    defined, a timeout, a crash, tampering) costs all its points. ``charged`` names the units a
    failed test was charged to.
    """
    budget = unit_points(lab, refs)
    mine = {r.test: units(lab, r.test, r.items) for r in scored}
    alone = {mine[r.test][0] for r in scored if not r.passed and len(mine[r.test]) == 1}
    plans = {}
    for result in scored:
        if result.passed or set(result.codes) & NOT_SHARED:
            continue
        own = mine[result.test]
        at_fault = [u for u in own if u in alone] or sorted(
            u for u in alone if "." in u and u.split(".")[0] in result.items) or list(own)
        inside = [u for u in at_fault if u in own]
        # the loss: the shares of its units at fault; all its points when the fault is in a
        # method it is not about (an integration test of a class), charged after the others
        plans[result.test] = (at_fault, {u: result.points / len(own) for u in inside} if inside
                              else {u: result.points / len(at_fault) for u in at_fault})
    lost = {}
    for test in sorted(plans, key=lambda t: not set(plans[t][1]) <= set(mine[t])):
        lost[test] = 0.0
        for unit, amount in plans[test][1].items():
            charge = min(amount, max(0.0, budget.get(unit, amount)))
            budget[unit] = budget.get(unit, amount) - charge
            lost[test] += charge
    return [dataclasses.replace(r, charged=plans[r.test][0],
                                earned=max(0.0, r.points - lost[r.test]))
            if r.test in plans else r for r in scored]


def unexecuted(lab: Lab, refs: dict[str, Reference], code: str) -> list[TestResult]:
    """The tests of a submission that was not executed (all 0, with ``code`` when given)."""
    return [TestResult(test=t, points=refs[t].points, earned=0.0, hidden=refs[t].hidden,
                       subject=refs[t].subject, codes=[code] if code else [],
                       items=list(lab.test_cell(t).items))
            for t in lab.test_ids]


def runtime_statuses(sub: Submission, results: list[CellResult]) -> None:
    """Statuses that only the execution reveals, each from a failure the grader observed."""
    for cell in results:
        if cell.failure in STATUS_OF_FAILURE:
            sub.flag(STATUS_OF_FAILURE[cell.failure])
        if cell.role is Role.DEFINITIONS and cell.errors:
            sub.flag(Status.DEFINITION_ERROR)
    # Results that do not add up, or none at all from a test that ran in a live kernel: the
    # helpers were replaced or patched (the grader saw it; no kernel said it).
    if any({"tampering", "no_result"} & set(t.codes) for t in sub.tests):
        sub.flag(Status.TAMPERING)
