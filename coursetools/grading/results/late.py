"""Late work: when a hand-in is late, by how many days, and the penalty rule.

A row is late when its LMS says so (Canvas's ``LATE`` in the file name) or when the time the
export stored with the file (a zip member's time; not Canvas's, whose zip holds the time of the
download) is after ``--deadline``. Days late are counted in started days (one minute late is
one day). When only the LMS's flag is known, the number of days is not: the row counts as one
day late, and its feedback says so.

The penalty rule (``--late-penalty``) is applied after the tests, to the points earned:

| rule | meaning |
|---|---|
| ``10%/day,max=50%`` | 10 % of the lab's points per started day, at most 50 % |
| ``2/day,max=6`` | 2 points per started day, at most 6 points |
| ``20%`` | 20 % of the lab's points once, however late |
| ``5`` | 5 points once |
| ``none`` | no penalty (forgets a rule kept in the results) |

A penalty never takes a row below 0 points.
"""
from __future__ import annotations

import dataclasses
import datetime
import math
import re

from coursetools.grading.records import fmt

RULE = re.compile(r"^(?P<amount>\d+(?:\.\d+)?)(?P<percent>%)?(?P<per_day>/day)?"
                  r"(?:,max=(?P<cap>\d+(?:\.\d+)?)(?P<cap_percent>%)?)?$")
DEADLINE_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


@dataclasses.dataclass(frozen=True)
class Rule:
    amount: float
    percent: bool
    per_day: bool
    cap: float | None = None
    cap_percent: bool = False

    @property
    def text(self) -> str:
        """The canonical spelling (what results.json and the run record keep)."""
        text = fmt(self.amount) + ("%" if self.percent else "") + ("/day" if self.per_day else "")
        if self.cap is not None:
            text += f",max={fmt(self.cap)}" + ("%" if self.cap_percent else "")
        return text

    def describe(self, max_points: float) -> str:
        unit = "% of the points" if self.percent else " points"
        words = f"{fmt(self.amount)}{unit}" + (" per started day late" if self.per_day else
                                                " if late")
        if self.cap is not None:
            words += f", at most {fmt(self.cap)}" + ("% of the points" if self.cap_percent
                                                      else " points")
        return words

    def penalty(self, days: int, max_points: float, earned: float) -> float:
        if days <= 0:
            return 0.0
        one = self.amount * max_points / 100 if self.percent else self.amount
        total = one * days if self.per_day else one
        if self.cap is not None:
            total = min(total, self.cap * max_points / 100 if self.cap_percent else self.cap)
        return round(max(0.0, min(total, earned)), 6)


def parse_rule(text: str | None) -> Rule | None:
    """A Rule from ``--late-penalty`` text; None for ``none`` or empty; ValueError if unclear."""
    if text is None or text.strip().lower() in ("", "none"):
        return None
    compact = re.sub(r"\s+", "", text.lower()).replace("perday", "/day")
    match = RULE.match(re.sub(r"/d(?=,|$)", "/day", compact))
    if not match:
        raise ValueError(f"late penalty {text!r}: write e.g. 10%/day,max=50% (percent of the "
                         "lab's points per started day, capped), 2/day,max=6 (points), 20% or 5 "
                         "(once), or none")
    rule = Rule(float(match["amount"]), bool(match["percent"]), bool(match["per_day"]),
                float(match["cap"]) if match["cap"] else None, bool(match["cap_percent"]))
    if (rule.percent and rule.amount > 100) or (rule.cap_percent and (rule.cap or 0) > 100):
        raise ValueError(f"late penalty {text!r}: a percentage above 100")
    return rule


def parse_deadline(text: str | None) -> datetime.datetime | None:
    """``--deadline`` as a local time without a zone (a date alone means its last second)."""
    if not text:
        return None
    text = text.strip()
    for form in DEADLINE_FORMATS:
        try:
            return datetime.datetime.strptime(text, form)
        except ValueError:
            pass
    try:
        day = datetime.datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        raise ValueError(f"deadline {text!r}: write YYYY-MM-DD or YYYY-MM-DDTHH:MM, in the "
                         "time zone of the LMS that made the zip (its times carry no "
                         "zone)") from None
    return day.replace(hour=23, minute=59, second=59)


def days_late(submitted: str, deadline: datetime.datetime | None) -> int | None:
    """Started days after the deadline (0 on time); None when the time or deadline is unknown."""
    if not submitted or deadline is None:
        return None
    delta = datetime.datetime.fromisoformat(submitted) - deadline
    return max(0, math.ceil(delta.total_seconds() / 86400))
