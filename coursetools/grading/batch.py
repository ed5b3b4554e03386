"""One grading run: a folder of submissions in, ``grades.csv``, feedback and a report out.

The steps, each in its own module: read the instructor notebook (``lab``), extract each
student's definitions (``extract``), write one grading notebook per student in a private work
folder (``notebook``), execute them all with pytest + nbval (``runner``, ``plugin``), score
them against the reference run (``compare``) and write the results (``gradebook``,
``report``).

Fault isolation is the rule throughout: whatever one submission does (not a notebook, another
lab, a syntax error, an endless loop, a crash, a huge allocation) ends as a status and lost
tests for that student only. The submissions folder is only read: the files are read once into
memory and everything else happens in a temporary folder.
"""
from __future__ import annotations

import dataclasses
import json
import os
import secrets
import shutil
import tempfile
from pathlib import Path

import nbformat

from coursetools.grading import compare, extract, gradebook, lab as labmod, notebook, report, runner

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = "instructor"
# nbval's own cell timeout, beyond the guard's (--timeout): only reached if the student's code
# disables the guard's alarm, or if the machine is badly overloaded.
HARD_TIMEOUT_MARGIN = 60.0


class GradingError(Exception):
    """Grading cannot run at all (unknown lab, missing folder, broken instructor notebook)."""


@dataclasses.dataclass
class Submission:
    student: str
    path: Path
    folder: str | None = None          # work folder (None: not executed)
    status: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    cells: list[extract.CellCode] = dataclasses.field(default_factory=list)
    results: list[dict] = dataclasses.field(default_factory=list)
    tests: list[compare.TestResult] = dataclasses.field(default_factory=list)

    @property
    def points(self) -> float:
        return sum(t.earned for t in self.tests)

    @property
    def status_text(self) -> str:
        return "; ".join(dict.fromkeys(self.status)) or "ok"


@dataclasses.dataclass
class Outcome:
    lab: labmod.Lab
    submissions: list[Submission]
    max_points: float
    out: Path
    harness: object


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= 40 else line[:37] + "..."
    return ""


