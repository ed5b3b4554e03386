"""One grading run, as a list of steps over one state (``Run``), each ``step(run) -> None``:

    collect_class -> prepare_all -> build_all -> execute_all -> score_all -> second_round
                  -> fair_costs -> keep_reference -> share_groups -> write

Each step asks the subpackage of its role: ``intake`` (``collect`` finds one submission
per student, ``read`` turns bytes into a notebook or a status), ``lab`` (the instructor
notebook, ``extract`` keeps the definitions, ``build`` writes the grading notebooks), ``run``
(a ``Runner`` executes them: ``execute.KernelRunner`` in sandboxed kernels with nbval,
``inprocess.InProcessRunner`` in this process for the audit and the tests), ``score`` (``judge``
compares with the reference run of the submission's inputs key), ``results`` (the store, the
class's settings: roster, deadline, late rule, overrides), ``render`` (gradebook, feedback,
report, LMS exports) and ``lms`` (rosters). This module is the conductor: ``start`` unpacks
the options once into the run's state, ``conduct`` only loops over the steps. The per-student
flow (``PER_STUDENT``: prepare -> build -> execute -> score -> second round -> fair costs) is the
same whichever runner executes it; ``CLASS`` wraps it with what a class's run adds (collect,
cache, groups, write).

Graded inputs are keyed by the seed and each submission's graded code (``build.inputs_key``):
``prepare_all`` computes each submission's key, ``build_all`` builds the reference notebooks
of the keys that have no reference yet (many keys per reference kernel, at most ``jobs``
kernels), ``execute_all`` splits their results per key, and every submission is scored, its
second round included, against its own key's reference (``judge.References.of``).

One bad notebook is one bad row: each per-submission step runs isolated (``isolated``), so
whatever a file makes it raise becomes that student's ``grader error`` status and a warning
for the instructor, and the rest of the class is graded.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import math
import os
import shutil
import tempfile
import traceback
import zipfile
from collections.abc import Callable
from pathlib import Path

from coursetools import cells
from coursetools.grading.intake import answers as answermod, collect, read, shards
from coursetools.grading.lab import build, extract, instructor
from coursetools.grading.render import (answer_pages, exports, feedback, feedback_html,
                                        gradebook, report, similarity_page)
from coursetools.grading.results import (class_settings, final, manual, outdir, overrides,
                                         runrecord, store as storemod)
from coursetools.grading.run import cache, execute, sandbox
from coursetools.grading.score import judge as score, similarity
from coursetools.grading.records import CellResult, Status, Submission, fmt, safe_name
from coursetools.kernel import checks

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = "reference"
MIN_VARIANT_SECONDS = 5.0   # less left of a submission's budget: no second round
UNSAFE_WARNING = ("UNSAFE: these submissions were graded WITHOUT a sandbox (--unsafe-no-sandbox); "
                  "a submission could have read the tests or changed other results.")


class GradingError(Exception):
    """Grading cannot run at all (the message says why)."""


@dataclasses.dataclass
class Options:
    lab: str
    submissions: Path
    out: Path
    instructor: Path | None = None
    jobs: int | None = None
    budgets: execute.Budgets = execute.Budgets()
    seed: str | None = None
    fresh: bool = False
    unsafe_no_sandbox: bool = False
    keep_work: bool = False
    progress: bool = True
    shard: tuple[int, int] | None = None
    root: Path = REPO_ROOT
    # The class's settings (``results.class_settings``): None keeps what OUT/results.json has
    roster: Path | None = None
    deadline: str | None = None
    late_penalty: str | None = None
    assignment: str | None = None
    points_possible: float | None = None
    # Regrades and the similarity report: None keeps what OUT/results.json has
    policy: str | None = None               # "latest" or "best" (results.store.POLICIES)
    similarity_threshold: float | None = None


@dataclasses.dataclass
class Outcome:
    lab: instructor.Lab
    graded: list[Submission]
    store: storemod.Store
    warnings: list[str]
    run: int


@dataclasses.dataclass(frozen=True)
class ClassRun:
    """What a class's run (``grade``) has beyond the per-student flow: the options, unpacked
    once into what ``collect_class`` and ``write`` need."""

    submissions: Path
    out: Path
    settings: class_settings.Settings
    seed_source: str
    solution: list[str]                 # the solution's code (similarity report)
    budgets: execute.Budgets
    sandboxed: bool = True
    shard: tuple[int, int] | None = None
    fresh: bool = False
    policy: str | None = None
    similarity_threshold: float | None = None


@dataclasses.dataclass
class Run:
    """The state of one run, which every step reads and fills in (``Step``: ``step(run)``).

    The first fields say what to grade and how; the others are filled by the steps, in their
    order. With ``refs`` given (the in-process driver grades many variants of one lab), the
    reference runs only on the inputs keys it does not hold yet, and ``score_all`` adds those
    to it: each key's reference runs once however many runs share ``refs``."""

    lab: instructor.Lab
    seed: str
    runner: execute.Runner
    work: Path                          # the run's folder of notebooks (removed after it)
    subs: list[Submission] = dataclasses.field(default_factory=list)
    others: dict = dataclasses.field(default_factory=dict)   # other labs (a wrong lab's file)
    given: list[str] = dataclasses.field(default_factory=list)  # the lab's given code
    notebook_seconds: float = math.inf  # a submission's budget (its second round gets the rest)
    jobs: int = 1                       # at most this many reference kernels (``--jobs``)
    cache: bool = False                 # take the reference runs from the cache, and keep them
    refs: score.References | None = None   # the reference per key (given, or ``score_all``'s)
    whole_class: ClassRun | None = None
    warnings: list[str] = dataclasses.field(default_factory=list)
    # filled by the steps
    prepared: dict[str, list[extract.CellCode]] = dataclasses.field(default_factory=dict)
    keys: dict[str, str] = dataclasses.field(default_factory=dict)  # notebook -> inputs key
    sessions: dict[str, execute.Session] = dataclasses.field(default_factory=dict)
    reference_blocks: dict = dataclasses.field(default_factory=dict)  # name -> notebook
    references: dict[str, list[CellResult]] = dataclasses.field(default_factory=dict)  # per key
    reference_run: dict = dataclasses.field(default_factory=dict)   # its counts (run record)
    results: dict[str, list[CellResult]] = dataclasses.field(default_factory=dict)
    spent: dict[str, float] = dataclasses.field(default_factory=dict)
    outcome: Outcome | None = None


