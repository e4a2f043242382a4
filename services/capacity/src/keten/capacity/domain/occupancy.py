"""Occupancy (bezetting) figures and how they add up: per location, municipality, province,
location type and nationally, the last against COA's stable stock of places."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from keten.capacity.domain.location import counted_places
from keten.contracts.civil_time import STABLE_STOCK

LocationStatus = Literal["open", "closed", "unregistered"]


def ratio(part: int, whole: int) -> float | None:
    """`part / whole` to four decimals; None when there is nothing to divide by."""
    return None if whole == 0 else round(part / whole, 4)


@dataclass(frozen=True)
class Figures:
    """Places counted and persons in them. `free` is negative when over capacity, so that a
    shortfall shows instead of being hidden."""

    capacity: int = 0
    occupied: int = 0

    @property
    def free(self) -> int:
        return self.capacity - self.occupied

    @property
    def utilisation(self) -> float | None:
        return ratio(self.occupied, self.capacity)

    def __add__(self, other: Figures) -> Figures:
        return Figures(self.capacity + other.capacity, self.occupied + other.occupied)


@dataclass(frozen=True)
class LocationRecord:
    """One location as the occupancy read model holds it. `unregistered`: placement reported
    persons at an id that was never opened here (it has no places, type or municipality)."""

    location_id: str
    status: LocationStatus
    registered_capacity: int
    occupied: int
    name: str | None = None
    type: str | None = None
    municipality_code: str | None = None
    province: str | None = None

    @property
    def figures(self) -> Figures:
        places = counted_places(self.registered_capacity, is_open=self.status == "open")
        return Figures(places, self.occupied)

    @property
    def over_capacity(self) -> bool:
        return self.figures.free < 0


@dataclass(frozen=True)
class GroupFigures:
    """Figures of a group of locations (a municipality, province or type), with the group's
    reception target where it has one."""

    key: str
    figures: Figures
    reception_target: int | None = None


@dataclass(frozen=True)
class NationalFigures:
    figures: Figures
    stable_stock: int = STABLE_STOCK

    @property
    def stable_stock_free(self) -> int:
        return self.stable_stock - self.figures.occupied

    @property
    def stable_stock_utilisation(self) -> float | None:
        return ratio(self.figures.occupied, self.stable_stock)


def _sum_by(
    locations: Iterable[LocationRecord], key: Callable[[LocationRecord], str | None]
) -> dict[str, Figures]:
    totals: dict[str, Figures] = {}
    for location in locations:
        group = key(location)
        if group is not None:
            totals[group] = totals.get(group, Figures()) + location.figures
    return totals


def by_municipality(
    locations: Iterable[LocationRecord], targets: Mapping[str, int]
) -> list[GroupFigures]:
    """Every municipality with a location or a target; its target as set (None if never)."""
    totals = _sum_by(locations, lambda loc: loc.municipality_code)
    codes = sorted(set(totals) | set(targets))
    return [GroupFigures(c, totals.get(c, Figures()), targets.get(c)) for c in codes]


def by_province(
    locations: Iterable[LocationRecord],
    targets: Mapping[str, int],
    province_of: Callable[[str], str | None],
) -> list[GroupFigures]:
    """Every province with a location or a target; its target is the sum of its
    municipalities' targets (None if none of them has one)."""
    totals = _sum_by(locations, lambda loc: loc.province)
    province_targets: dict[str, int] = {}
    for code, places in targets.items():
        province = province_of(code)
        if province is not None:
            province_targets[province] = province_targets.get(province, 0) + places
    names = sorted(set(totals) | set(province_targets))
    return [GroupFigures(p, totals.get(p, Figures()), province_targets.get(p)) for p in names]


def by_type(locations: Iterable[LocationRecord]) -> list[GroupFigures]:
    totals = _sum_by(locations, lambda loc: loc.type)
    return [GroupFigures(t, totals[t]) for t in sorted(totals)]


def national(locations: Iterable[LocationRecord]) -> NationalFigures:
    """Every location counts, registered or not: persons are never left out of the total."""
    total = Figures()
    for location in locations:
        total += location.figures
    return NationalFigures(total)
