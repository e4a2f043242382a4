"""Splitting a national figure over the municipalities in proportion to population."""

from __future__ import annotations

from collections.abc import Mapping

from keten.reference.places import municipalities


def split_national_quota(total: int, populations: Mapping[str, int]) -> dict[str, int]:
    """A national quota split in proportion to population, adding up exactly to `total`.

    Largest remainder method (Hamilton): each municipality gets the whole part of its exact
    share; the persons left over go one each to the largest remainders, ties to the lowest
    code. Exact integer arithmetic: no rounding error can change who gets a person.
    """
    if total < 0:
        raise ValueError("a quota is not negative")
    population = sum(populations.values())
    if population <= 0:
        raise ValueError("the split needs a population")
    shares = {code: divmod(total * people, population) for code, people in populations.items()}
    left_over = total - sum(whole for whole, _ in shares.values())
    by_remainder = sorted(shares, key=lambda code: (-shares[code][1], code))
    lucky = set(by_remainder[:left_over])
    return {code: whole + (code in lucky) for code, (whole, _) in sorted(shares.items())}


def split_over_municipalities(total: int) -> dict[str, int]:
    """`total` split over the 342 municipalities by their population on 1 January 2025."""
    return split_national_quota(total, {c: m.population for c, m in municipalities().items()})
