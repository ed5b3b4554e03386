"""Merging results folders (the shards of a class) into one, refusing what would be wrong.

A merged folder must be what one run over the whole class gives, so ``merge`` refuses:

- folders of different labs or tests;
- shards that are not exactly the parts 1..N of one N (from each folder's run record): a part
  no task graded would silently leave its students out;
- a student found in two folders (a class regraded with another N leaves its old rows in the
  old folders, so one of the two rows is stale), unless ``prefer_newer``: then the row of the
  newer run is kept and the instructor is told which one, per student.

Histories are kept: a student's attempts are those of every folder (each attempt once), and
under the class's policy ``best`` the row of the attempt with the most counted points counts.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from coursetools.grading.results import store as storemod


class MergeError(ValueError):
    """Folders that cannot be merged into one class (the message says why)."""


@dataclasses.dataclass
class Folder:
    path: Path
    store: storemod.Store
    runs: list[dict]          # the run records of runs.jsonl, oldest first

    @property
    def shard(self) -> str | None:
        """The shard of the folder's latest run (``i/N``), None for a run over the whole class."""
        return self.runs[-1].get("shard") if self.runs else None

    def graded_at(self, student: str) -> str:
        """When the run that graded ``student``'s row ran (ISO time; '' if unknown)."""
        number = self.store.runs.get(student)
        return next((r.get("time", "") for r in reversed(self.runs) if r.get("run") == number), "")


def read(path: Path) -> Folder:
    path = Path(path)
    results = storemod.from_json((path / "results.json").read_text(encoding="utf-8"))
    runs_file = path / "runs.jsonl"
    lines = runs_file.read_text(encoding="utf-8").splitlines() if runs_file.is_file() else []
    return Folder(path, results, [json.loads(line) for line in lines if line.strip()])


def _check_shards(folders: list[Folder]) -> None:
    shards = {f.path: f.shard for f in folders}
    if not any(shards.values()):
        return
    whole = [str(p) for p, s in shards.items() if not s]
    if whole:
        raise MergeError(f"{', '.join(whole)} graded the whole class, the others one shard each: "
                         "merge the shards of one run only")
    parts = {p: tuple(int(x) for x in s.split("/")) for p, s in shards.items()}
    counts = sorted({n for _, n in parts.values()})
    if len(counts) > 1:
        raise MergeError("the folders are shards of different splits ("
                         + ", ".join(f"{p}: {i}/{n}" for p, (i, n) in parts.items())
                         + "): regrade all of them with the same N")
    count = counts[0]
    seen: dict[int, list[str]] = {}
    for path, (index, _) in parts.items():
        seen.setdefault(index, []).append(str(path))
    twice = {i: ps for i, ps in seen.items() if len(ps) > 1}
    missing = [i for i in range(1, count + 1) if i not in seen]
    if twice or missing:
        problems = [f"shard {i}/{count} is in {' and '.join(ps)}" for i, ps in twice.items()]
        problems += [f"shard {i}/{count} is missing (its students were not graded)"
                     for i in missing]
        raise MergeError("; ".join(problems))


def merge(folders: list[Folder], prefer_newer: bool = False) -> tuple[storemod.Store, str,
                                                                      list[str]]:
    """The merged store, the merged runs.jsonl text, and warnings for the instructor."""
    if not folders:
        raise MergeError("no results folders to merge")
    first = folders[0].store
    for folder in folders:
        if folder.store.lab != first.lab or \
                [t.test for t in folder.store.tests] != [t.test for t in first.tests]:
            raise MergeError(f"{folder.path} holds results of another lab or other tests than "
                             f"{folders[0].path}")
    _check_shards(folders)
    owners: dict[str, list[Folder]] = {}
    for folder in folders:
        for student in folder.store.students:
            owners.setdefault(student, []).append(folder)
    twice = {s: fs for s, fs in owners.items() if len(fs) > 1}
    if twice and not prefer_newer:
        shown = [f"{s} ({', '.join(str(f.path) for f in fs)})" for s, fs in sorted(twice.items())]
        more = f" and {len(shown) - 10} more" if len(shown) > 10 else ""
        raise MergeError(f"{len(twice)} student(s) are in more than one folder: "
                         f"{'; '.join(shown[:10])}{more}. One of the rows is stale: remove the "
                         "old folder, or pass --prefer-newer to keep the row of the newer run")
    merged = storemod.Store(lab=first.lab, tests=first.tests, answers=first.answers)
    for folder in folders:
        for name in storemod.Store.LMS_SETTINGS + storemod.Store.OTHER_SETTINGS:
            value = getattr(folder.store, name)
            if value and (name != "policy" or value != "latest"):   # a setting given wins
                setattr(merged, name, value)
    warnings = []
    for student, candidates in sorted(owners.items()):
        chosen = max(candidates, key=lambda f: _rank(f, student, merged.policy))
        if len(candidates) > 1:
            warnings.append(f"{student} is in {', '.join(str(f.path) for f in candidates)}: kept "
                            f"the row of {chosen.path} (graded {chosen.graded_at(student) or '?'})")
        merged.students[student] = chosen.store.students[student]
        if student in chosen.store.runs:
            merged.runs[student] = chosen.store.runs[student]
        history = _history(candidates, student, chosen)
        if history:
            merged.history[student] = history
    runs = "".join(json.dumps(r, sort_keys=True) + "\n" for f in folders for r in f.runs)
    return merged, runs, warnings


def _counting(folder: Folder, student: str) -> storemod.Attempt | None:
    return next((a for a in folder.store.attempts(student) if a.counts), None)


def _rank(folder: Folder, student: str, policy: str) -> tuple:
    """Which folder's row of ``student`` counts: the newer (``best``: the better, then newer)."""
    newer = folder.graded_at(student)
    if policy == "best":
        attempt = _counting(folder, student)
        return (attempt.counted if attempt else float("-inf"), newer)
    return (newer,)


def _history(candidates: list[Folder], student: str, chosen: Folder) -> list[storemod.Attempt]:
    """Every folder's attempts of ``student``, each once, oldest first; the chosen row counts."""
    kept = chosen.store.students[student]
    counting = _counting(chosen, student)
    found: dict[tuple, tuple[str, storemod.Attempt]] = {}
    for folder in candidates:
        times = {r.get("run"): r.get("time", "") for r in folder.runs}
        for attempt in folder.store.attempts(student):
            key = (attempt.sha256, attempt.file, attempt.points)   # each attempt once
            when = times.get(attempt.run, "")
            if key not in found or when > found[key][0]:
                found[key] = (when, storemod.Attempt(**{**attempt.__dict__, "counts": False}))
    attempts = [a for _, a in sorted(found.values(), key=lambda pair: (pair[0], pair[1].submitted))]
    for attempt in attempts:
        attempt.counts = counting is not None and (attempt.sha256, attempt.file, attempt.points) \
            == (counting.sha256, counting.file, counting.points)
    if counting is None and attempts and kept.source:
        attempts[-1].counts = attempts[-1].file == kept.source
    return attempts