Step = Callable[[Run], None]


def isolated(sub: Submission, step: str, warnings: list[str], function, *args):
    """Run one step for one submission; an exception becomes that student's status only."""
    try:
        return function(*args)
    except Exception as error:  # noqa: BLE001 - whatever a file makes us raise stays its own
        sub.flag(Status.GRADER_ERROR, f"({step})")
        sub.raw = None
        warnings.append(f"{sub.student}: the grader failed at step '{step}': "
                        f"{type(error).__name__}: {error}")
        if os.environ.get("COURSETOOLS_DEBUG"):
            traceback.print_exc()
        return None


# ------------------------------------------------------------------ extract (one submission)
def _first_line(source: str) -> str:
    line = next((l.strip() for l in source.splitlines() if l.strip()), "")
    return line if len(line) <= 40 else line[:37] + "..."


def _notes_on_cells(sub: Submission, nb, codes, lab: instructor.Lab) -> None:
    not_run = []
    for code in codes:
        source = extract.cell_text(nb["cells"][code.index])
        where = f"cell {code.index + 1} (starting with `{_first_line(source)}`)"
        if code.syntax_error:
            sub.flag(Status.SYNTAX_ERROR)
            sub.notes.append(f"{where} has a syntax error ({code.syntax_error}); the whole cell "
                             "was skipped.")
        official = [s for s in code.skipped if extract.OFFICIAL in s.what]
        sub.notes += [f"{where}, line {s.line}: {s.what} was ignored." for s in official]
        other = [s for s in code.skipped if s not in official and s.what != extract.MAGIC]
        if other and instructor.normalise(source) not in lab.own_code:
            not_run.append(str(code.index + 1))
    if not_run:
        sub.notes.append("Only imports, functions, classes and constants are graded; the other "
                         f"top-level code of cells {', '.join(not_run)} (calls, loops, plots) "
                         "was not run. Your functions must not rely on variables it creates.")


