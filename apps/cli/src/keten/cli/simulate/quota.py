"""The national housing quota split over municipalities in proportion to population.

The Housing Act's rule as housing applies it: largest remainder (Hamilton), ties to the lowest
code, in exact integer arithmetic. The simulator, as the ministry's system, sends the split.
"""

from __future__ import annotations

from collections.abc import Mapping

from keten.reference import municipalities


def split_national_quota(total: int, populations: Mapping[str, int]) -> dict[str, int]:
    """`total` persons over the municipalities, adding up exactly to `total`."""
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


def national_split(total: int) -> dict[str, int]:
    """`total` split over the 342 municipalities of the reference list."""
    return split_national_quota(total, {code: m.population for code, m in municipalities().items()})
