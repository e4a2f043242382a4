"""The over-capacity watch: a location never goes over its places silently, and says so once
per transition, however it got there."""

from __future__ import annotations

from collections.abc import Sequence

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
    raised_by_placement,
)
from keten.capacity.domain.location import LocationState, evolve
from keten.contracts.alerts import Alert
from keten.contracts.capacity import CapacityChanged, OverCapacity
from keten.contracts.messages import Message


def _types(events: Sequence[Message]) -> list[str]:
    return [type(e).__name__ for e in events]


def test_a_cut_below_occupancy_raises_over_capacity_and_an_alert() -> None:
    state = given(opened(capacity=100), admitted(60))

    events = decide_change_capacity(change_capacity(50), state)

    assert _types(events) == ["CapacityChanged", "OverCapacity", "Alert"]
    assert events[1] == OverCapacity(location_id="azc-assen", capacity=50, occupied=60)
    alert = events[2]
    assert isinstance(alert, Alert)
    assert alert.kind == "over_capacity"
    assert alert.subject_id == "azc-assen"
    assert alert.figures["excess"] == 10


def test_a_further_cut_while_over_capacity_raises_nothing_more() -> None:
    state = given(opened(capacity=100), admitted(60), capacity_changed(50, previous=100))

    events = decide_change_capacity(change_capacity(40), state)

    assert _types(events) == ["CapacityChanged"]


def test_a_cut_down_to_exactly_the_occupancy_is_not_over_capacity() -> None:
    events = decide_change_capacity(change_capacity(60), given(opened(capacity=100), admitted(60)))

    assert _types(events) == ["CapacityChanged"]


def test_an_admission_beyond_capacity_raises_over_capacity_once() -> None:
    state = given(opened(capacity=10), admitted(8))

    first = raised_by_placement(state, admitted(3))
    second = raised_by_placement(evolve(state, admitted(3)), admitted(2))

    assert _types(first) == ["OverCapacity", "Alert"]
    assert first[0] == OverCapacity(location_id="azc-assen", capacity=10, occupied=11)
    assert second == []


def test_a_transfer_in_beyond_capacity_raises_over_capacity() -> None:
    assert _types(raised_by_placement(given(opened(capacity=4)), transferred(5))) == [
        "OverCapacity",
        "Alert",
    ]


def test_a_location_back_within_its_places_raises_again_when_it_goes_over_again() -> None:
    state = given(opened(capacity=10), admitted(11), left(5))

    assert _types(raised_by_placement(state, admitted(6))) == ["OverCapacity", "Alert"]


def test_raising_capacity_above_occupancy_raises_nothing() -> None:
    state = given(opened(capacity=10), admitted(11))

    assert decide_change_capacity(change_capacity(20), state) == [
        CapacityChanged(
            location_id="azc-assen", capacity=20, previous_capacity=10, reason="building works"
        )
    ]


def test_persons_at_a_closed_location_are_over_capacity_as_it_counts_no_places() -> None:
    events = raised_by_placement(given(opened(), closed()), admitted(2))

    assert events[0] == OverCapacity(location_id="azc-assen", capacity=0, occupied=2)


def test_persons_at_a_location_never_opened_are_over_capacity() -> None:
    events = raised_by_placement(LocationState("azc-assen"), admitted(2))

    assert _types(events) == ["OverCapacity", "Alert"]


def test_opening_a_location_that_already_holds_persons_raises_nothing_new() -> None:
    state = given(admitted(20))

    assert _types(decide_open(open_location(capacity=10), state, DRENTHE)) == ["LocationOpened"]