def _contract_status(sub: Submission, codes, lab: instructor.Lab) -> bool:
    """Flag missing definitions; True if there is anything to execute."""
    defined = extract.defined_names(codes)
    statements = extract.effective(codes)
    skeleton = []
    for name in lab.contract:
        kind = "class" if name in lab.methods else "function"
        if name not in defined:
            sub.flag(Status.MISSING_DEFINITION, f"{kind} {name}")
            continue
        for method in lab.methods.get(name, []):
            if method not in extract.defined_methods(codes, name):
                sub.flag(Status.MISSING_DEFINITION, f"method {name}.{method}")
        skeleton.append(extract.is_skeleton(statements[name], lab.methods.get(name, [])))
    if skeleton and all(skeleton) and len(skeleton) == len(lab.contract):
        sub.flag(Status.NOT_ATTEMPTED)
        return False
    return bool(defined)


def prepare(sub: Submission, lab: instructor.Lab, others) -> list[extract.CellCode] | None:
    """read + extract: the definitions to grade, or None (the statuses say why)."""
    nb = read.notebook(sub, lab, others)
    if nb is None:
        return None
    sub.answers, notes = answermod.read(nb, lab)
    sub.notes += notes
    codes = extract.extract_notebook(nb, reserved=frozenset(checks.PUBLIC),
                                     skip=cells.is_helper_cell)
    _notes_on_cells(sub, nb, codes, lab)
    sub.notes += extract.redefinitions(codes, lab.contract)
    return codes if _contract_status(sub, codes, lab) else None


# ------------------------------------------------------------------ the steps (one signature)
def collect_class(run: Run) -> None:
    """collect: one submission per student of the class (of its shard), roster rows too."""
    whole, lab = run.whole_class, run.lab
    try:
        collected = collect.collect(whole.submissions, whole.settings.resolve)
    except (OSError, zipfile.BadZipFile, ValueError) as error:
        raise GradingError(f"the submissions cannot be read ({whole.submissions}): "
                           f"{error}") from None
    try:
        whole.settings.check_columns(collected.submissions, lab.lab_id)
    except class_settings.SettingsError as error:
        raise GradingError(str(error)) from None
    run.warnings += collected.warnings
    subs = [s for s in collected.submissions    # a group's members go with its graded file
            if shards.in_shard(s.group_of or s.student, whole.shard)]
    run.subs = whole.settings.rows(subs, keep=lambda student: shards.in_shard(student,
                                                                              whole.shard))


def prepare_all(run: Run) -> None:
    """read + extract: each submission's definitions, by its grading notebook's name, and the
    inputs key they are graded on (from the seed and the graded code)."""
    for number, sub in enumerate(run.subs, start=1):
        if sub.raw is None:
            continue
        sub.sha256 = hashlib.sha256(sub.raw).hexdigest()
        codes = isolated(sub, "extract", run.warnings, prepare, sub, run.lab, run.others)
        if codes is not None:
            sub.key = f"s{number:05d}"
            run.prepared[sub.key] = codes
            sub.code = similarity.student_part(similarity.kept(codes), run.given)
        sub.raw = None
    run.keys.update({k: build.inputs_key(run.seed, codes) for k, codes in run.prepared.items()
                     if k not in run.keys})


def build_all(run: Run) -> None:
    """build: a grading notebook per prepared submission, each its own session, on its inputs
    key; and the reference notebooks of the keys that have no reference yet (neither given in
    ``refs`` nor cached): many keys per notebook, at most ``jobs`` of them."""
    lab, work = run.lab, run.work
    known = run.refs.by_key if run.refs is not None else {}
    needed = sorted(set(run.keys.values()))
    if not needed and not known:   # no submission runs: the reference still gives the points
        needed = [build.inputs_key(run.seed, lab.definitions)]
    missing = [key for key in needed if key not in known]
    cached = cache.load_references(lab.digest, missing) if run.cache else {}
    blocks = build.reference_notebooks(lab, [k for k in missing if k not in cached], run.jobs)
    run.references.update(cached)
    run.reference_blocks = {f"{REFERENCE}-{n}": nb for n, nb in enumerate(blocks)}
    run.reference_run = {"keys": len(needed), "executed": len(missing) - len(cached),
                         "cached": len(cached), "kernels": len(blocks)}
    notebooks = {**run.reference_blocks,
                 **{k: build.grading_notebook(lab, definitions, key=run.keys[k])
                    for k, definitions in run.prepared.items()}}
    (work / "notebooks").mkdir()
    for key, nb in notebooks.items():
        path = work / "notebooks" / f"{key}.ipynb"
        build.write(nb, path)
        run.sessions[key] = execute.Session({key: path}, {key: len(nb.cells)})


