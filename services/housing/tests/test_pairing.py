"""Pairing: a hard tie decides; else the most room in the region; else nationally."""

from __future__ import annotations

from keten.contracts.values import Tie
from keten.housing.domain.geography import Geography, Place
from keten.housing.domain.pairing import choose_municipality
from keten.housing.reference import national_geography

# A small country: two municipalities in the north, three in the south.
GEOGRAPHY = Geography(
    places={
        "GM0014": Place("GM0014", "Groningen", "Groningen", "north", 240_000),
        "GM0080": Place("GM0080", "Leeuwarden", "Fryslân", "north", 125_000),
        "GM0772": Place("GM0772", "Eindhoven", "Noord-Brabant", "south", 240_000),
        "GM0855": Place("GM0855", "Tilburg", "Noord-Brabant", "south", 225_000),
        "GM0935": Place("GM0935", "Maastricht", "Limburg", "south", 120_000),
    },
    regions_of_provinces={
        "Groningen": "north",
        "Fryslân": "north",
        "Noord-Brabant": "south",
        "Limburg": "south",
    },
)


def test_the_household_is_paired_with_the_municipality_with_most_room_in_its_region() -> None:
    # given remaining obligations, the most in the north but the household staying in the south
    remaining = {"GM0014": 40, "GM0772": 3, "GM0855": 9, "GM0935": 5}
    # when
    choice = choose_municipality([], "south", remaining, GEOGRAPHY)
    # then
    assert choice.municipality_code == "GM0855"
    assert choice.reason.rule == "region"
    assert choice.reason.region == "south"
    assert [(c.municipality_code, c.remaining) for c in choice.reason.candidates] == [
        ("GM0855", 9),
        ("GM0935", 5),
        ("GM0772", 3),
    ]


def test_equal_room_goes_to_the_lowest_code() -> None:
    remaining = {"GM0772": 6, "GM0855": 6, "GM0935": 6}
    assert choose_municipality([], "south", remaining, GEOGRAPHY).municipality_code == "GM0772"


def test_a_hard_tie_wins_over_room_in_the_region() -> None:
    # given a household with a work contract in Leeuwarden, which has no room left
    ties = [
        Tie(municipality_code="GM0080", kind="work"),
        Tie(municipality_code="GM0014", kind="family"),
    ]
    remaining = {"GM0080": -2, "GM0855": 9}
    # when
    choice = choose_municipality(ties, "south", remaining, GEOGRAPHY)
    # then the first tie decides; the reason shows both ties with their figures
    assert choice.municipality_code == "GM0080"
    assert choice.reason.rule == "hard_tie"
    assert [(c.municipality_code, c.remaining) for c in choice.reason.candidates] == [
        ("GM0080", -2),
        ("GM0014", 0),
    ]


def test_a_tie_with_an_unknown_municipality_is_passed_over() -> None:
    ties = [
        Tie(municipality_code="GM9999", kind="study"),
        Tie(municipality_code="GM0935", kind="medical"),
    ]
    choice = choose_municipality(ties, "north", {"GM0014": 5}, GEOGRAPHY)
    assert (choice.municipality_code, choice.reason.rule) == ("GM0935", "hard_tie")


def test_with_no_room_left_in_the_region_the_household_is_paired_nationally() -> None:
    # given a region whose municipalities have all met their obligation
    remaining = {"GM0772": 0, "GM0855": -4, "GM0935": 0, "GM0080": 7, "GM0014": 2}
    # when
    choice = choose_municipality([], "south", remaining, GEOGRAPHY)
    # then
    assert choice.municipality_code == "GM0080"
    assert choice.reason.rule == "national"
    assert choice.reason.region == "south"
    assert choice.reason.candidates[0].remaining == 7


def test_a_household_at_an_unknown_location_is_paired_nationally() -> None:
    choice = choose_municipality([], None, {"GM0935": 3, "GM0014": 3}, GEOGRAPHY)
    assert (choice.municipality_code, choice.reason.rule) == ("GM0014", "national")
    assert choice.reason.region is None


def test_the_reason_lists_at_most_ten_candidates() -> None:
    geography = national_geography()
    remaining = {code: n for n, code in enumerate(geography.in_region("central"))}
    choice = choose_municipality([], "central", remaining, geography)
    assert len(choice.reason.candidates) == 10
    best = max(remaining.values())
    assert choice.reason.candidates[0].remaining == best
    assert remaining[choice.municipality_code] == best
