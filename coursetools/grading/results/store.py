"""The class's results, kept in ``OUT/results.json``: what every output is rendered from.

A grading run updates the rows of the students it graded and keeps everyone else's, so grading
one resubmission never loses the class (``--fresh`` starts over). Merging the results folders
of several shards is ``results.merge``. Each row records the run that graded it, and the run
records (``OUT/runs.jsonl``) say how: seed, instructor notebook hash, versions, command line.
Everything in ``grades.csv``, the feedback pages and the report is rendered from this file, so
the same results always give the same files.

Regrades keep a history: every file graded for a student is one ``Attempt`` (file, hash, when
handed in, the run that graded it, points; the run's time is in ``runs.jsonl``, so the same
results stay the same file), and the class's ``policy`` says which attempt's row counts:
``latest`` (the default: the newest file) or ``best`` (the attempt with the most points after
the class's late penalty; on a tie the newer). Grading the same file again (same hash) is not a
new attempt: it updates that attempt. Format 1 (before histories) still loads: each graded row
becomes the first attempt of its student.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from coursetools.grading.results import outdir
from coursetools.grading.records import (Adjustment, LmsIdentity, Status, StatusNote, Submission,
                                         TestResult)

FORMAT = 2
READABLE = (1, 2)            # formats that load (1: before the regrade history)
POLICIES = ("latest", "best")


@dataclasses.dataclass
class TestInfo:
    test: str
    points: float
    hidden: bool


@dataclasses.dataclass
class Attempt:
    """One graded file of a student: what the feedback's history lists."""

    file: str                  # where it came from (relative path in the hand-in)
    sha256: str = ""           # of its bytes ('' when unknown: results of format 1)
    submitted: str = ""        # when it was handed in (the LMS's time), if known
    run: int | None = None     # the run that graded it (its time: runs.jsonl)
    points: float = 0.0        # the tests' points
    counted: float = 0.0       # what ``best`` compares: points after the class's late penalty
    counts: bool = False       # its row is the student's row in the gradebook

    def same_file(self, other: "Attempt") -> bool:
        """The same bytes graded again (a file name alone says nothing: LMSs reuse them)."""
        return bool(self.sha256) and self.sha256 == other.sha256


@dataclasses.dataclass
class AnswerInfo:
    """A written answer of the lab, as the question pages and the gradebook need it."""
    id: str
    points: float
    question: str = ""
    model: str = ""
    rubric: list = dataclasses.field(default_factory=list)   # [points, criterion] pairs


@dataclasses.dataclass
class Store:
    lab: str
    tests: list[TestInfo]
    students: dict[str, Submission] = dataclasses.field(default_factory=dict)
    runs: dict[str, int] = dataclasses.field(default_factory=dict)   # student -> run number
    # The class's LMS settings (issue 13): kept across runs until given again
    roster: dict | None = None        # roster.Roster.to_dict() of --roster
    deadline: str = ""                # --deadline
    late_penalty: str = ""            # --late-penalty, canonical (late.Rule.text)
    assignment: str = ""              # the lab's column in the LMS gradebook (--assignment)
    points_possible: float | None = None   # the assignment's points in the LMS (--points-possible)
    # Regrades (issue 23): every student's attempts, and which one counts
    history: dict[str, list[Attempt]] = dataclasses.field(default_factory=dict)
    policy: str = "latest"
    # Similarity report (issue 23): the lab's own code, and the threshold
    given_code: list[str] = dataclasses.field(default_factory=list)     # the student lab's
    solution_code: list[str] = dataclasses.field(default_factory=list)  # the instructor's
    similarity_threshold: float | None = None      # None: score.similarity's default
    answers: list[AnswerInfo] = dataclasses.field(default_factory=list)   # graded by hand

    LMS_SETTINGS = ("roster", "deadline", "late_penalty", "assignment", "points_possible")
    OTHER_SETTINGS = ("policy", "given_code", "solution_code", "similarity_threshold")

    @property
    def max_points(self) -> float:
        return sum(t.points for t in self.tests) + sum(a.points for a in self.answers)

    def update(self, submissions: list[Submission], run: int,
               counted=lambda sub: sub.points) -> None:
        """Take the rows of a run: each graded file is an attempt; the policy picks the row.

        ``counted(sub)``: the row's points after the late penalty (what ``best`` compares).
        """
        if self.policy not in POLICIES:
            raise ValueError(f"unknown policy {self.policy!r}: one of {', '.join(POLICIES)}")
        for sub in submissions:
            old = self.students.get(sub.student)
            if _keeps_hand_in(old, sub):
                continue
            if not sub.source:          # a roster's missing row, no file: no attempt
                self.students[sub.student], self.runs[sub.student] = sub, run
                continue
            attempt = Attempt(file=sub.source, sha256=sub.sha256, submitted=sub.submitted,
                              run=run, points=sub.points,
                              counted=float(counted(sub)))
            attempts = [a for a in self.history.get(sub.student, [])
                        if not a.same_file(attempt)]
            current = next((a for a in attempts if a.counts), None)
            if self.policy == "latest" or current is None or old is None or \
                    attempt.counted >= current.counted:
                for earlier in attempts:
                    earlier.counts = False
                attempt.counts = True
                self.students[sub.student], self.runs[sub.student] = sub, run
            self.history[sub.student] = attempts + [attempt]

    def attempts(self, student: str) -> list[Attempt]:
        """The student's attempts, oldest first."""
        return list(self.history.get(student, []))

    def sorted_students(self) -> list[Submission]:
        return sorted(self.students.values(), key=lambda s: (s.student.casefold(), s.student))