def _prepare(sub: Submission, raw: bytes, lab: labmod.Lab, others) -> nbformat.NotebookNode | None:
    """Parse and check one submission; None when it cannot be graded (status says why)."""
    if not raw.strip():
        sub.status.append("empty file")
        return None
    try:
        nb = nbformat.reads(raw.decode("utf-8-sig"), as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no cells")
    except Exception:  # noqa: BLE001 - any failure to read means the same for the student
        sub.status.append("not a notebook")
        return None
    other = labmod.wrong_lab(nb, lab, others)
    if other:
        sub.status.append("wrong lab")
        sub.notes.append(f"This notebook looks like {other}, not {lab.lab_id}: it was not graded.")
        return None
    return nb


def _extract(sub: Submission, nb, lab: labmod.Lab) -> None:
    from coursetools import markers

    sub.cells = extract.extract_notebook(nb, reserved=lab.reserved,
                                         checks_header=markers.CHECKS_HEADER)
    not_run = []
    for cell in sub.cells:
        source = nb.cells[cell.index].get("source", "")
        where = f"cell {cell.index + 1} (starting with `{_first_line(source)}`)"
        if cell.syntax_error:
            sub.status.append("syntax error")
            sub.notes.append(f"{where} has a syntax error ({cell.syntax_error}); the whole cell "
                             "was skipped.")
        official = [s for s in cell.skipped if extract.OFFICIAL in s.what]
        for skipped in official:
            sub.notes.append(f"{where}, line {skipped.line}: {skipped.what} was ignored.")
        if len(official) < len(cell.skipped) and not markers.graded_ids(source) \
                and source.strip() != "summary()":
            not_run.append(str(cell.index + 1))
    if not_run:
        sub.notes.append("Only imports, functions, classes and constants are graded; the other "
                         f"top-level code of cells {', '.join(not_run)} (calls, loops, plots) "
                         "was not run. Your functions must not rely on variables it creates.")
    defined = extract.defined_names(sub.cells)
    for name in lab.functions:
        kind = "class" if name in lab.methods else "function"
        if name not in defined:
            sub.status.append(f"missing {kind} {name}")
            continue
        have = extract.defined_methods(sub.cells, name)
        for method in lab.methods.get(name, []):
            if method not in have:
                sub.status.append(f"missing method {name}.{method}")


def _setup_failed(cells: list[dict], expected: int) -> bool:
    """True if the notebook's results are incomplete or its setup cell did not run cleanly."""
    if len(cells) < expected:
        return True
    return any(c.get("meta", {}).get("role") == "setup" and (c.get("failure") or c.get("errors"))
               for c in cells)


def _runtime_status(sub: Submission) -> None:
    """Statuses that only the execution reveals (from error *types*, never from messages)."""
    failures, kinds = set(), set()
    for cell in sub.results:
        role = cell.get("meta", {}).get("role")
        if cell.get("failure"):
            failures.add(cell["failure"])
        kinds.update(str(e.get("ename")) for e in cell.get("errors", []))
        kinds.update(str(p["error"]).split(":", 1)[0] for p in cell.get("payloads", [])
                     if isinstance(p, dict) and p.get("error"))
        if cell.get("guard"):
            kinds.add("GradingPermissionError")
        if role == "definitions" and cell.get("errors"):
            sub.status.append("error while defining")
        if role == "setup" and (cell.get("failure") or cell.get("errors")):
            sub.status.append("grading setup failed")
    if "timeout" in failures or "GradingTimeout" in kinds:
        sub.status.append("timeout")
    if failures & {"kernel died", "kernel dead"}:
        sub.status.append("kernel died")
    if "MemoryError" in kinds:
        sub.status.append("memory limit")
    if "GradingPermissionError" in kinds:
        sub.status.append("blocked by the guard")
    if "SystemExit" in kinds:
        sub.status.append("exit called")
    if any(code in t.codes for t in sub.tests for code in ("tampering", "no_result")):
        sub.status.append("tampering detected")


def grade(lab_id: str, submissions: Path, out: Path, *, instructor: Path | None = None,
          jobs: int | None = None, timeout: float = 20.0, memory_mb: int = 1024,
          root: Path = REPO_ROOT, progress: bool = True, keep_work: bool = False,
          seed: str | None = None) -> Outcome:
    """Grade every ``*.ipynb`` of ``submissions`` for ``lab_id``; writes into ``out``."""
    submissions, out = Path(submissions), Path(out)
    try:
        path = labmod.instructor_path(root, lab_id, instructor)
        lab = labmod.load(path, lab_id)
    except labmod.LabError as error:
        raise GradingError(str(error)) from None
    if not submissions.is_dir():
        raise GradingError(f"the submissions folder {submissions} does not exist")
    if out.resolve() == submissions.resolve() or submissions.resolve() in out.resolve().parents:
        raise GradingError("the output folder must not be inside the submissions folder")
    harness = compare.load_harness(lab.checks_source)
    others = labmod.other_labs(root, lab)
    jobs = max(1, int(jobs or os.cpu_count() or 1))

    files = sorted(p for p in submissions.iterdir() if p.suffix == ".ipynb" and p.is_file()
                   and not p.name.startswith("."))
    subs = [Submission(student=p.stem, path=p) for p in files]
    work = Path(tempfile.mkdtemp(prefix="coursetools-grading-"))
    try:
        nonce = secrets.token_hex(16) if seed is None else str(seed)
        cells_per_notebook = {}

        def build(name: str, definitions) -> None:
            folder = work / name
            (folder / "private").mkdir(parents=True)
            nb = notebook.grading_notebook(
                lab, definitions, nonce=nonce, private_dir=str(folder / "private"),
                memory_bytes=memory_mb * 2**20, cell_seconds=timeout)
            notebook.write(nb, folder / "grade.ipynb")
            cells_per_notebook[name] = len(nb.cells)

        build(REFERENCE, lab.definitions)
        for number, sub in enumerate(subs, start=1):
            raw = sub.path.read_bytes()
            nb = _prepare(sub, raw, lab, others)
            if nb is None:
                continue
            _extract(sub, nb, lab)
            sub.folder = f"s{number:04d}"
            build(sub.folder, sub.cells)
        hard_timeout = timeout + HARD_TIMEOUT_MARGIN
        _, results = runner.run(work, cells_per_notebook, jobs=jobs,
                                cell_timeout=hard_timeout, progress=progress)
        # A notebook whose setup did not even run (an overloaded machine, a kernel that did
        # not start) is run once more, alone: that is the grader's problem, not the student's.
        again = {name: count for name, count in cells_per_notebook.items()
                 if _setup_failed(results.get(name, []), count)}
        if again:
            _, retried = runner.run(work, again, jobs=1, cell_timeout=hard_timeout,
                                    progress=progress)
            results.update(retried)
        try:
            refs = compare.reference(lab, results.get(REFERENCE, []))
        except compare.ReferenceError as error:
            raise GradingError(f"grading stopped: {error}") from None
        for sub in subs:
            if sub.folder is not None:
                sub.results = results.get(sub.folder, [])
                sub.tests = compare.score(harness, lab, refs, sub.results)
                _runtime_status(sub)
            else:
                sub.tests = [compare.TestResult(test=t, points=refs[t].points, earned=0.0,
                                                hidden=refs[t].hidden) for t in lab.test_ids]
        if keep_work:
            (work / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    finally:
        if keep_work:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    max_points = sum(refs[t].points for t in lab.test_ids)
    outcome = Outcome(lab=lab, submissions=subs, max_points=max_points, out=out, harness=harness)
    out.mkdir(parents=True, exist_ok=True)
    gradebook.write_csv(outcome, out / "grades.csv")
    gradebook.write_feedback(outcome, out / "feedback")
    report.write(outcome, out / "report.html")
    return outcome
