"""``coursetools audit LAB``: a mutation audit of a lab's tests.

Do the points measure what they claim to? For every contract item of the solution the audit
makes mutants (``mutants``: one small AST change each), grades each one with the grader's own
steps (``inprocess``: extract, build with the tests' isolation, score, charge once, fair costs;
only the execution is in this process) and reports, per item:

- mutants **caught** (some test fails) and **survived**; a survivor that cannot be caught
  because it computes the same thing (an *equivalent* mutant) is listed with its reason in
  ``<instructor notebook>.survivors.json`` next to the instructor notebook
  (``{"<mutant id>": "why it is equivalent"}``), which the audit reads;
- the points each single mutant costs (largest and smallest);
- tests that **no mutant of their own items** can fail (an attribution that cannot fire);
- tests that lose points to a mutant of an item they do not grade (a **cross charge**).

Hand-written mutants (``--fixtures FOLDER``: ``FOLDER/mutants/<name>.py``, the ones
``tests/test_labs.py`` checks too) are graded the same way: each must be caught, and cost only
tests that grade one of the items it changes.

Thresholds (``problems``; ``make test`` runs the audit of every lab with them): no test that no
mutant of its own items fails; a mutant costs points only on tests that grade its item; at least
``MIN_CAUGHT`` of the mutants of each item that are not listed as equivalent are caught.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from coursetools.grading import inprocess, mutants as mutantsmod
from coursetools.grading.lab import extract, instructor
from coursetools.grading.records import Submission
from coursetools.grading.score.judge import References

MIN_CAUGHT = 0.9
CELL_TIMEOUT = 10.0     # seconds per cell: a mutant that loops for ever is caught by the time


@dataclasses.dataclass
class MutantResult:
    mutant: mutantsmod.Mutant
    failed: dict[str, float]       # test -> points lost (0 when a cap kept them)
    cross: list[str]               # failed tests that do not grade the mutant's item

    @property
    def caught(self) -> bool:
        return bool(self.failed)

    @property
    def cost(self) -> float:
        return sum(self.failed.values())


@dataclasses.dataclass
class ItemAudit:
    item: str
    results: list[MutantResult]
    equivalent: dict[str, str]     # survivors listed as equivalent, with their reason

    @property
    def caught(self) -> list[MutantResult]:
        return [r for r in self.results if r.caught]

    @property
    def survived(self) -> list[MutantResult]:
        return [r for r in self.results if not r.caught]

    @property
    def unexplained(self) -> list[MutantResult]:
        return [r for r in self.survived if r.mutant.id not in self.equivalent]

    @property
    def rate(self) -> float:
        counted = len(self.caught) + len(self.unexplained)
        return len(self.caught) / counted if counted else 1.0


@dataclasses.dataclass
class Audit:
    lab: str
    items: list[ItemAudit]
    untestable: list[str]          # tests that no mutant of their own items fails
    stale: list[str]               # listed survivors that are no mutant, or are caught now
    seconds: float = 0.0
    fixtures: list[MutantResult] = dataclasses.field(default_factory=list)

    def problems(self) -> list[str]:
        found = [f"test {t}: no mutant of the items it grades makes it fail"
                 for t in self.untestable]
        for item in self.items:
            for r in item.results:
                if r.cross:
                    found.append(f"mutant {r.mutant.id} costs tests that do not grade "
                                 f"{item.item}: {', '.join(r.cross)}")
            if item.rate < MIN_CAUGHT:
                found.append(f"{item.item}: {len(item.caught)} of "
                             f"{len(item.caught) + len(item.unexplained)} mutants caught "
                             f"({item.rate:.0%} < {MIN_CAUGHT:.0%}); survivors: "
                             + ", ".join(r.mutant.id for r in item.unexplained))
        found += [f"survivors file: {entry}" for entry in self.stale]
        for r in self.fixtures:
            if not r.caught:
                found.append(f"hand-written mutant {r.mutant.id} is not caught")
            if r.cross:
                found.append(f"hand-written mutant {r.mutant.id} costs tests that do not grade "
                             f"{r.mutant.item}: {', '.join(r.cross)}")
        return found


def survivors_path(lab: instructor.Lab) -> Path:
    return lab.path.with_suffix(".survivors.json")


def _equivalent(lab: instructor.Lab) -> dict[str, str]:
    path = survivors_path(lab)
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    missing = [k for k, v in data.items() if not str(v).strip()]
    if missing:
        raise ValueError(f"{path}: every listed survivor needs a reason ({', '.join(missing)})")
    return {str(k): str(v) for k, v in data.items()}


def _with(definitions: list[extract.CellCode], item: str, source: str) -> list[extract.CellCode]:
    """The definitions with the statement that binds ``item`` replaced by ``source``."""
    replaced = []
    for cell in definitions:
        statements = [dataclasses.replace(s, source=source) if item in s.binds else s
                      for s in cell.statements]
        replaced.append(dataclasses.replace(cell, statements=statements))
    return replaced


def mutants_of(lab: instructor.Lab) -> dict[str, list[mutantsmod.Mutant]]:
    statements = {n: s for cell in lab.definitions for s in cell.statements for n in s.binds}
    return {item: mutantsmod.mutants(item, statements[item].source, lab.methods.get(item))
            for item in lab.contract if item in statements}


def grade_mutant(lab: instructor.Lab, refs: References, seed: str, mutant: mutantsmod.Mutant,
                 sources: dict[str, str] | None = None) -> MutantResult:
    """Grade one mutant (``sources``: {item: source} when it changes several items, whose
    names ``mutant.item`` joins with "+")."""
    definitions = lab.definitions
    for item, source in (sources or {mutant.item: mutant.source}).items():
        definitions = _with(definitions, item, source)
    sub = inprocess.grade_definitions(lab, refs, definitions, seed,
                                      Submission(student=mutant.id), CELL_TIMEOUT)
    failed = {t.test: t.points - t.earned for t in sub.tests if not t.passed}
    items = {t.test: t.items for t in sub.tests}
    changed = set(mutant.item.split("+"))
    cross = [t for t, lost in failed.items() if lost > 0 and not changed & set(items[t])]
    return MutantResult(mutant, failed, cross)


def grade_fixtures(lab: instructor.Lab, refs: References, seed: str,
                   folder) -> list[MutantResult]:
    """The hand-written mutants of ``folder/mutants`` (see the module docstring)."""
    found = []
    for name, sources in mutantsmod.read_variants(Path(folder) / "mutants").items():
        mutant = mutantsmod.Mutant(id=f"{name}", item="+".join(sources), unit="+".join(sources),
                                   source="", line=0)
        found.append(grade_mutant(lab, refs, seed, mutant, sources))
    return found


_WORK: dict = {}     # what a worker process grades with (set before the pool forks)


def _grade_in_worker(mutant: mutantsmod.Mutant) -> MutantResult:
    return grade_mutant(_WORK["lab"], _WORK["refs"], _WORK["seed"], mutant)


def _grade_all(lab, refs, seed, found: list[mutantsmod.Mutant], jobs: int) -> list[MutantResult]:
    """Grade mutants, in ``jobs`` forked processes (each mutant runs in a fresh namespace of
    its own, so the order and the process do not change a result)."""
    if jobs <= 1 or len(found) < 2:
        return [grade_mutant(lab, refs, seed, m) for m in found]
    import multiprocessing

    _WORK.update(lab=lab, refs=refs, seed=seed)
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        return pool.map(_grade_in_worker, found, chunksize=1)


def audit(lab: instructor.Lab, seed: str | None = None, fixtures=None,
          jobs: int = 1) -> Audit:
    """Grade every mutant of every item of ``lab`` (see the module docstring)."""
    import time

    start = time.monotonic()
    seed = seed or lab.seed or "audit"
    refs = inprocess.reference(lab, seed)
    equivalent = _equivalent(lab)
    found = mutants_of(lab)
    graded = iter(_grade_all(lab, refs, seed, [m for ms in found.values() for m in ms], jobs))
    items, failing = [], {}
    for item, mutants in found.items():
        results = [next(graded) for _ in mutants]
        for result in results:
            for test in result.failed:
                failing.setdefault(test, set()).add(item)
        items.append(ItemAudit(item, results, {m.mutant.id: equivalent[m.mutant.id]
                                               for m in results if m.mutant.id in equivalent}))
    untestable = [t for cell in lab.test_cells for t in cell.tests
                  if not failing.get(t, set()) & set(cell.items)]
    known = {r.mutant.id: r for item in items for r in item.results}
    stale = [f"{m} is no mutant of the lab" for m in equivalent if m not in known] + [
        f"{m} is listed as equivalent but is caught" for m in equivalent
        if m in known and known[m].caught]
    handwritten = grade_fixtures(lab, refs, seed, fixtures) if fixtures else []
    return Audit(lab.lab_id, items, untestable, stale, time.monotonic() - start, handwritten)


def table(result: Audit) -> str:
    """The audit as a text table: item x mutants, caught, survived, costs."""
    from coursetools.grading.records import fmt

    rows = [("item", "mutants", "caught", "survived", "equivalent", "caught %", "largest cost",
             "smallest cost")]
    for item in result.items:
        costs = [r.cost for r in item.caught]
        rows.append((item.item, str(len(item.results)), str(len(item.caught)),
                     str(len(item.survived)), str(len(item.equivalent)), f"{item.rate:.0%}",
                     fmt(max(costs)) if costs else "-", fmt(min(costs)) if costs else "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report(result: Audit) -> str:
    from coursetools.grading.records import fmt

    lines = [f"Mutation audit of {result.lab} ({sum(len(i.results) for i in result.items)} "
             f"mutants, {result.seconds:.0f} s)", "", table(result)]
    if result.fixtures:
        caught = [r for r in result.fixtures if r.caught]
        costs = [r.cost for r in caught]
        lines += ["", f"Hand-written mutants: {len(result.fixtures)}, caught {len(caught)}"
                  + (f", costs {fmt(min(costs))} to {fmt(max(costs))}" if costs else "")]
    survivors = [r for item in result.items for r in item.unexplained]
    if survivors:
        lines += ["", "Survivors not listed as equivalent:"]
        lines += [f"  {r.mutant.id} (line {r.mutant.line})" for r in survivors]
    problems = result.problems()
    lines += ["", "Problems:" if problems else "No problems: every threshold holds."]
    lines += [f"  {p}" for p in problems]
    return "\n".join(lines) + "\n"
