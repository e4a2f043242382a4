"""Households whose transfer was deferred for want of places, and the order they are retried in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from keten.contracts.values import LocationType
from keten.placement.domain.locations import Location, choose_location


@dataclass(frozen=True)
class Waiting:
    """A deferred household, waiting at its application centre for a place of `wanted` type."""

    case_id: str
    persons: int
    wanted: LocationType
    home_province: str | None


def plan_retries(
    waiting: Sequence[Waiting], locations: Sequence[Location]
) -> list[tuple[Waiting, Location]]:
    """Who goes where when places free up: oldest deferral first, while they fit.

    `waiting` is in order of deferral. Per wanted type the queue stops at the first household
    that still does not fit, so that a large family is not overtaken for ever by a stream of
    smaller ones; a household waiting for another type is not held up by it.
    """
    by_id = {location.location_id: location for location in locations}
    blocked: set[LocationType] = set()
    plan: list[tuple[Waiting, Location]] = []
    for household in waiting:
        if household.wanted in blocked:
            continue
        chosen = choose_location(
            household.persons, household.wanted, household.home_province, by_id.values()
        )
        if chosen is None:
            blocked.add(household.wanted)
            continue
        plan.append((household, chosen))
        by_id[chosen.location_id] = chosen.taken(household.persons)
    return plan