def execute_all(run: Run) -> None:
    """execute: every grading notebook; and the wall clock each took (what is left of a
    submission's budget is its variants')."""
    if run.sessions:
        _execute(run, list(run.sessions))
    # A notebook whose setup did not run (a kernel that did not start on an overloaded
    # machine) is the grader's problem, not the student's: run it once more, alone.
    again = [k for k, session in run.sessions.items()
             if len(run.results.get(k, [])) < session.cells[k]
             or any(c.role.value == "setup" and (c.errors or c.failure.value != "none")
                    for c in run.results.get(k, []))]
    if again:
        _execute(run, again, 1, "grading again (kernels that did not start)")
    for name, nb in run.reference_blocks.items():   # each key's results, from its block
        run.references.update(build.split_reference(nb, run.results.pop(name, [])))


def _execute(run: Run, names: list[str], jobs: int | None = None,
             title: str = "grading") -> None:
    done = run.runner.run(run.work, {k: run.sessions[k] for k in names}, jobs=jobs,
                          title=title, what=_what(names))
    run.spent.update({k: run.spent.get(k, 0.0) + done[k].seconds for k in names})
    run.results.update({k: done[k].results.get(k, []) for k in names})


def _what(names) -> str:
    """What a run's notebooks are, for its progress line: "9 submissions + the reference"."""
    count = sum(not name.startswith(REFERENCE) for name in names)
    text = f"{count} submission{'s' if count != 1 else ''}"
    return text + " + the reference" if count < len(names) else text


def score_all(run: Run) -> None:
    """score: the reference per test of each inputs key (added to those given), then each
    submission's tests against its own key's reference."""
    lab, results, warnings = run.lab, run.results, run.warnings
    try:
        run.refs = score.references(lab, run.references, known=run.refs)
        lost = set(run.keys.values()) - set(run.refs.by_key)
        if lost:
            raise score.ReferenceFailure(f"the reference did not run on {len(lost)} inputs "
                                         f"key{'s' if len(lost) != 1 else ''}")
    except score.ReferenceFailure as error:
        raise GradingError(f"grading stopped: {error}") from None
    refs = run.refs.common()
    for sub in run.subs:
        if sub.key is not None and sub.key in results and not results[sub.key]:
            # Its worker process was lost twice (what its kernels made nbval hold, say): an
            # overrun of this submission, never the class's, and no sign of tampering.
            sub.flag(Status.KERNEL_DIED, "(the process running it was lost)")
            sub.tests = score.unexecuted(lab, refs, "crash")
            warnings.append(f"{sub.student}: the process running this notebook was lost twice")
        elif sub.key is not None and sub.key in results:
            sub.tests = isolated(sub, "score", warnings, score.score, lab,
                                 run.refs.of(run.keys[sub.key]), results[sub.key]) \
                or score.unexecuted(lab, refs, "no_result")
            score.runtime_statuses(sub, results[sub.key])
        else:
            sub.tests = tests_not_executed(sub, lab, refs)


