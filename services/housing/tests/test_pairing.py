"""Pairing: a hard tie decides; else the most room in the region; else nationally; without a
tie it waits for the household's stay rather than pair nationally on less."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from keten.contracts.values import Tie
from keten.housing.domain.geography import Geography, Place
from keten.housing.domain.pairing import PairingChoice, choose_municipality
from keten.housing.reference import national_geography
from keten.kernel.verdicts import NotYet

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

STAY_UNKNOWN = NotYet("case-c-1", "the stay of case c-1")


def chosen(
    ties: Sequence[Tie],
    region: str | NotYet | None,
    remaining: Mapping[str, int],
    geography: Geography,
) -> PairingChoice:
    choice = choose_municipality(ties, region, remaining, geography)
    assert isinstance(choice, PairingChoice)
    return choice


def test_the_household_is_paired_with_the_municipality_with_most_room_in_its_region() -> None:
    # given remaining obligations, the most in the north but the household staying in the south
    remaining = {"GM0014": 40, "GM0772": 3, "GM0855": 9, "GM0935": 5}
    # when
    choice = chosen([], "south", remaining, GEOGRAPHY)
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
    assert chosen([], "south", remaining, GEOGRAPHY).municipality_code == "GM0772"


def test_a_hard_tie_wins_over_room_in_the_region() -> None:
    # given a household with a work contract in Leeuwarden, which has no room left
    ties = [
        Tie(municipality_code="GM0080", kind="work"),
        Tie(municipality_code="GM0014", kind="family"),
    ]
    remaining = {"GM0080": -2, "GM0855": 9}
    # when
    choice = chosen(ties, "south", remaining, GEOGRAPHY)
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
    choice = chosen(ties, "north", {"GM0014": 5}, GEOGRAPHY)
    assert (choice.municipality_code, choice.reason.rule) == ("GM0935", "hard_tie")


def test_with_no_room_left_in_the_region_the_household_is_paired_nationally() -> None:
    # given a region whose municipalities have all met their obligation
    remaining = {"GM0772": 0, "GM0855": -4, "GM0935": 0, "GM0080": 7, "GM0014": 2}
    # when
    choice = chosen([], "south", remaining, GEOGRAPHY)
    # then
    assert choice.municipality_code == "GM0080"
    assert choice.reason.rule == "national"
    assert choice.reason.region == "south"
    assert choice.reason.candidates[0].remaining == 7


def test_a_household_whose_province_is_in_no_region_is_paired_nationally() -> None:
    choice = chosen([], None, {"GM0935": 3, "GM0014": 3}, GEOGRAPHY)
    assert (choice.municipality_code, choice.reason.rule) == ("GM0014", "national")
    assert choice.reason.region is None


def test_the_reason_lists_at_most_ten_candidates() -> None:
    geography = national_geography()
    remaining = {code: n for n, code in enumerate(geography.in_region("central"))}
    choice = chosen([], "central", remaining, geography)
    assert len(choice.reason.candidates) == 10
    best = max(remaining.values())
    assert choice.reason.candidates[0].remaining == best
    assert remaining[choice.municipality_code] == best


def test_without_a_tie_the_choice_waits_for_the_stay_housing_does_not_know_yet() -> None:
    # given a household without ties whose stay housing has not learned
    remaining = {"GM0014": 40, "GM0855": 9}
    # when / then it is not paired nationally on less: it waits for the stay
    assert choose_municipality([], STAY_UNKNOWN, remaining, GEOGRAPHY) == STAY_UNKNOWN


def test_a_hard_tie_decides_without_the_stay() -> None:
    ties = [Tie(municipality_code="GM0935", kind="family")]
    choice = chosen(ties, STAY_UNKNOWN, {"GM0014": 5}, GEOGRAPHY)
    assert (choice.municipality_code, choice.reason.rule) == ("GM0935", "hard_tie")
