"""Housing's deadlines: 14 weeks after pairing, and a transit stay's year.

The civil calendar itself (Amsterdam dates, when a rule is due, warned and breached) is
`keten.contracts.civil_time`, shared with the other services and the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from keten.contracts.civil_time import (
    HOUSING_TERM,
    TRANSIT_STAY,
    breach_moment,
    civil_date,
    due_date,
    half_year,
    warning_moment,
)


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


def housing_deadline(paired_at: datetime) -> Deadline:
    """Pairing date + 98 days; warned 14 days before the due date, breached the day after."""
    due_on = due_date(paired_at, HOUSING_TERM)
    return Deadline(
        due_on=due_on, warn_at=warning_moment(due_on), breached_at=breach_moment(due_on)
    )


def transit_stay_limit(arrived_at: datetime) -> StayLimit:
    """A transit stay lasts at most one calendar year from the local date of arrival."""
    due_on = due_date(arrived_at, TRANSIT_STAY)
    return StayLimit(due_on=due_on, breached_at=breach_moment(due_on))


def period_of(moment: datetime) -> str:
    """The half year (H1 = Jan-Jun, H2 = Jul-Dec) of the local date of `moment`."""
    return half_year(civil_date(moment))
