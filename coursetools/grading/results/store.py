"""The class's results, kept in ``OUT/results.json``: what every output is rendered from.

A grading run updates the rows of the students it graded and keeps everyone else's, so grading
one resubmission never loses the class (``--fresh`` starts over). Merging the results folders
of several shards is ``results.merge``. Each row records the run that graded it, and the run
records (``OUT/runs.jsonl``) say how: seed, instructor notebook hash, versions, command line.
Everything in ``grades.csv``, the feedback pages and the report is rendered from this file, so
the same results always give the same files.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from coursetools.grading.results import outdir
from coursetools.grading.records import Status, StatusNote, Submission, TestResult

FORMAT = 1


@dataclasses.dataclass
class TestInfo:
    test: str
    points: float
    hidden: bool


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
    assignment: str = ""              # the lab's column in the LMS gradebook
    answers: list[AnswerInfo] = dataclasses.field(default_factory=list)   # graded by hand

    LMS_SETTINGS = ("roster", "deadline", "late_penalty", "assignment")

    @property
    def max_points(self) -> float:
        return sum(t.points for t in self.tests) + sum(a.points for a in self.answers)

    def update(self, submissions: list[Submission], run: int) -> None:
        for sub in submissions:
            if _keeps_hand_in(self.students.get(sub.student), sub):
                continue
            self.students[sub.student] = sub
            self.runs[sub.student] = run

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
    return data


def _sub_from_dict(data: dict) -> Submission:
    data = dict(data)
    data["statuses"] = [StatusNote(Status[name], detail) for name, detail in data["statuses"]]
    data["tests"] = [TestResult(**t) for t in data["tests"]]
    return Submission(**data)


def to_json(store: Store) -> str:
    return json.dumps({"format": FORMAT, "lab": store.lab,
                       **{name: getattr(store, name) for name in Store.LMS_SETTINGS},
                       "tests": [dataclasses.asdict(t) for t in store.tests],
                       "answers": [dataclasses.asdict(a) for a in store.answers],
                       "students": [dict(_sub_to_dict(s), run=store.runs.get(s.student))
                                    for s in store.sorted_students()]},
                      indent=1, sort_keys=True, ensure_ascii=False)


def from_json(text: str) -> Store:
    data = json.loads(text)
    if data.get("format") != FORMAT:
        raise ValueError(f"results.json has format {data.get('format')}, expected {FORMAT}")
    store = Store(lab=data["lab"], tests=[TestInfo(**t) for t in data["tests"]],
                  answers=[AnswerInfo(**a) for a in data.get("answers", [])],
                  **{name: data[name] for name in Store.LMS_SETTINGS if name in data})
    for row in data["students"]:
        run = row.pop("run", None)
        sub = _sub_from_dict(row)
        store.students[sub.student] = sub
        if run is not None:
            store.runs[sub.student] = run
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
