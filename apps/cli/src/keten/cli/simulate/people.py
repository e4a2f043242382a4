"""Synthetic households: sizes, nationalities, tracks, ties and obviously fake personal data."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Final, TypeVar

from keten.cli.simulate.parameters import Nationality, People, Reunification
from keten.contracts.values import Household, PersonalData, Tie, Track
from keten.reference import municipalities

T = TypeVar("T")

# Names nobody carries: the simulator's personal data must never look like a real person's.
FAMILY_NAMES: Final = ("Testpersoon", "Voorbeeld", "Fictief", "Simulant", "Proefpersoon")
GIVEN_NAMES: Final = ("Alfa", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel")


def pick(rng: random.Random, weighted: Sequence[tuple[T, float]]) -> T:
    """One of the items, by weight."""
    items = [item for item, _ in weighted]
    cumulative = list(itertools.accumulate(weight for _, weight in weighted))
    return rng.choices(items, cum_weights=cumulative)[0]


@cache
def _population_weights() -> tuple[tuple[str, ...], tuple[int, ...]]:
    known = municipalities()
    codes = tuple(known)
    return codes, tuple(itertools.accumulate(known[c].population for c in codes))


def municipality_by_population(rng: random.Random) -> str:
    """A municipality, more likely the larger it is (where family, work and study are)."""
    codes, cumulative = _population_weights()
    return rng.choices(codes, cum_weights=cumulative)[0]


@dataclass(frozen=True)
class Applicant:
    """Who applies: the household, where from, the track the screening will give, and ties."""

    household: Household
    nationality: str
    track: Track
    grant_rate: float
    ties: tuple[Tie, ...]
    joining: bool = False  # a family member joining a permit holder

    @property
    def persons(self) -> int:
        return self.household.persons

    @property
    def single(self) -> bool:
        return self.household.persons == 1


def _minors(rng: random.Random, people: People) -> int:
    return pick(rng, people.minors)


def _ties(rng: random.Random, share: float, people: People) -> tuple[Tie, ...]:
    if rng.random() >= share:
        return ()
    kind = pick(rng, people.tie_kinds)
    return (Tie(municipality_code=municipality_by_population(rng), kind=kind),)


def applicant(rng: random.Random, people: People) -> Applicant:
    """A household applying for asylum for the first time."""
    nationality: Nationality = pick(rng, [(n, n.weight) for n in people.nationalities])
    if rng.random() < nationality.family_share:
        adults = 1 if rng.random() < people.single_parent_share else 2
        household = Household(adults=adults, minors=_minors(rng, people))
    else:
        household = Household(adults=2 if rng.random() < people.couple_share else 1, minors=0)
    return Applicant(
        household=household,
        nationality=nationality.code,
        track=pick(rng, nationality.tracks),
        grant_rate=nationality.grant_rate,
        ties=_ties(rng, people.tie_share, people),
    )


def joining_applicant(rng: random.Random, joining: Reunification, people: People) -> Applicant:
    """Family members joining a permit holder: a parent, with children mostly; a family tie
    when the permit holder is housed already."""
    minors = _minors(rng, people) if rng.random() < joining.with_children_share else 0
    ties: tuple[Tie, ...] = ()
    if rng.random() < joining.tie_share:
        ties = (Tie(municipality_code=municipality_by_population(rng), kind="family"),)
    return Applicant(
        household=Household(adults=1, minors=minors),
        nationality=pick(rng, joining.nationalities),
        track="general",
        grant_rate=0.98,
        ties=ties,
        joining=True,
    )


def personal_data(rng: random.Random, applied_on: date) -> PersonalData:
    """Obviously fake: test names, a random ten-digit foreigner number, an adult's birth date."""
    age_days = rng.randint(18 * 365, 65 * 365)
    return PersonalData(
        v_number=f"{rng.randrange(10**10):010d}",
        family_name=rng.choice(FAMILY_NAMES),
        given_names=rng.choice(GIVEN_NAMES),
        date_of_birth=applied_on - timedelta(days=age_days),
    )
