"""Occupancy follows placement's facts: admissions add, transfers move, departures free."""

from __future__ import annotations

from services.capacity.tests.builders import (
    OTHER,
    admitted,
    closed,
    given,
    left,
    opened,
    transferred,
)

from keten.capacity.domain.location import evolve, is_over_capacity, places_of
from keten.contracts.placement import TransferDeferred


def test_an_admission_takes_places_for_the_whole_household() -> None:
    assert given(opened(), admitted(4)).occupied == 4


def test_a_transfer_frees_places_where_it_leaves_and_takes_them_where_it_arrives() -> None:
    here = given(opened(), admitted(7), transferred(3, source="azc-assen", target=OTHER))
    there = given(
        opened(location_id=OTHER),
        transferred(3, source="azc-assen", target=OTHER),
        location_id=OTHER,
    )

    assert here.occupied == 4
    assert there.occupied == 3


def test_leaving_reception_frees_the_places() -> None:
    assert given(opened(), admitted(5), left(2)).occupied == 3


def test_a_departure_never_takes_occupancy_below_zero() -> None:
    assert given(opened(), admitted(1), left(3)).occupied == 0


def test_a_deferred_transfer_changes_nothing() -> None:
    state = given(opened(), admitted(2))
    deferred = TransferDeferred(case_id="c-1", location_type="azc", persons=2, reason="no room")

    assert evolve(state, deferred) == state


def test_facts_about_other_locations_change_nothing_here() -> None:
    assert given(opened(), admitted(5, location_id=OTHER), left(1, location_id=OTHER)).occupied == 0


def test_a_closed_location_counts_no_places() -> None:
    state = given(opened(capacity=100), closed())

    assert places_of(state) == 0
    assert not is_over_capacity(state)
