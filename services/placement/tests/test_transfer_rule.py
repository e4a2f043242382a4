"""The transfer rule (doorplaatsing): which location a household goes to, if any."""

from __future__ import annotations

import pytest

from keten.contracts.values import LocationType, Track
from keten.placement.domain.locations import Location, choose_location, wanted_type

HOME = "Groningen"


def location(
    location_id: str,
    type_: LocationType = "azc",
    *,
    free: int,
    province: str = HOME,
    capacity: int = 400,
    is_open: bool = True,
) -> Location:
    return Location(location_id, type_, province, capacity, capacity - free, is_open)


def test_a_family_of_six_skips_a_location_with_five_free_places() -> None:
    # given
    locations = [location("azc-a", free=5), location("azc-b", free=6)]
    # when
    chosen = choose_location(6, "azc", HOME, locations)
    # then
    assert chosen is not None
    assert chosen.location_id == "azc-b"


@pytest.mark.parametrize("track", ["dublin", "safe_country", "low_recognition"])
def test_the_accelerated_group_goes_to_an_accelerated_azc(track: Track) -> None:
    locations = [location("azc-big", free=300), location("fast-1", "accelerated_azc", free=10)]

    chosen = choose_location(2, wanted_type(track), HOME, locations)

    assert chosen is not None
    assert chosen.location_id == "fast-1"


def test_the_general_track_goes_to_an_azc() -> None:
    locations = [location("fast-1", "accelerated_azc", free=300), location("azc-1", free=10)]

    chosen = choose_location(2, wanted_type("general"), HOME, locations)

    assert chosen is not None
    assert chosen.location_id == "azc-1"


def test_the_application_centres_province_comes_before_more_free_places() -> None:
    locations = [
        location("azc-far", free=300, province="Limburg"),
        location("azc-near", free=20),
    ]

    chosen = choose_location(1, "azc", HOME, locations)

    assert chosen is not None
    assert chosen.location_id == "azc-near"


def test_within_the_province_the_most_free_places_win() -> None:
    locations = [location("azc-a", free=20), location("azc-b", free=80), location("azc-c", free=50)]

    chosen = choose_location(1, "azc", HOME, locations)

    assert chosen is not None
    assert chosen.location_id == "azc-b"


def test_equal_free_places_go_to_the_lowest_id() -> None:
    locations = [location("azc-c", free=40), location("azc-a", free=40), location("azc-b", free=40)]

    chosen = choose_location(1, "azc", HOME, locations)

    assert chosen is not None
    assert chosen.location_id == "azc-a"


def test_outside_the_province_the_same_order_applies() -> None:
    locations = [
        location("azc-x", free=30, province="Limburg"),
        location("azc-y", free=60, province="Zeeland"),
    ]

    chosen = choose_location(1, "azc", HOME, locations)

    assert chosen is not None
    assert chosen.location_id == "azc-y"


def test_closed_and_unannounced_locations_are_never_chosen() -> None:
    locations = [
        location("azc-closed", free=100, is_open=False),
        Location("azc-unknown", None, None, 0, 0, open=False),
    ]

    assert choose_location(1, "azc", HOME, locations) is None


def test_with_no_room_of_the_wanted_type_an_emergency_location_is_chosen() -> None:
    locations = [
        location("azc-full", free=0),
        location("nood-2", "emergency", free=5),
        location("nood-1", "emergency", free=5),
    ]

    chosen = choose_location(3, "azc", HOME, locations)

    assert chosen is not None
    assert chosen.location_id == "nood-1"


def test_with_no_room_anywhere_no_location_is_chosen() -> None:
    locations = [
        location("azc-1", free=2),
        location("nood-1", "emergency", free=2),
        location("htl-1", "htl", free=50),
    ]

    assert choose_location(3, "azc", HOME, locations) is None
