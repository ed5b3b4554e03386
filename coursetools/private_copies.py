"""Private instructor notebooks kept in step with the course: ``coursetools sync PRIVATE...``.

An instructor who keeps hidden tests private grades with a copy of ``solutions/<lab>.ipynb``
that lives outside the repository (``--instructor``), with hidden cells and a seed of its own.
When the course changes, that copy drifts. ``sync`` compares each private copy with the course's
instructor notebook of the same lab and says, part by part, what differs and what it does:

- **updated** (safe: the course owns them, nothing private is in them): the test-helper cell
  (rebuilt for the lab's contract and diagnosis vocabulary), the contract, methods and diagnosis
  vocabulary in the metadata, and every *visible* test cell, matched by its test ids; a visible
  test cell that only the course has is added after the cell that precedes it in the course;
  so is a written answer (with its question) that only the course has;
- **review** (never changed without being asked): a solution cell that differs from the course's
  (``--take-solutions`` takes the course's: a fixed reference must reach the private copy), a
  visible test cell that only the private copy has, a seed that is missing or the course's own
  (the private copy's inputs would be the public ones: ``--new-seed`` draws one), a written
  answer whose marker, model answer or rubric differs from the course's (the points and what
  earns them are the instructor's to decide);
- **kept**: the private hidden-test cells, the seed, the written answers only the private copy
  has, Markdown and the other code cells.

Nothing is written without ``--write``; a written copy is re-read as the grader reads it.
"""
from __future__ import annotations

import copy
import dataclasses
import os
import secrets as secretsmod
import tempfile
from pathlib import Path

import nbformat

from coursetools import cells, markers


class SyncError(Exception):
    """A private copy that cannot be compared (the message says why)."""


@dataclasses.dataclass(frozen=True)
class Change:
    part: str          # what it is about: "helper cell", "visible test forward_one_sample", ...
    action: str        # "updated", "added", "review", "kept"
    detail: str = ""

    @property
    def text(self) -> str:
        return f"{self.action:8} {self.part}" + (f": {self.detail}" if self.detail else "")


@dataclasses.dataclass
class Report:
    path: Path
    lab: str
    changes: list[Change]
    notebook: nbformat.NotebookNode     # the private copy with the safe updates applied

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.action in ("updated", "added")]

    @property
    def to_review(self) -> list[Change]:
        return [c for c in self.changes if c.action == "review"]


def _key(info: markers.CellInfo, cell) -> tuple:
    """What identifies a cell across the two notebooks: its tests, or the names it defines."""
    if info.kind in ("test", "hidden"):
        return (info.kind, tuple(info.tests))
    if info.kind == "answer":
        return ("answer", (info.answer.id,))
    if info.kind == "solution":
        lines = cell.source.split("\n")
        defined = sorted({r.qualname or r.function or "" for r in info.regions})
        first = next((l.strip() for l in lines if l.strip()), "")
        return ("solution", tuple(defined), first if not any(defined) else "")
    return (info.kind,)


def _labelled(infos, nb) -> list[tuple[tuple, markers.CellInfo]]:
    return [(_key(info, nb.cells[info.index]), info) for info in infos]


def _test_name(key: tuple) -> str:
    return ", ".join(key[1])


