"""Simulated days and times in the Europe/Amsterdam calendar, and half-year periods (the civil
calendar itself is `keten.contracts.civil_time`)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Final

from keten.contracts.civil_time import AMSTERDAM, half_year

MINUTES_PER_DAY: Final = 24 * 60


def moment(day: date, minute: int) -> datetime:
    """`minute` minutes after local midnight of `day` (wall-clock minutes, so DST is kept)."""
    hours, minutes = divmod(minute, 60)
    return datetime.combine(day, time(hours, minutes), tzinfo=AMSTERDAM)


def period_start(period: str) -> date:
    year, half = period.split("-H")
    return date(int(year), 1 if half == "1" else 7, 1)


def periods_between(first: date, last: date) -> list[str]:
    """Every half year from the one holding `first` to the one holding `last`, in order."""
    found: list[str] = []
    day = first
    while day <= last:
        period = half_year(day)
        if period not in found:
            found.append(period)
        day += timedelta(days=1)
    return found


def days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(count)]


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
