"""Opening, changing and closing a location: given its history, when a command, then events."""

from __future__ import annotations

import pytest
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
from keten.capacity.domain.refusal import Refused
from keten.contracts.capacity import CapacityChanged, LocationClosed


def test_opening_a_location_records_it_with_its_province() -> None:
    events = decide_open(open_location(capacity=400), given(), DRENTHE)

    assert events == [opened(capacity=400)]


def test_opening_in_a_municipality_not_in_the_reference_list_is_refused() -> None:
    with pytest.raises(Refused, match="municipality GM0106 is not in the reference list"):
        decide_open(open_location(), given(), None)


def test_opening_an_open_location_again_on_the_same_terms_has_no_effect() -> None:
    assert decide_open(open_location(capacity=100), given(opened(capacity=100)), DRENTHE) == []


def test_the_same_opening_after_a_capacity_change_still_has_no_effect() -> None:
    history = given(opened(capacity=100), capacity_changed(80, previous=100))

    assert decide_open(open_location(capacity=100), history, DRENTHE) == []


def test_opening_an_open_location_on_other_terms_is_refused_naming_them() -> None:
    with pytest.raises(Refused, match="already open with another name, capacity"):
        decide_open(open_location(capacity=50, name="Elsewhere"), given(opened()), DRENTHE)


def test_a_closed_location_is_not_reopened() -> None:
    with pytest.raises(Refused, match="is closed"):
        decide_open(open_location(), given(opened(), closed()), DRENTHE)


def test_a_capacity_change_records_the_previous_capacity() -> None:
    events = decide_change_capacity(change_capacity(120), given(opened(capacity=100)))

    assert events == [
        CapacityChanged(
            location_id="azc-assen", capacity=120, previous_capacity=100, reason="building works"
        )
    ]


def test_setting_the_capacity_it_already_has_is_no_change() -> None:
    assert decide_change_capacity(change_capacity(100), given(opened(capacity=100))) == []


def test_changing_the_capacity_of_an_unknown_location_is_refused() -> None:
    with pytest.raises(Refused, match="location azc-assen is unknown"):
        decide_change_capacity(change_capacity(10), given(admitted(3)))


def test_changing_the_capacity_of_a_closed_location_is_refused() -> None:
    with pytest.raises(Refused, match="location azc-assen is closed"):
        decide_change_capacity(change_capacity(10), given(opened(), closed()))


def test_closing_an_empty_location_is_allowed() -> None:
    history = given(opened(), admitted(4), left(4))

    assert decide_close(close(), history) == [LocationClosed(location_id="azc-assen")]


def test_closing_an_occupied_location_is_refused_with_the_reason() -> None:
    with pytest.raises(Refused, match="still holds 4 persons: only an empty location is closed"):
        decide_close(close(), given(opened(), admitted(4)))


def test_closing_a_closed_location_has_no_effect() -> None:
    assert decide_close(close(), given(opened(), closed())) == []


def test_closing_an_unknown_location_is_refused() -> None:
    with pytest.raises(Refused, match="unknown"):
        decide_close(close(), given())
