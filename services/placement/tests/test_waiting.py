"""Deferred households: placed, oldest first, when places free up."""

from __future__ import annotations

from collections.abc import Sequence

from keten.contracts.messages import Event
from keten.contracts.placement import LeftReception
from keten.contracts.values import LocationType
from keten.placement.domain.locations import Location, choose_location, waiting_for
from keten.placement.domain.occupancy import occupancy_changes
from keten.placement.domain.waiting import Waiting, plan_retries

HOME = "Groningen"


def full(location_id: str, type_: LocationType = "azc", capacity: int = 10) -> Location:
    return Location(location_id, type_, HOME, capacity, capacity, open=True)


def waiting(case_id: str, persons: int, wanted: LocationType = "azc") -> Waiting:
    return Waiting(case_id, persons, wanted, HOME)


def after(locations: Sequence[Location], events: Sequence[Event]) -> list[Location]:
    """The locations once the events' places are taken and freed."""
    by_id = {location.location_id: location for location in locations}
    for change in occupancy_changes(events):
        location = by_id[change.location_id]
        by_id[change.location_id] = (
            location.taken(change.persons)
            if change.persons > 0
            else location.freed(-change.persons)
        )
    return list(by_id.values())


def left(location_id: str, persons: int) -> LeftReception:
    return LeftReception(case_id="other", location_id=location_id, persons=persons, reason="housed")


def test_nothing_free_then_emergency_then_deferred_then_placed_when_a_household_leaves() -> None:
    # given an AZC that is full and an emergency location with 2 places
    locations = [full("azc-1"), Location("nood-1", "emergency", HOME, 2, 0, open=True)]
    # when a household of 2 and then one of 3 need a place
    first = choose_location(2, "azc", HOME, locations)
    assert first is not None
    assert first.location_id == "nood-1"
    locations = [first.taken(2) if loc == first else loc for loc in locations]
    assert choose_location(3, "azc", HOME, locations) is None
    # then the household of 3 waits until a departure frees 3 places at the AZC
    locations = after(locations, [left("azc-1", 3)])
    plan = plan_retries([waiting("c-3", 3)], locations)
    assert [(w.case_id, loc.location_id) for w, loc in plan] == [("c-3", "azc-1")]


def test_a_departure_frees_places_for_the_oldest_waiting_households_first() -> None:
    locations = after([full("azc-1")], [left("azc-1", 4)])
    queue = [waiting("c-old", 2), waiting("c-mid", 2), waiting("c-new", 2)]

    plan = plan_retries(queue, locations)

    assert [w.case_id for w, _ in plan] == ["c-old", "c-mid"]


def test_a_household_that_does_not_fit_is_not_overtaken_by_a_later_one() -> None:
    locations = after([full("azc-1")], [left("azc-1", 3)])
    queue = [waiting("c-family", 6), waiting("c-single", 1)]

    assert plan_retries(queue, locations) == []


def test_a_household_waiting_for_another_type_is_not_held_up() -> None:
    locations = after([full("azc-1"), full("fast-1", "accelerated_azc")], [left("azc-1", 1)])
    queue = [waiting("c-fast", 1, "accelerated_azc"), waiting("c-general", 1)]

    plan = plan_retries(queue, locations)

    assert [w.case_id for w, _ in plan] == ["c-general"]


def test_freed_emergency_places_serve_every_queue_and_application_centre_places_none() -> None:
    assert waiting_for("emergency") == ("accelerated_azc", "azc")
    assert waiting_for("azc") == ("azc",)
    assert waiting_for("application_centre") == ()
    assert waiting_for(None) == ()