def second_round(run: Run) -> None:
    """Second round, for students whose tests of one class fail together: each candidate
    test's method variant in a notebook (and sandboxed kernel) of its own; then one mistake
    is charged once (``score.charge_once``). A student's variants run in one session within
    what is left of the submission's notebook budget after its main run: however many there
    are, one submission never takes more wall clock than that budget. A variant draws the
    submission's inputs (its key) and is scored against that key's reference."""
    lab, work = run.lab, run.work
    sessions, owners = {}, {}
    (work / "variants").mkdir()
    for sub in run.subs:
        if sub.key is None or sub.key not in run.prepared or not sub.tests or any(
                set(t.codes) & score.NO_SECOND_ROUND for t in sub.tests):
            continue   # code that hung, flooded, crashed or forged results gets no second round
        left = run.notebook_seconds - run.spent.get(sub.key, 0.0)
        notebooks, sizes = {}, {}
        for test in score.variant_candidates(lab, sub.tests):
            key = f"{sub.key}-v{len(owners):05d}"
            nb = build.variant_notebook(lab, run.prepared[sub.key], test,
                                        key=run.keys[sub.key])
            notebooks[key] = work / "variants" / f"{key}.ipynb"
            build.write(nb, notebooks[key])
            sizes[key], owners[key] = len(nb.cells), (sub, test)
        if notebooks and left >= MIN_VARIANT_SECONDS:
            sessions[sub.key] = execute.Session(notebooks, sizes, seconds=left)
        elif notebooks:
            sub.notes.append("The second look at your class's methods was skipped: your "
                             "notebook used up its time budget in the first run.")
    if not sessions:
        return
    students = len({sub.key for sub, _ in owners.values()})
    done = run.runner.run(work, sessions, title="second round", what=f"method variants of "
                          f"{students} student{'s' if students != 1 else ''}")
    results = {k: v for session in done.values() for k, v in session.results.items()}
    per_student: dict[str, tuple[Submission, dict]] = {}
    for key, (sub, test) in owners.items():
        if sub.key in sessions:
            per_student.setdefault(sub.key, (sub, {}))[1][test] = results.get(key, [])
    for sub, variant_results in per_student.values():
        variants = isolated(sub, "score", run.warnings, score.score_variants, lab,
                            run.refs.of(run.keys[sub.key]), variant_results)
        if variants:
            sub.tests = score.charge_once(lab, sub.tests, variants)


def fair_costs(run: Run) -> None:
    """Fair costs: a shared test keeps the shares of items not at fault."""
    for sub in run.subs:
        if sub.key is not None and sub.key in run.results:
            sub.tests = score.share_costs(run.lab, run.refs.of(run.keys[sub.key]),
                                          sub.tests or [])


def tests_not_executed(sub: Submission, lab: instructor.Lab, refs) -> list:
    """0 points on every test; for an untouched skeleton, each test says "not implemented"."""
    attempted = not any(s.status is Status.NOT_ATTEMPTED for s in sub.statuses)
    return score.unexecuted(lab, refs, "" if attempted else "not_implemented")


def keep_reference(run: Run) -> None:
    """The reference runs passed their own tests: each key's worth keeping in the cache."""
    if run.cache:
        cache.save_references(run.lab.digest, run.references)


def share_groups(run: Run) -> None:
    """A group's members get the results of the file their group handed in."""
    class_settings.share_group_results(run.subs)