def compare(course, private, *, take_solutions: bool = False, new_seed: bool = False,
            path: Path | None = None) -> Report:
    """The private copy ``private`` (a notebook) against the course's ``course``."""
    course_meta = course.metadata.get(markers.METADATA, {})
    private = copy.deepcopy(private)
    meta = private.metadata.setdefault(markers.METADATA, {})
    lab = course_meta.get("lab")
    if meta.get("lab") != lab:
        raise SyncError(f"{path}: a copy of {meta.get('lab')!r}, not of {lab!r}")
    try:
        course_infos = markers.parse_notebook(course)
        private_infos = markers.parse_notebook(private, path)
    except markers.MarkerError as error:
        raise SyncError(str(error)) from None
    changes: list[Change] = []

    for name in ("contract", "methods", "diagnosis"):
        if meta.get(name) != course_meta.get(name):
            changes.append(Change(name, "updated", f"{meta.get(name)} -> {course_meta.get(name)}"))
            meta[name] = copy.deepcopy(course_meta.get(name))

    seed = meta.get("seed")
    if new_seed and (not seed or seed == course_meta.get("seed")):
        meta["seed"] = secretsmod.token_hex(8)
        changes.append(Change("seed", "updated", "a new seed of its own"))
    elif not seed:
        changes.append(Change("seed", "review", "none: grading would use a hash of the notebook; "
                              "give it a seed of its own (--new-seed)"))
    elif seed == course_meta.get("seed"):
        changes.append(Change("seed", "review", "the course's public seed: the graded inputs "
                              "are the public ones (--new-seed draws one)"))
    else:
        changes.append(Change("seed", "kept"))

    helper = next(private.cells[i.index] for i in private_infos if i.kind == "helpers")
    current = cells.helper_source(lab, meta.get("contract", []), meta.get("methods"), strict=True,
                                  diagnosis=meta.get("diagnosis"))
    if helper.source != current:
        found = cells.helper_version(helper.source)
        helper.source = current
        helper.metadata.update(copy.deepcopy(cells.HELPER_METADATA))
        changes.append(Change("helper cell", "updated",
                              f"version {found} -> {cells.helper_version(current)}"))

    course_cells = _labelled(course_infos, course)
    private_keys = {key: info for key, info in _labelled(private_infos, private)
                    if key[0] in ("test", "solution", "answer")}
    course_keys = {key for key, _ in course_cells}
    insert_after: list[tuple[int, nbformat.NotebookNode, str]] = []
    previous = None          # the private index of the last course cell found in the copy
    for key, info in course_cells:
        source_cell = course.cells[info.index]
        mine = private_keys.get(key)
        if key[0] == "test":
            if mine is None:
                insert_after.append((previous, [copy.deepcopy(source_cell)],
                                     f"visible test {_test_name(key)}"))
                continue
            target = private.cells[mine.index]
            if target.source != source_cell.source:
                target.source = source_cell.source
                changes.append(Change(f"visible test {_test_name(key)}", "updated"))
        elif key[0] == "solution" and mine is not None:
            target = private.cells[mine.index]
            if target.source != source_cell.source:
                if take_solutions:
                    target.source = source_cell.source
                    changes.append(Change(f"solution {_test_name(key)}", "updated",
                                          "the course's version (--take-solutions)"))
                else:
                    changes.append(Change(f"solution {_test_name(key)}", "review",
                                          "differs from the course's (--take-solutions takes it)"))
        elif key[0] == "solution":
            changes.append(Change(f"solution {_test_name(key)}", "review",
                                  "only the course has it: copy it into the private notebook"))
        elif key[0] == "answer" and mine is None:      # with its question, the cell before it
            insert_after.append((previous, [copy.deepcopy(course.cells[info.index - 1]),
                                            copy.deepcopy(source_cell)],
                                 f"written answer {_test_name(key)}"))
            continue
        elif key[0] == "answer" and private.cells[mine.index].source != source_cell.source:
            changes.append(Change(f"written answer {_test_name(key)}", "review",
                                  "its points, model answer or rubric differ from the course's"))
        if mine is not None:
            previous = mine.index
    for key, info in private_keys.items():
        if key[0] == "test" and key not in course_keys:
            changes.append(Change(f"visible test {_test_name(key)}", "review",
                                  "only the private copy has it"))
        elif key[0] == "answer" and key not in course_keys:
            changes.append(Change(f"written answer {_test_name(key)}", "kept",
                                  "only the private copy has it"))
    # From the end, and the later of two cells bound for one place first, so indices hold.
    for order, (after, new_cells, part) in sorted(
            enumerate(insert_after), key=lambda t: (-1 if t[1][0] is None else t[1][0], t[0]),
            reverse=True):
        at = 0 if after is None else after + 1
        private.cells[at:at] = new_cells
        changes.append(Change(part, "added"))
    hidden = sum(1 for i in private_infos if i.kind == "hidden")
    changes.append(Change("hidden tests", "kept", f"{hidden} private cell(s)"))
    return Report(path=path or Path("?"), lab=lab, changes=changes, notebook=private)


def course_notebook(root: Path, lab: str) -> nbformat.NotebookNode:
    path = Path(root) / "solutions" / f"{lab}.ipynb"
    if not path.is_file():
        raise SyncError(f"the course has no lab {lab!r} (no {path})")
    return nbformat.read(path, as_version=4)


def sync(root: Path, private_path: Path, **options) -> Report:
    """Compare one private copy with the course's notebook of its lab."""
    try:
        private = nbformat.read(private_path, as_version=4)
    except (OSError, ValueError) as error:
        raise SyncError(f"{private_path}: not a readable notebook ({error})") from None
    lab = private.metadata.get(markers.METADATA, {}).get("lab")
    if not lab:
        raise SyncError(f"{private_path}: no metadata.coursetools.lab: not an instructor notebook")
    return compare(course_notebook(root, lab), private, path=Path(private_path), **options)


def write(report: Report) -> None:
    """Write the updated copy in place, atomically, after checking that it still parses."""
    markers.parse_notebook(report.notebook, report.path)
    handle, temporary = tempfile.mkstemp(dir=report.path.parent, suffix=".ipynb")
    os.close(handle)
    nbformat.write(report.notebook, temporary)
    os.replace(temporary, report.path)
