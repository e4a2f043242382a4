"""How long permit holders wait: from permit to housing, and housing within the 14 weeks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from keten.contracts.civil_time import civil_date

WEEK: Final = timedelta(weeks=1)


@dataclass(frozen=True)
class HousedHousehold:
    """One household housed: when its permit was granted, when it was housed, by when it was
    due (its pairing's due date) and how many persons it has."""

    permit_at: datetime
    housed_at: datetime
    due_on: date
    persons: int


@dataclass(frozen=True)
class HousingTimes:
    households: int
    persons: int
    mean_weeks_from_permit: float | None
    p90_weeks_from_permit: float | None
    share_housed_within_term: float | None


def weeks_between(start: datetime, end: datetime) -> float:
    return (end - start) / WEEK


def housed_in_time(household: HousedHousehold) -> bool:
    """Housed on or before the due date, in local dates (the 14 weeks after pairing)."""
    return civil_date(household.housed_at) <= household.due_on


def nearest_rank(values: Sequence[float], fraction: float) -> float:
    """The percentile by the nearest-rank method: the smallest value with at least
    `fraction` of the values at or below it."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def housing_times(households: Sequence[HousedHousehold]) -> HousingTimes:
    """Per household (not per person) times, of the households housed in one period."""
    if not households:
        return HousingTimes(0, 0, None, None, None)
    weeks = [weeks_between(h.permit_at, h.housed_at) for h in households]
    in_time = sum(1 for h in households if housed_in_time(h))
    return HousingTimes(
        households=len(households),
        persons=sum(h.persons for h in households),
        mean_weeks_from_permit=round(sum(weeks) / len(weeks), 2),
        p90_weeks_from_permit=round(nearest_rank(weeks, 0.9), 2),
        share_housed_within_term=round(in_time / len(households), 4),
    )
