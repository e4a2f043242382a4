"""Opening, changing and closing a location: given its history, when a command, then events."""

from __future__ import annotations

from services.capacity.tests.builders import (
    DRENTHE,
    admitted,
    capacity_changed,
    change_capacity,
    close,
    closed,
    given,
    left,
    open_location,
    opened,
)

from keten.capacity.domain.decide import decide_change_capacity, decide_close, decide_open
from keten.contracts.capacity import CapacityChanged, LocationClosed
from keten.kernel.decider import Decision


def test_opening_a_location_records_it_with_its_province() -> None:
    decision = decide_open(open_location(capacity=400), given(), DRENTHE)

    assert decision == Decision(events=[opened(capacity=400)])


def test_opening_in_a_municipality_not_in_the_reference_list_is_refused() -> None:
    assert decide_open(open_location(), given(), None) == Decision.refuse(
        "municipality GM0106 is not in the reference list"
    )


def test_opening_an_open_location_again_on_the_same_terms_has_no_effect() -> None:
    decision = decide_open(open_location(capacity=100), given(opened(capacity=100)), DRENTHE)

    assert decision == Decision()


def test_the_same_opening_after_a_capacity_change_still_has_no_effect() -> None:
    history = given(opened(capacity=100), capacity_changed(80, previous=100))

    assert decide_open(open_location(capacity=100), history, DRENTHE) == Decision()


def test_opening_an_open_location_on_other_terms_is_refused_naming_them() -> None:
    decision = decide_open(open_location(capacity=50, name="Elsewhere"), given(opened()), DRENTHE)

    assert decision == Decision.refuse(
        "location azc-assen is already open with another name, capacity"
    )


def test_a_closed_location_is_not_reopened() -> None:
    assert decide_open(open_location(), given(opened(), closed()), DRENTHE) == Decision.refuse(
        "location azc-assen is closed: a closed location is not reopened"
    )


def test_a_capacity_change_records_the_previous_capacity() -> None:
    decision = decide_change_capacity(change_capacity(120), given(opened(capacity=100)))

    assert decision.events == [
        CapacityChanged(
            location_id="azc-assen", capacity=120, previous_capacity=100, reason="building works"
        )
    ]
    assert decision.verdict is None


def test_setting_the_capacity_it_already_has_is_no_change() -> None:
    decision = decide_change_capacity(change_capacity(100), given(opened(capacity=100)))

    assert decision == Decision()


def test_changing_the_capacity_of_an_unknown_location_is_refused_not_waited_for() -> None:
    # Its opening comes on the same partition, before it: none came.
    assert decide_change_capacity(change_capacity(10), given(admitted(3))) == Decision.refuse(
        "location azc-assen is unknown"
    )


def test_changing_the_capacity_of_a_closed_location_is_refused() -> None:
    decision = decide_change_capacity(change_capacity(10), given(opened(), closed()))

    assert decision == Decision.refuse("location azc-assen is closed")


def test_closing_an_empty_location_is_allowed() -> None:
    history = given(opened(), admitted(4), left(4))

    assert decide_close(close(), history) == Decision(
        events=[LocationClosed(location_id="azc-assen")]
    )


def test_closing_an_occupied_location_is_refused_with_the_reason() -> None:
    assert decide_close(close(), given(opened(), admitted(4))) == Decision.refuse(
        "location azc-assen still holds 4 persons: only an empty location is closed"
    )


def test_closing_a_closed_location_has_no_effect() -> None:
    assert decide_close(close(), given(opened(), closed())) == Decision()


def test_closing_an_unknown_location_is_refused_not_waited_for() -> None:
    assert decide_close(close(), given()) == Decision.refuse("location azc-assen is unknown")
