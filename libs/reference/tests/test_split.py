"""Splitting a national quota over the municipalities in proportion to population."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from keten.housing.reference import national_geography
from keten.reference import split_national_quota


def test_a_national_quota_split_over_the_342_municipalities_adds_up_exactly() -> None:
    # given the population of every municipality
    populations = national_geography().populations()
    assert len(populations) == 342
    for national in (0, 1, 341, 13_500, 20_400, 23_900):
        # when
        split = split_national_quota(national, populations)
        # then
        assert sum(split.values()) == national
        assert set(split) == set(populations)


def test_each_share_is_within_one_person_of_its_exact_proportion() -> None:
    populations = national_geography().populations()
    total_population = sum(populations.values())
    split = split_national_quota(13_500, populations)
    for code, persons in split.items():
        exact = 13_500 * populations[code] / total_population
        assert exact - 1 < persons < exact + 1
    assert split["GM0363"] > split["GM0014"]  # Amsterdam houses more than Groningen


def test_persons_left_over_go_to_the_largest_remainders_and_ties_to_the_lowest_code() -> None:
    # given three equal municipalities and a quota of 4: one person is left over
    split = split_national_quota(4, {"GM0003": 100, "GM0001": 100, "GM0002": 100})
    # then the lowest code gets it
    assert split == {"GM0001": 2, "GM0002": 1, "GM0003": 1}
    # and a larger remainder beats a lower code
    assert split_national_quota(3, {"GM0001": 30, "GM0002": 45, "GM0003": 25}) == {
        "GM0001": 1,
        "GM0002": 1,
        "GM0003": 1,
    }
    assert split_national_quota(1, {"GM0001": 30, "GM0002": 45, "GM0003": 25}) == {
        "GM0001": 0,
        "GM0002": 1,
        "GM0003": 0,
    }


@given(
    national=st.integers(min_value=0, max_value=50_000),
    populations=st.lists(
        st.integers(min_value=0, max_value=1_000_000), min_size=1, max_size=40
    ).filter(lambda ps: sum(ps) > 0),
)
def test_any_split_adds_up_exactly(national: int, populations: list[int]) -> None:
    by_code = {f"GM{n:04}": people for n, people in enumerate(populations)}
    split = split_national_quota(national, by_code)
    assert sum(split.values()) == national
    assert all(persons >= 0 for persons in split.values())
