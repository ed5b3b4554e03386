"""The typed records the grading steps hand to each other (no dicts of strings between modules).

- ``Status``: what the instructor reads in the ``status`` column. Every status comes from what
  the grader itself observed (a file it could not read, a budget it enforced, a kernel process
  it saw die, results that do not add up), never from text or exception names that a
  submission can choose.
- ``Failure``: how the execution of one cell ended, as observed from outside the kernel.
- ``CellResult``: what one executed cell of a grading notebook produced (the pytest plugin
  fills it in the worker, it travels to the grader as JSON).
- ``TestResult``: the score of one test for one student; ``Adjustment``: one change of a row's
  points after its tests (an override, the late penalty); ``Submission``: one row of the gradebook.
"""
from __future__ import annotations

import dataclasses
import enum
import json
from pathlib import PurePosixPath


class Status(enum.Enum):
    OK = "ok"
    NOT_ATTEMPTED = "not attempted"
    MISSING = "missing"                        # on the roster, nothing handed in
    NOT_ON_ROSTER = "not on roster"
    NOT_A_NOTEBOOK_FILE = "not a notebook file"  # e.g. a .py or .pdf handed in
    EMPTY = "empty file"
    NOT_A_NOTEBOOK = "not a notebook"            # an .ipynb that does not parse
    TOO_LARGE = "notebook too large"
    WRONG_LAB = "wrong lab"
    SYNTAX_ERROR = "syntax error"
    MISSING_DEFINITION = "missing definition"    # shown as "missing function backward"
    DEFINITION_ERROR = "error while defining"
    TIMEOUT = "timeout"
    NOTEBOOK_TIME = "notebook time limit"
    OUTPUT_TOO_LARGE = "output too large"
    DISK = "disk limit"
    KERNEL_DIED = "kernel died"
    TAMPERING = "tampering detected"
    GRADER_ERROR = "grader error"              # a bug of ours: the message goes to the instructor
    ANSWERS_TO_GRADE = "answers to grade"      # written answers without the instructor's points


@dataclasses.dataclass(frozen=True)
class StatusNote:
    status: Status
    detail: str = ""

    @property
    def text(self) -> str:
        label = "missing" if self.status is Status.MISSING_DEFINITION else self.status.value
        return f"{label} {self.detail}".strip()


class Failure(enum.Enum):
    NONE = "none"                  # the cell ran to its end (it may have raised: see errors)
    TIMEOUT = "timeout"            # killed: the cell ran past its wall-clock budget
    NOTEBOOK_TIME = "notebook time limit"
    OUTPUT = "output too large"    # killed: the cell printed more than its output budget
    DISK = "disk limit"            # killed: files written where the grader can see them
    KERNEL_DIED = "kernel died"    # the kernel process ended while the cell ran
    NOT_RUN = "not run"            # no kernel to run it (dead, or the budget was used up)
    GRADER = "grader error"


STATUS_OF_FAILURE = {Failure.TIMEOUT: Status.TIMEOUT, Failure.NOTEBOOK_TIME: Status.NOTEBOOK_TIME,
                     Failure.OUTPUT: Status.OUTPUT_TOO_LARGE, Failure.DISK: Status.DISK,
                     Failure.KERNEL_DIED: Status.KERNEL_DIED}


# The fixed columns of grades.csv (``render.gradebook``), before one column per test and per
# written answer: a test or answer id equal to one of them would make two columns of one name.
GRADEBOOK_COLUMNS = ("student", "name", "lab", "points", "max_points", "status", "run", "late",
                     "late_days", "penalty", "overridden")
CELL_META = "coursetools"   # the key of a grading notebook cell's metadata: its role, its tests


class Role(enum.Enum):
    """What a cell of a grading notebook is for (``metadata.coursetools.role``)."""

    SETUP = "setup"
    HELPERS = "helpers"
    DEFINITIONS = "definitions"
    RECORDING = "recording"
    ISOLATION = "isolation"
    TEST = "test"


PRELUDE = (Role.SETUP, Role.HELPERS, Role.DEFINITIONS, Role.RECORDING)


@dataclasses.dataclass
class CellResult:
    notebook: str                 # the grading notebook's name (a submission's key)
    index: int                    # the cell's index in the grading notebook
    role: Role
    tests: list[str] = dataclasses.field(default_factory=list)
    source_cell: int | None = None    # the cell of the original notebook it comes from
    payloads: list[dict] = dataclasses.field(default_factory=list)
    errors: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (name, message)
    failure: Failure = Failure.NONE

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        data.update(role=self.role.value, failure=self.failure.value)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> "CellResult":
        data = json.loads(text)
        data.update(role=Role(data["role"]), failure=Failure(data["failure"]),
                    errors=[tuple(e) for e in data["errors"]])
        return cls(**data)


@dataclasses.dataclass
class TestResult:
    __test__ = False   # a record, not a pytest test class

    test: str
    points: float
    earned: float
    hidden: bool
    codes: list[str] = dataclasses.field(default_factory=list)
    details: list[str] = dataclasses.field(default_factory=list)   # visible tests only
    subject: str | None = None       # the contract name the test grades
    isolated_from: list[str] = dataclasses.field(default_factory=list)  # official versions used
    items: list[str] = dataclasses.field(default_factory=list)     # the contract items it grades
    charged: list[str] = dataclasses.field(default_factory=list)   # a failure's items (shared)
    undefined: list[str] = dataclasses.field(default_factory=list)  # graded items never defined

    @property
    def passed(self) -> bool:
        return self.earned == self.points and not self.codes