def _keeps_hand_in(old: Submission | None, new: Submission) -> bool:
    """A roster's ``missing`` row never replaces a row graded from a file (a regrade of a few)."""
    return old is not None and bool(old.source) and not new.source and any(
        s.status is Status.MISSING for s in new.statuses)


def _sub_to_dict(sub: Submission) -> dict:
    data = dataclasses.asdict(sub)
    data.pop("raw")
    data["statuses"] = [[s.status.name, s.detail] for s in sub.statuses]
    # The grading notebook's name is the run's business; kept is only whether it was executed,
    # so that the same results (one run or merged shards) are the same file.
    data["key"] = "executed" if sub.key is not None else None
    data["lms"] = sub.lms.to_dict() if sub.lms else {}
    return data


def _sub_from_dict(data: dict) -> Submission:
    data = dict(data)
    data["statuses"] = [StatusNote(Status[name], detail) for name, detail in data["statuses"]]
    data["tests"] = [TestResult(**t) for t in data["tests"]]
    data["adjustments"] = [Adjustment(**a) for a in data.get("adjustments", [])]
    data["lms"] = LmsIdentity.from_dict(data.get("lms"))
    return Submission(**data)


def to_json(store: Store) -> str:
    settings = Store.LMS_SETTINGS + Store.OTHER_SETTINGS
    return json.dumps({"format": FORMAT, "lab": store.lab,
                       **{name: getattr(store, name) for name in settings},
                       "tests": [dataclasses.asdict(t) for t in store.tests],
                       "answers": [dataclasses.asdict(a) for a in store.answers],
                       "students": [dict(_sub_to_dict(s), run=store.runs.get(s.student),
                                         history=[dataclasses.asdict(a)
                                                  for a in store.attempts(s.student)])
                                    for s in store.sorted_students()]},
                      indent=1, sort_keys=True, ensure_ascii=False)


def from_json(text: str) -> Store:
    data = json.loads(text)
    if data.get("format") not in READABLE:
        raise ValueError(f"results.json has format {data.get('format')}, expected one of "
                         f"{', '.join(map(str, READABLE))}")
    settings = Store.LMS_SETTINGS + Store.OTHER_SETTINGS
    store = Store(lab=data["lab"], tests=[TestInfo(**t) for t in data["tests"]],
                  answers=[AnswerInfo(**a) for a in data.get("answers", [])],
                  **{name: data[name] for name in settings if name in data})
    for row in data["students"]:
        run = row.pop("run", None)
        history = row.pop("history", None)
        sub = _sub_from_dict(row)
        store.students[sub.student] = sub
        if run is not None:
            store.runs[sub.student] = run
        if history is not None:
            store.history[sub.student] = [Attempt(**a) for a in history]
        elif sub.source:     # format 1: the graded row is the only attempt known
            store.history[sub.student] = [Attempt(file=sub.source, submitted=sub.submitted,
                                                  run=run, points=sub.points,
                                                  counted=sub.final_points, counts=True)]
    return store


def load(out: Path, lab: str, tests: list[TestInfo],
         answers: list[AnswerInfo] | None = None) -> Store:
    """The results already in OUT for this lab (a fresh store if none)."""
    path = Path(out) / "results.json"
    answers = list(answers or [])
    if not path.is_file():
        return Store(lab=lab, tests=tests, answers=answers)
    store = from_json(path.read_text(encoding="utf-8"))
    if store.lab != lab:
        raise ValueError(f"{out} holds results of {store.lab}, not {lab}: use another folder")
    if [t.test for t in store.tests] != [t.test for t in tests]:
        raise ValueError(f"{out} holds results for other tests of {lab} (the instructor notebook "
                         "changed): grade into a new folder, or pass --fresh to start over")
    if [a.id for a in store.answers] != [a.id for a in answers]:
        raise ValueError(f"{out} holds results for other written answers of {lab} (the "
                         "instructor notebook changed): grade into a new folder, or pass --fresh")
    store.tests, store.answers = tests, answers
    return store


def save(out: Path, store: Store) -> None:
    outdir.write(out, "results.json", to_json(store) + "\n")
