"""What a learning platform is to the grader: one class per platform, behind this one protocol.

A platform (``Platform``) may

- **claim** the files of its bulk download (``claim``: who a path belongs to, as a ``Claim``;
  ``prepare``: files of the download that are about other files, such as a metadata file or
  receipts, read and taken out);
- **read** its roster export (``read_roster``: a ``roster.Roster``, or None when the header is
  not its format), with its gradebook's assignment columns and their points possible;
- **name** its gradebook columns (``column_title``: the assignment a column is for, in the
  platform's own naming, such as Canvas's "Lab 4: XOR layers (8812)");
- **write** its grade import and bulk feedback upload (``grade_import``, ``feedback_upload``)
  into the files it declares (``exports``).

Every method has a default that does nothing, so a new platform is one class that overrides what
it has; ``registry`` lists the platforms, and the results folder's known files, the command
line's help and the exports all derive from it. A platform only sees typed records (``Claim``,
``File``, ``Roster``, ``GradeRow``, ``Table``), never the results store: ``lms`` stays below ``intake``,
``results`` and ``render``.
"""
from __future__ import annotations

import dataclasses
from pathlib import PurePosixPath
from typing import Callable

from coursetools.grading.records import LmsIdentity, Scheme


@dataclasses.dataclass
class File:
    """One file of the hand-in: its path inside the hand-in, its bytes, and any problem."""

    path: PurePosixPath
    raw: bytes | None = None
    problem: str = ""          # why it cannot be read (a link, too large...)
    mtime: tuple | None = None   # the time stored in the zip (None for a folder)


@dataclasses.dataclass
class Claim:
    """Who a file says it belongs to, as its LMS named it."""

    key: str                   # the id the name gives (LMS user id, folder or file name)
    name: str = ""             # the person's name in the path, if any
    scheme: Scheme = Scheme.FILE
    late: bool = False
    attempt: int = 0           # Canvas's -N
    order: int = 0             # the LMS's file id: a later upload has a larger one
    original: str = ""         # the file name the student gave
    user: str = ""             # the LMS's id of the student (Canvas user, Moodle participant)
    prefix: str = ""           # the LMS's prefix of the name (for its bulk feedback upload)
    submitted: str = ""        # the hand-in time the LMS recorded (ISO), if it says
    group: tuple[tuple[str, str], ...] = ()  # the other members of a group: (id, name)
    off_roster: bool = False   # set by a roster that knows nobody of that id or name
    why: str = ""              # ... and why, when several roster students would fit

    def identity(self) -> LmsIdentity | None:
        """What the row keeps of the claim for its LMS (None for a plain file)."""
        if self.scheme is Scheme.FILE:
            return None
        return LmsIdentity(self.scheme, self.user, self.prefix, self.group)


Refine = Callable[[Claim], Claim]
NOTEBOOK_SUFFIXES = (".ipynb", ".ipynb.txt", ".ipynb.json")


def stem(name: str) -> str:
    """A file name without its notebook suffix (``lab1-2.ipynb.txt``: ``lab1-2``) or extension."""
    lower = name.lower()
    for suffix in NOTEBOOK_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name.rsplit(".", 1)[0] if "." in name else name


def unchanged(claim: Claim) -> Claim:
    return claim


@dataclasses.dataclass(frozen=True)
class Column:
    """The lab's column in a platform's gradebook and the points the assignment is worth there."""

    name: str
    points_possible: float | None = None   # None: the lab's own points


@dataclasses.dataclass(frozen=True)
class GradeRow:
    """One student's line of a grade import, as the exports hand it to a platform."""

    student: str
    name: str
    roster: dict                   # the roster export's own columns of the student
    lms: LmsIdentity | None
    grade: str                     # points as text, scaled to the column; "" for missing
    off_roster: bool = False


@dataclasses.dataclass(frozen=True)
class Table:
    """A grade import as rows of text; ``render.exports`` writes it as CSV, escaping every cell."""

    header: list[str]
    rows: list[list[str]]


class Platform:
    """The protocol (see the module docstring); every default does nothing."""

    name = ""                          # the registry's key, ``Scheme.platform``
    title = ""                         # as people write it, for messages and help
    roster_formats: tuple[str, ...] = ()   # ``Roster.format`` values its reader returns
    exports: tuple[str, ...] = ()      # files it writes into the results folder
    roster_help = ""                   # which export to give as --roster, for the help
    maps_columns = False               # its import asks which grade item each column is
    column_example = ""                # a gradebook column as its export names it
    import_needs_roster = False        # its import matches ids only its roster export has

    def claim(self, parts: tuple[str, ...]) -> Claim | None:
        """Who a file of the download belongs to, from its path parts; None: not this LMS's."""
        return None

    def prepare(self, files: list[File], warnings: list[str]) -> tuple[list[File], Refine]:
        """Files of the download about other files, read and taken out, and what they add."""
        return files, unchanged

    def recognises(self, files: list[File]) -> bool:
        """True if ``files`` are this platform's download (to look through a wrapping folder)."""
        return any(self.claim(f.path.parts) is not None for f in files)

    def read_roster(self, header: list[str], rows: list[list[str]], source: str):
        """A ``roster.Roster`` if ``header`` is this platform's export, else None."""
        return None

    def column_title(self, column: str) -> str | None:
        """The assignment a gradebook column of this platform is for; None: not an assignment."""
        return None

    def grade_import(self, rows: list[GradeRow], column: Column,
                     max_points: float) -> tuple[Table, list[str]]:
        """The grade import (its first file of ``exports``) and warnings (rows it leaves out)."""
        raise NotImplementedError(f"{self.title} has no grade import")

    def feedback_upload(self, rows: list[GradeRow], pages: dict[str, str],
                        lab: str) -> dict[str, str]:
        """The bulk feedback upload's files (name in the zip -> HTML page)."""
        return {}