def write(run: Run) -> None:
    """write: the results store, the run record, then every output (``render``)."""
    whole, lab, subs, refs = run.whole_class, run.lab, run.subs, run.refs.common()
    out = whole.out
    tests = [storemod.TestInfo(t, refs[t].points, refs[t].hidden) for t in lab.test_ids]
    answers = [storemod.AnswerInfo(a.id, a.points, a.question, a.model,
                                   [list(level) for level in a.rubric]) for a in lab.answers]
    try:
        results = (storemod.Store(lab=lab.lab_id, tests=tests, answers=answers)
                   if whole.fresh else storemod.load(out, lab.lab_id, tests, answers))
    except ValueError as error:
        raise GradingError(str(error)) from None
    number = runrecord.previous_runs(out) + 1
    whole.settings.store_into(results)
    budgets = dataclasses.asdict(whole.budgets)
    entry = runrecord.record(number, lab=lab.lab_id, digest=lab.digest, seed=run.seed,
                             seed_source=whole.seed_source, sandboxed=whole.sandboxed,
                             budgets=budgets, students=[s.student for s in subs],
                             shard=f"{whole.shard[0]}/{whole.shard[1]}" if whole.shard else None)
    results.given_code, results.solution_code = run.given, whole.solution
    if whole.policy is not None:
        results.policy = whole.policy
    if whole.similarity_threshold is not None:
        results.similarity_threshold = whole.similarity_threshold
    try:
        results.update(subs, number, counted=lambda sub: final.counted_points(results, sub))
    except ValueError as error:
        raise GradingError(str(error)) from None
    entry.update(whole.settings.record(), reference=run.reference_run, policy=results.policy,
                 similarity_threshold=results.similarity_threshold)
    runs = out / "runs.jsonl"
    existing = runs.read_text(encoding="utf-8") if runs.is_file() and not whole.fresh else ""
    outdir.write(out, "runs.jsonl", runrecord.append(out, entry, existing))
    warnings = run.warnings
    try:
        warnings += render(out, results, "" if whole.sandboxed else UNSAFE_WARNING)
    except (overrides.OverridesError, manual.ManualError, exports.ExportError) as error:
        storemod.save(out, results)
        which = (manual.FILE if isinstance(error, manual.ManualError) else overrides.FILE
                 if isinstance(error, overrides.OverridesError) else "that")
        raise GradingError(f"{error}\nThe grades are saved in {out / 'results.json'}; fix "
                           f"{which}, then run: coursetools render --out {out}") from None
    run.outcome = Outcome(lab=lab, graded=subs, store=results, warnings=warnings, run=number)


# ------------------------------------------------------------------ the conductor
# The per-student flow, the same for a class graded in kernels and for the in-process driver
PER_STUDENT: tuple[Step, ...] = (prepare_all, build_all, execute_all, score_all, second_round,
                                 fair_costs)
CLASS: tuple[Step, ...] = (collect_class, *PER_STUDENT, keep_reference, share_groups, write)


def conduct(run: Run, steps: tuple[Step, ...] = PER_STUDENT) -> Run:
    """The conductor: each step in order, over the one state of the run."""
    for step in steps:
        step(run)
    return run


@contextlib.contextmanager
def work_folder(keep: Path | None = None):
    """A run's folder of notebooks, removed after it (copied to ``keep`` first, if given)."""
    work = Path(tempfile.mkdtemp(prefix="ct-"))
    try:
        yield work
    finally:
        if keep is not None:
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(work, keep, ignore=shutil.ignore_patterns("k"))
        shutil.rmtree(work, ignore_errors=True)


def grade(options: Options) -> Outcome:
    """Grade the submissions of ``options`` into ``options.out`` (see the module docstring)."""
    keep = Path(options.out) / "work" if options.keep_work else None
    with work_folder(keep) as work:
        run = conduct(start(options, work), CLASS)
    return run.outcome


def start(options: Options, work: Path) -> Run:
    """The run's state from its options: checked places, the lab, the class's settings, the
    seed, the runner; the one place that reads ``options``."""
    _check_places(options)
    lab, others = _load_lab(options)
    problem = None if options.unsafe_no_sandbox else sandbox.problem()
    if problem:
        raise GradingError(f"no sandbox: {problem}. Grading runs students' code; without a "
                           "sandbox it could read the tests and change other results. If you "
                           "accept that, pass --unsafe-no-sandbox.")
    try:
        settings = class_settings.load(options.out, options.roster, options.deadline,
                                       options.late_penalty, options.assignment, options.fresh,
                                       options.points_possible, lab.lab_id)
    except class_settings.SettingsError as error:
        raise GradingError(str(error)) from None
    seed, seed_source = _seed(options, lab)
    given, solution = similarity.lab_code(lab.path)
    sandboxed = not options.unsafe_no_sandbox
    jobs = max(1, int(options.jobs or os.cpu_count() or 1))
    runner = execute.KernelRunner(options.budgets, jobs, sandboxed, options.progress)
    whole = ClassRun(Path(options.submissions), Path(options.out), settings, seed_source,
                     solution, options.budgets, sandboxed, options.shard, options.fresh,
                     options.policy, options.similarity_threshold)
    return Run(lab, seed, runner, work, others=others, given=given,
               notebook_seconds=options.budgets.notebook_seconds, jobs=jobs, cache=True,
               whole_class=whole)


