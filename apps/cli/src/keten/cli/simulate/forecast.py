"""What a plan implies if the chain applies every command: persons in reception per day,
permit holders waiting, and the totals a scenario is calibrated on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date

from keten.cli.simulate.lifecycle import Life
from keten.cli.simulate.plan import Forecast
from keten.contracts.civil_time import HOUSING_TERM, breach_day, half_year


def _per_day(
    spans: Iterable[tuple[date, date | None, int]], days: Sequence[date]
) -> dict[date, int]:
    """Persons present on each day, from [arrival, departure) spans."""
    change: Counter[date] = Counter()
    for first, until, persons in spans:
        change[first] += persons
        if until is not None:
            change[until] -= persons
    running = 0
    found: dict[date, int] = {}
    earlier = sum(n for day, n in change.items() if day < days[0])
    running = earlier
    for day in days:
        running += change[day]
        found[day] = running
    return found


def occupied_by_day(lives: Iterable[Life], days: Sequence[date]) -> dict[date, int]:
    return _per_day(((life.arrived, life.left, life.persons) for life in lives), days)


def transferred_by_day(lives: Iterable[Life], days: Sequence[date]) -> dict[date, int]:
    """Persons past the application phase: from the track (and transfer) until they leave."""
    spans = ((life.track_on, life.left, life.persons) for life in lives if life.track_on)
    return _per_day(spans, days)


def waiting_by_day(lives: Iterable[Life], days: Sequence[date]) -> dict[date, int]:
    """Permit holders in reception: from the permit until housed."""
    spans = ((life.granted, life.left, life.persons) for life in lives if life.granted is not None)
    return _per_day(spans, days)


def _overdue_at(life: Life, last_day: date) -> bool:
    """Paired on the permit day, breached from the day after its 14 weeks, and not housed by
    then."""
    if life.granted is None or breach_day(HOUSING_TERM.after(life.granted)) > last_day:
        return False
    return life.left is None or life.left > last_day


def forecast(
    lives: list[Life], days: Sequence[date], places: dict[date, int], start: date
) -> Forecast:
    counts: Counter[str] = Counter()
    for life in lives:
        counts["households"] += 1
        counts["persons"] += life.persons
        if life.arrived >= start:
            flow = "joining" if life.who.joining else "applied"
            counts[f"{flow}_persons:{life.arrived.year}"] += life.persons
            counts[f"{flow}_households"] += 1
        for day, outcome, final in life.outcomes:
            if day < start:
                continue
            if outcome == "granted":
                counts[f"granted_persons:{half_year(day)}"] += life.persons
            elif final:
                counts["rejected_final_households"] += 1
        if life.housed and life.housed[0][0] >= start:
            counts[f"housed_persons:{half_year(life.housed[0][0])}"] += life.persons
        if life.left is not None and life.left >= start and not life.housed:
            counts["departed_households"] += 1
        if _overdue_at(life, days[-1]):
            counts["overdue_households_at_end"] += 1
            counts["overdue_persons_at_end"] += life.persons
    occupied = occupied_by_day(lives, days)
    waiting = waiting_by_day(lives, days)
    counts["occupied_at_start"] = occupied[start]
    counts["occupied_at_end"] = occupied[days[-1]]
    counts["waiting_at_start"] = waiting[start]
    counts["waiting_at_end"] = waiting[days[-1]]
    counts["places_at_end"] = places[days[-1]]
    return Forecast(occupied=occupied, waiting=waiting, places=places, counts=dict(counts))
