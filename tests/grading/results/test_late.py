"""late: the penalty rule, the deadline and days late."""
from __future__ import annotations

import datetime

import pytest

from coursetools.grading.results import late


@pytest.mark.parametrize("text, canonical", [
    ("10%/day,max=50%", "10%/day,max=50%"),
    ("10 % per day, max = 50 %", "10%/day,max=50%"),
    ("2/d,max=6", "2/day,max=6"),
    ("20%", "20%"),
    ("5", "5"),
    ("0.5/day", "0.5/day"),
])
def test_rules_and_their_canonical_text(text, canonical):
    assert late.parse_rule(text).text == canonical


@pytest.mark.parametrize("text", ["", "none", None])
def test_no_rule(text):
    assert late.parse_rule(text) is None


@pytest.mark.parametrize("text", ["10%/week", "max=50%", "ten", "150%", "10%/day,max=120%"])
def test_unclear_rules_are_errors_that_show_the_syntax(text):
    with pytest.raises(ValueError, match="10%/day,max=50%|above 100"):
        late.parse_rule(text)


@pytest.mark.parametrize("rule, days, earned, expected", [
    ("10%/day,max=50%", 1, 20, 2),      # 10 % of the lab's 20 points
    ("10%/day,max=50%", 3, 20, 6),
    ("10%/day,max=50%", 9, 20, 10),     # capped at 50 %
    ("10%/day,max=50%", 9, 4, 4),       # never below 0 points
    ("2/day,max=5", 2, 20, 4),
    ("2/day,max=5", 4, 20, 5),
    ("20%", 7, 20, 4),                  # once, however late
    ("5", 1, 20, 5),
    ("5", 0, 20, 0),                    # on time
])
def test_penalty(rule, days, earned, expected):
    assert late.parse_rule(rule).penalty(days, 20, earned) == expected


def test_description_in_words():
    assert late.parse_rule("10%/day,max=50%").describe(20) == (
        "10% of the points per started day late, at most 50% of the points")
    assert late.parse_rule("5").describe(20) == "5 points if late"


def test_deadline_and_started_days():
    deadline = late.parse_deadline("2026-03-01T23:59")
    assert deadline == datetime.datetime(2026, 3, 1, 23, 59)
    assert late.parse_deadline("2026-03-01") == datetime.datetime(2026, 3, 1, 23, 59, 59)
    assert late.days_late("2026-03-01T23:00:00", deadline) == 0
    assert late.days_late("2026-03-02T00:00:00", deadline) == 1      # one minute: one day
    assert late.days_late("2026-03-03T23:59:00", deadline) == 2
    assert late.days_late("2026-03-03T23:59:01", deadline) == 3
    assert late.days_late("", deadline) is None and late.days_late("2026-03-03T00:00", None) is None
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        late.parse_deadline("March 1st")