class Scheme(enum.Enum):
    """How a learning platform named a handed-in file (``lms`` claims it; ``intake`` groups by it)."""

    CANVAS = "canvas"
    CANVAS_TEXT = "canvas-text"            # a text entry or URL, not a file
    MOODLE = "moodle"
    BLACKBOARD = "blackboard"
    BLACKBOARD_TEXT = "blackboard-text"    # a receipt alone: a text-only submission
    BRIGHTSPACE = "brightspace"
    GRADESCOPE = "gradescope"
    FOLDER = "folder"                      # a folder per student (GitHub Classroom, your own)
    FILE = "file"                          # one file per student, named after them

    @property
    def platform(self) -> str:
        """The platform's name in the ``lms`` registry ("canvas" for both Canvas schemes)."""
        return self.value.split("-")[0]

    @property
    def text_entry(self) -> bool:
        return self in (Scheme.CANVAS_TEXT, Scheme.BLACKBOARD_TEXT)


@dataclasses.dataclass(frozen=True)
class LmsIdentity:
    """Who a row is to its learning platform: what its bulk feedback upload and import need."""

    scheme: Scheme
    user: str = ""          # the platform's id of the student (Canvas user, Moodle participant)
    prefix: str = ""        # the platform's prefix of the file name (for its feedback upload)
    group: tuple[tuple[str, str], ...] = ()   # the other members of a group: (id, name)
    group_of: str = ""      # a member's row: the student whose file the group handed in

    def to_dict(self) -> dict:
        data = {"scheme": self.scheme.value, "user": self.user, "prefix": self.prefix,
                "group": [list(m) for m in self.group], "group_of": self.group_of}
        return {k: v for k, v in data.items() if v}

    @classmethod
    def from_dict(cls, data: dict | None) -> "LmsIdentity | None":
        if not data:
            return None
        return cls(Scheme(data["scheme"]), data.get("user", ""), data.get("prefix", ""),
                   tuple(tuple(m) for m in data.get("group", [])), data.get("group_of", ""))


@dataclasses.dataclass(frozen=True)
class Adjustment:
    """What changed a row's points after its tests (``results.final``), by how much, and why.

    ``what`` is "test" (an override of the test ``target``), "penalty" (``target`` "late": the
    class's late rule; "penalty": an override of it) or "total" (an override of the result).
    In results.json it is the object of these five fields."""

    what: str
    target: str
    before: float
    after: float
    reason: str

    @property
    def by_rule(self) -> bool:
        """The class's late rule, not the instructor's hand (every other change is an override)."""
        return self.what == "penalty" and self.target == "late"

    @property
    def change(self) -> float:
        return self.after - self.before


@dataclasses.dataclass
class Submission:
    """One student's row, as it moves through the steps (collect → … → write)."""

    student: str                      # the id (roster id, LMS user id, or file name)
    name: str = ""                    # the display name, when known
    source: str = ""                  # where the graded file came from (relative path)
    raw: bytes | None = None          # the file's bytes (None: nothing to grade)
    late_days: float = 0.0            # 0: on time
    attempt: int = 0
    other_files: list[str] = dataclasses.field(default_factory=list)  # earlier attempts, extras
    statuses: list[StatusNote] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    key: str | None = None            # its grading notebook's name (None: not executed)
    tests: list[TestResult] = dataclasses.field(default_factory=list)
    # From the LMS: roster, file names, late work, overrides (``collect``, ``roster``, ``final``)
    late: bool = False                # the LMS marked it late (Canvas ``LATE``)
    submitted: str = ""               # when it was handed in (ISO time from the export), if known
    lms: LmsIdentity | None = None    # who it is to its LMS (None: not named by one)
    roster: dict = dataclasses.field(default_factory=dict)  # its roster row (for the LMS exports)
    penalty: float = 0.0              # late penalty in points (rendered from the class's rule)
    final: float | None = None        # points after overrides and penalty (None: not rendered yet)
    adjustments: list[Adjustment] = dataclasses.field(default_factory=list)  # after the tests
    # For the regrade history and the similarity report (``results.store``, ``score.similarity``)
    sha256: str = ""                  # of the graded file's bytes
    code: str = ""                    # the graded code the student wrote (given code left out)
    # Written answers (``intake.answers``): answer id -> the student's text ("" no answer, None
    # the marker line was not found); the instructor's points, rendered from manual.csv
    answers: dict = dataclasses.field(default_factory=dict)
    answer_points: dict = dataclasses.field(default_factory=dict)   # id -> {points, comment}

    def flag(self, status: Status, detail: str = "") -> None:
        note = StatusNote(status, detail)
        if note not in self.statuses:
            self.statuses.append(note)

    @property
    def group_of(self) -> str:
        """The student whose group submission this row shares ("" for a file of its own)."""
        return self.lms.group_of if self.lms else ""

    @property
    def status_text(self) -> str:
        return "; ".join(s.text for s in self.statuses) or Status.OK.value

    @property
    def points(self) -> float:
        """The tests' points (the written answers' are added when rendered: ``final``)."""
        return sum(t.earned for t in self.tests)

    @property
    def final_points(self) -> float:
        """The points that count: after overrides and the late penalty, once rendered."""
        return self.points if self.final is None else self.final


def fmt(points: float) -> str:
    """Points without a useless ``.0``."""
    return str(int(points)) if float(points).is_integer() else f"{points:.2f}".rstrip("0")


def safe_name(text: str) -> str:
    """A file name made from a student id: no folders, no leading dot, nothing unprintable."""
    cleaned = "".join(c if c.isalnum() or c in "-_.@ " else "_" for c in str(text)).strip(" .")
    return PurePosixPath(cleaned or "_").name[:120]
