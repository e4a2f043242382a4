"""The civil time of the chain's rules, once, for the services and the simulator alike.

All civil dates are Europe/Amsterdam dates (DST applies; domain.md, "Time rules, precisely").
A term counts from the local date of its start: its due date is that date plus the term, and it
is breached from 00:00 local on the day after the due date (warned of from 00:00 local some days
before the due date). Pure functions, no I/O; instants are timezone-aware and come back in UTC.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

AMSTERDAM: Final = ZoneInfo("Europe/Amsterdam")


@dataclass(frozen=True)
class Term:
    """The length of a time rule: whole calendar months (end-of-month clamped), then days."""

    months: int = 0
    days: int = 0

    def after(self, day: date) -> date:
        """The due date of the term counted from the civil date `day`."""
        return add_months(day, self.months) + timedelta(days=self.days)

    def before(self, day: date) -> date:
        """The civil date the term's length before `day` (a warning's date)."""
        return add_months(day, -self.months) - timedelta(days=self.days)


# Housed at the latest 14 weeks after pairing (domain.md, "The life of a case", 6).
HOUSING_TERM: Final = Term(days=98)
# An approaching deadline is announced 14 days before its due date.
DEADLINE_WARNING: Final = Term(days=14)
# The right to reception ends 28 days after a final rejection.
ENTITLEMENT_TERM: Final = Term(days=28)
# A stay in the HTL (enforcement and supervision) lasts at most 3 calendar months.
HTL_STAY: Final = Term(months=3)
# A transit location (doorstroomlocatie) is for at most one calendar year (29 Feb -> 28 Feb).
TRANSIT_STAY: Final = Term(months=12)

# COA grows to a stable stock of 41,000 places and does not shrink below it (000 §1.3, §3.2).
STABLE_STOCK: Final = 41_000
# COA plans capacity at 96 % occupancy: more places are planned once occupancy passes it.
PLANNING_NORM: Final = 0.96


def civil_date(moment: datetime) -> date:
    """The Amsterdam calendar date of an instant."""
    if moment.tzinfo is None:
        raise ValueError("a moment of a rule is timezone-aware")
    return moment.astimezone(AMSTERDAM).date()


def start_of_day(day: date) -> datetime:
    """00:00 in Amsterdam on `day`, as a UTC instant (DST changes at 02:00/03:00, so local
    midnight always exists and is unambiguous)."""
    return datetime.combine(day, time(0), tzinfo=AMSTERDAM).astimezone(UTC)


def due_date(start: datetime, term: Term) -> date:
    """The last day of a term that starts at the instant `start`: its local date plus `term`."""
    return term.after(civil_date(start))


def breach_day(due_on: date) -> date:
    """The first civil day on which a rule due on `due_on` is breached: the day after."""
    return due_on + timedelta(days=1)


def breach_moment(due_on: date) -> datetime:
    """A rule is breached from 00:00 Amsterdam on the day after its due date."""
    return start_of_day(breach_day(due_on))


def warning_moment(due_on: date, warning: Term = DEADLINE_WARNING) -> datetime:
    """A rule is warned of from 00:00 Amsterdam `warning` before its due date."""
    return start_of_day(warning.before(due_on))


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later (or earlier); a day past the end of the target
    month becomes its last day (30 November + 3 months = 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 28 February."""
    return add_months(day, 12 * years)


def half_year(day: date) -> str:
    """The half year (`2026-H1` = Jan-Jun, `2026-H2` = Jul-Dec) of a civil date."""
    return f"{day.year}-H{1 if day.month <= 6 else 2}"
