"""The over-capacity watch: a location never goes over its places silently, and says so once
per transition, however it got there."""

from __future__ import annotations

from services.capacity.tests.builders import (
    DRENTHE,
    admitted,
    capacity_changed,
    change_capacity,
    closed,
    given,
    left,
    open_location,
    opened,
    transferred,
)

from keten.capacity.domain.decide import (
    decide_change_capacity,
    decide_open,
    decide_placement,
)
from keten.capacity.domain.location import LocationState, evolve
from keten.contracts.alerts import Alert
from keten.contracts.capacity import CapacityChanged, OverCapacity
from keten.kernel.decider import Decision


def _types(decision: Decision) -> list[str]:
    assert decision.verdict is None
    return [type(e).__name__ for e in decision.events]


def test_a_cut_below_occupancy_raises_over_capacity_and_an_alert() -> None:
    state = given(opened(capacity=100), admitted(60))

    decision = decide_change_capacity(change_capacity(50), state)

    assert _types(decision) == ["CapacityChanged", "OverCapacity", "Alert"]
    assert decision.events[1] == OverCapacity(location_id="azc-assen", capacity=50, occupied=60)
    alert = decision.events[2]
    assert isinstance(alert, Alert)
    assert alert.kind == "over_capacity"
    assert alert.subject_id == "azc-assen"
    assert alert.figures["excess"] == 10


def test_a_further_cut_while_over_capacity_raises_nothing_more() -> None:
    state = given(opened(capacity=100), admitted(60), capacity_changed(50, previous=100))

    decision = decide_change_capacity(change_capacity(40), state)

    assert _types(decision) == ["CapacityChanged"]


def test_a_cut_down_to_exactly_the_occupancy_is_not_over_capacity() -> None:
    state = given(opened(capacity=100), admitted(60))

    assert _types(decide_change_capacity(change_capacity(60), state)) == ["CapacityChanged"]


def test_an_admission_beyond_capacity_raises_over_capacity_once() -> None:
    state = given(opened(capacity=10), admitted(8))

    first = decide_placement(state, admitted(3))
    second = decide_placement(evolve(state, admitted(3)), admitted(2))

    assert _types(first) == ["OverCapacity", "Alert"]
    assert first.events[0] == OverCapacity(location_id="azc-assen", capacity=10, occupied=11)
    assert _types(second) == []


def test_a_transfer_in_beyond_capacity_raises_over_capacity() -> None:
    decision = decide_placement(given(opened(capacity=4)), transferred(5))

    assert _types(decision) == ["OverCapacity", "Alert"]


def test_a_location_back_within_its_places_raises_again_when_it_goes_over_again() -> None:
    state = given(opened(capacity=10), admitted(11), left(5))

    assert _types(decide_placement(state, admitted(6))) == ["OverCapacity", "Alert"]


def test_raising_capacity_above_occupancy_raises_nothing() -> None:
    state = given(opened(capacity=10), admitted(11))

    assert decide_change_capacity(change_capacity(20), state) == Decision(
        events=[
            CapacityChanged(
                location_id="azc-assen", capacity=20, previous_capacity=10, reason="building works"
            )
        ]
    )


def test_persons_at_a_closed_location_are_over_capacity_as_it_counts_no_places() -> None:
    decision = decide_placement(given(opened(), closed()), admitted(2))

    assert decision.events[0] == OverCapacity(location_id="azc-assen", capacity=0, occupied=2)


def test_a_fact_about_a_location_not_opened_yet_waits_for_its_opening() -> None:
    for fact in (admitted(2), transferred(2), left(2)):
        decision = decide_placement(LocationState("azc-assen"), fact)

        assert decision == Decision.wait("location-azc-assen", "location azc-assen")


def test_a_fact_that_waited_is_judged_against_the_places_of_the_opened_location() -> None:
    decision = decide_placement(given(opened(capacity=10)), admitted(12))

    assert _types(decision) == ["OverCapacity", "Alert"]
    assert decision.events[0] == OverCapacity(location_id="azc-assen", capacity=10, occupied=12)


def test_opening_a_location_that_already_holds_persons_raises_nothing_new() -> None:
    # A log may hold persons recorded at an id that was never opened.
    state = given(admitted(20))

    assert _types(decide_open(open_location(capacity=10), state, DRENTHE)) == ["LocationOpened"]