def _load_lab(options: Options) -> tuple[instructor.Lab, dict]:
    try:
        path = instructor.instructor_path(options.root, options.lab, options.instructor)
        lab = instructor.load(path, options.lab)
    except instructor.LabError as error:
        raise GradingError(str(error)) from None
    return lab, instructor.other_labs(options.root, lab)


def _check_places(options: Options) -> None:
    submissions, out = Path(options.submissions), Path(options.out)
    if not submissions.exists():
        raise GradingError(f"the submissions folder {submissions} does not exist")
    resolved = submissions.resolve()
    if out.resolve() == resolved or resolved in out.resolve().parents:
        raise GradingError("the results folder must not be inside the submissions folder")
    try:
        outdir.check(out)
    except outdir.UnsafeOutput as error:
        raise GradingError(str(error)) from None


def _seed(options: Options, lab: instructor.Lab) -> tuple[str, str]:
    if options.seed is not None:
        return str(options.seed), "--seed"
    if lab.seed:
        return str(lab.seed), "instructor notebook"
    return lab.digest[:16], "instructor notebook hash (no seed in its metadata)"


def feedback_name(student: str) -> str:
    """The file name of a student's feedback: readable, and distinct for distinct ids."""
    name = safe_name(student)
    if name != student:
        name += "-" + hashlib.sha256(student.encode("utf-8")).hexdigest()[:6]
    return name


def render(out: Path, results: storemod.Store, warning: str = "") -> list[str]:
    """Write every output of OUT from the results store (grades, feedback, report, LMS files).

    Applies OUT/manual.csv (the written answers' points), OUT/overrides.csv and the late rule
    first (raises manual.ManualError, overrides.OverridesError); returns warnings for the
    instructor.
    """
    students = {s.student: s.name for s in results.students.values()}
    marks = manual.load(out, {a.id: a.points for a in results.answers}, students)
    found, warnings = overrides.load(out, {t.test: t.points for t in results.tests},
                                     results.max_points, students)
    final.apply(results, found, marks)
    storemod.save(out, results)
    outdir.write(out, "grades.csv", gradebook.render_csv(results))
    pages = {}
    for sub in results.sorted_students():
        name = f"{feedback_name(sub.student)}.md"
        try:
            pages[name] = feedback.render(results, sub)
        except Exception as error:  # noqa: BLE001 - one page must not cost the class its pages
            pages[name] = (f"# Feedback: {results.lab}\n\nScore: {fmt(sub.final_points)}"
                           f" / {fmt(results.max_points)} points\n")
            warnings.append(f"{sub.student}: the feedback page could not be written in full "
                            f"({type(error).__name__}: {error})")
    outdir.remove_stale(out, "feedback", set(pages) | {n[:-3] + ".html" for n in pages})
    for name, text in pages.items():
        outdir.write(out, f"feedback/{name}", text)
    outdir.write(out, "report.html", report.render(results, warning))
    outdir.write(out, "similarity.html", similarity_page.page(results))
    _write_answer_pages(out, results)
    return warnings + _write_lms_files(out, results)


def _write_answer_pages(out: Path, results: storemod.Store) -> None:
    """Per written answer: the page with every student's answer, and the CSV template."""
    pages = {}
    for answer in results.answers:
        pages[f"{answer.id}.html"] = answer_pages.page(results, answer)
        pages[f"{answer.id}.csv"] = answer_pages.template(results, answer)
    outdir.remove_stale(out, answer_pages.FOLDER, set(pages))
    for name, text in pages.items():
        outdir.write(out, f"{answer_pages.FOLDER}/{name}", text)


def _write_lms_files(out: Path, results: storemod.Store) -> list[str]:
    """The HTML feedback pages and the LMS exports; returns warnings."""
    html = {sub.student: feedback_html.render(results, sub) for sub in results.sorted_students()}
    for student, page in html.items():
        outdir.write(out, f"feedback/{feedback_name(student)}.html", page)
    outputs, warnings = exports.render(results, html)
    for name in outdir.LMS_FILES:
        if name not in outputs and (Path(out) / name).is_file():
            (Path(out) / name).unlink()
    for name, data in outputs.items():
        outdir.write(out, name, data)
    return warnings
