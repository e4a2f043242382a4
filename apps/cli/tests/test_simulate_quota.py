"""The national quota split by population (largest remainder)."""

from __future__ import annotations

from keten.reference import municipalities, split_national_quota, split_over_municipalities


def test_the_split_adds_up_to_the_national_figure() -> None:
    for total in (0, 1, 341, 1_000, 13_500, 21_200):
        split = split_over_municipalities(total)
        assert sum(split.values()) == total
        assert set(split) == set(municipalities())


def test_the_split_follows_population() -> None:
    split = split_over_municipalities(18_750)
    assert split["GM0363"] > split["GM0014"] > split["GM1950"]  # Amsterdam, Groningen, Westerwolde
    population = sum(m.population for m in municipalities().values())
    for code, m in municipalities().items():
        assert abs(split[code] - 18_750 * m.population / population) < 1


def test_left_over_persons_go_to_the_largest_remainders_then_the_lowest_code() -> None:
    assert split_national_quota(2, {"GM0002": 1, "GM0001": 1, "GM0003": 1}) == {
        "GM0001": 1,
        "GM0002": 1,
        "GM0003": 0,
    }
    assert split_national_quota(1, {"GM0001": 1, "GM0002": 2}) == {"GM0001": 0, "GM0002": 1}
