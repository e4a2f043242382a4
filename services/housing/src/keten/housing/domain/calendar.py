"""The civil calendar of the rules: Europe/Amsterdam dates, half-year periods and deadlines.

Every date rule of housing lives here, once, as a named pure function (domain.md, "Time rules,
precisely"): a rule's due date counts in local dates; it is breached from 00:00 local on the day
after the due date, and warned of from 00:00 local some days before the due date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

AMSTERDAM: Final = ZoneInfo("Europe/Amsterdam")

# Housed at the latest 14 weeks after pairing (domain.md, "The life of a case", 6).
HOUSING_TERM: Final = timedelta(weeks=14)
# The approaching deadline is announced 14 days before the due date.
HOUSING_WARNING: Final = timedelta(days=14)
# A transit location (doorstroomlocatie) is for at most one year.
TRANSIT_STAY_YEARS: Final = 1


@dataclass(frozen=True)
class Deadline:
    """When a paired household must be housed: by `due_on`, warned from `warn_at`,
    breached from `breached_at`."""

    due_on: date
    warn_at: datetime
    breached_at: datetime


@dataclass(frozen=True)
class StayLimit:
    """The last day of a stay, and the moment it is exceeded."""

    due_on: date
    breached_at: datetime


def local_date(moment: datetime) -> date:
    """The Amsterdam calendar date of an instant."""
    if moment.tzinfo is None:
        raise ValueError("a moment of a rule is timezone-aware")
    return moment.astimezone(AMSTERDAM).date()


def start_of_day(day: date) -> datetime:
    """00:00 in Amsterdam on `day` (DST changes at 02:00/03:00, so midnight always exists)."""
    return datetime.combine(day, time(0), tzinfo=AMSTERDAM)


def breach_moment(due_on: date) -> datetime:
    """A rule is breached from 00:00 local on the day after its due date."""
    return start_of_day(due_on + timedelta(days=1))


def housing_deadline(paired_at: datetime) -> Deadline:
    """Pairing date + 98 days; warned 14 days before the due date, breached the day after."""
    due_on = local_date(paired_at) + HOUSING_TERM
    return Deadline(
        due_on=due_on,
        warn_at=start_of_day(due_on - HOUSING_WARNING),
        breached_at=breach_moment(due_on),
    )


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def transit_stay_limit(arrived_at: datetime) -> StayLimit:
    """A transit stay lasts at most one calendar year from the local date of arrival."""
    due_on = add_years(local_date(arrived_at), TRANSIT_STAY_YEARS)
    return StayLimit(due_on=due_on, breached_at=breach_moment(due_on))


def period_of(moment: datetime) -> str:
    """The half year (H1 = Jan-Jun, H2 = Jul-Dec) of the local date of `moment`."""
    day = local_date(moment)
    return f"{day.year}-H{1 if day.month <= 6 else 2}"
