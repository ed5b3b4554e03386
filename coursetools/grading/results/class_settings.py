"""The class's settings of a grading run: roster, deadline, late rule, the LMS column and its
points possible, overrides.

``pipeline`` uses them at two places in the run:

- ``load`` before collecting: reads ``--roster``, ``--deadline``, ``--late-penalty``,
  ``--assignment`` and ``--points-possible`` (or keeps those of the results already in OUT, so
  a regrade of a few students needs none of them again), checks ``OUT/overrides.csv``, and,
  with a roster of a platform that has a gradebook, finds the lab's column in it (or stops
  with a message that asks for ``--assignment``), so that a mistake in any of them stops the
  run before a notebook is executed;
- ``Settings.rows`` after collecting: the collected rows with their roster fields, and a
  ``missing`` row for every roster student without a file.

Applying the overrides and the late rule, and writing the LMS outputs, is the conductor's
(``pipeline.render``).
"""
from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

from coursetools.grading.results import late, overrides
from coursetools.grading.lms import registry, roster as rostermod
from coursetools.grading.records import Status, Submission
from coursetools.grading.results.store import Store


class SettingsError(Exception):
    """A roster, deadline, penalty rule or overrides file that cannot be used."""


@dataclasses.dataclass
class Settings:
    roster: rostermod.Roster | None = None
    deadline: str = ""
    late_penalty: str = ""
    assignment: str = ""
    points_possible: float | None = None
    given: tuple[str, ...] = ()        # the settings this run's options gave
    handed_in: frozenset = frozenset()  # students OUT already has a graded file of
    column: str = ""                    # the roster's column for the lab (found, or given)

    @property
    def resolve(self):
        return rostermod.resolver(self.roster) if self.roster else None

    def rows(self, subs: list[Submission], keep=lambda student: True) -> list[Submission]:
        """``subs`` with roster fields, plus the ``missing`` rows (those ``keep`` accepts).

        A student whose file OUT already graded is not missing: this run regrades others.
        """
        if self.roster is None:
            return subs
        return subs + [s for s in rostermod.attach(self.roster, subs)
                       if keep(s.student) and s.student not in self.handed_in]

    def check_columns(self, subs: list[Submission], lab: str) -> None:
        """Stop (SettingsError) before grading when the class came from a platform whose import
        needs the lab's column and nothing says which one it is (``lms.registry``)."""
        platforms = {sub.lms.scheme.platform for sub in subs if sub.lms}
        for name in sorted(platforms - {registry.of_roster(self.roster).name
                                        if self.roster else ""}):
            if not registry.platform(name).exports or registry.platform(name).import_needs_roster:
                continue     # nothing to import, or no import without its roster: no column
            try:
                registry.assignment_column(self.roster, lab, name, self.assignment,
                                           self.points_possible)
            except registry.ColumnError as error:
                raise SettingsError(str(error)) from None

    def store_into(self, store: Store) -> None:
        """Keep this run's settings in the results (others stay as they were)."""
        values = {"roster": self.roster.to_dict() if self.roster else None,
                  "deadline": self.deadline, "late_penalty": self.late_penalty,
                  "assignment": self.assignment, "points_possible": self.points_possible}
        for name in self.given:
            setattr(store, name, values[name])

    def record(self) -> dict:
        """What the run record keeps of them."""
        return {"roster": (self.roster.format, len(self.roster.students)) if self.roster
                else None, "deadline": self.deadline or None,
                "late_penalty": self.late_penalty or None,
                "assignment": self.column or self.assignment or None,
                "points_possible": self.points_possible}


def _stored(out: Path) -> dict:
    path = Path(out) / "results.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def load(out: Path, roster: Path | None = None, deadline: str | None = None,
         late_penalty: str | None = None, assignment: str | None = None,
         fresh: bool = False, points_possible: float | None = None,
         lab: str = "") -> Settings:
    """The run's settings: the options given, else those kept in OUT/results.json; ``lab``
    (the lab id) to find its column in the roster's gradebook."""
    stored = {} if fresh else _stored(out)
    given = []
    try:
        if roster is not None:
            chosen = registry.load_roster(roster)
            given.append("roster")
        else:
            chosen = rostermod.Roster.from_dict(stored["roster"]) if stored.get("roster") else None
        rule = late.parse_rule(late_penalty if late_penalty is not None
                               else stored.get("late_penalty"))
        when = deadline if deadline is not None else stored.get("deadline", "")
        late.parse_deadline(when)
    except (rostermod.RosterError, ValueError) as error:
        raise SettingsError(str(error)) from None
    if points_possible is not None and not points_possible > 0:
        raise SettingsError(f"--points-possible must be more than 0, not {points_possible:g}")
    given += [name for name, value in (("late_penalty", late_penalty), ("deadline", deadline),
                                       ("assignment", assignment),
                                       ("points_possible", points_possible)) if value is not None]
    found = Settings(chosen, when or "", rule.text if rule else "",
                     assignment if assignment is not None else stored.get("assignment", ""),
                     points_possible if points_possible is not None
                     else stored.get("points_possible"),
                     tuple(given), frozenset(row["student"] for row in stored.get("students", [])
                                             if row.get("source")))
    found.column = _column(found, lab or stored.get("lab", ""))
    tests = {t["test"]: t["points"] for t in stored.get("tests", [])}
    check_overrides(out, tests, sum(tests.values()) if tests else float("inf"))
    return found


def _column(settings: Settings, lab: str) -> str:
    """The lab's column in the roster's gradebook; stops (SettingsError) when the roster's
    platform imports grades by column name and no column, or several, could be the lab's."""
    if settings.roster is None or not lab:
        return settings.assignment
    platform = registry.of_roster(settings.roster)
    if not platform.exports:
        return settings.assignment
    try:
        return registry.assignment_column(settings.roster, lab, platform.name,
                                          settings.assignment, settings.points_possible).name
    except registry.ColumnError as error:
        raise SettingsError(str(error)) from None


def share_group_results(subs: list[Submission]) -> None:
    """Every member row of a group submission gets the results of the group's graded file."""
    by_id = {sub.student: sub for sub in subs}
    for sub in subs:
        leader = by_id.get(sub.group_of)
        if leader is None:
            continue
        own = [s for s in sub.statuses if s.status is Status.NOT_ON_ROSTER]
        sub.statuses = own + [s for s in leader.statuses if s.status is not Status.NOT_ON_ROSTER]
        sub.tests, sub.key = copy.deepcopy(leader.tests), leader.key
        sub.notes = [f"Graded from the group submission handed in by "
                     f"{leader.name or leader.student}."] + list(leader.notes)
        sub.other_files = list(leader.other_files)


def check_overrides(out: Path, tests: dict[str, float], max_points: float) -> None:
    """Stop on a malformed overrides.csv (test points: those of earlier results, if any)."""
    if not tests:
        return
    try:
        overrides.load(out, tests, max_points, {})
    except overrides.OverridesError as error:
        raise SettingsError(str(error)) from None
