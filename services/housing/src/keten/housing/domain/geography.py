"""Where municipalities are: province, COA region and population, as the rules need them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    province: str
    region: str
    population: int


@dataclass(frozen=True)
class Geography:
    """The municipalities by CBS code, and which COA region each province belongs to."""

    places: Mapping[str, Place]
    regions_of_provinces: Mapping[str, str]

    def knows(self, code: str) -> bool:
        return code in self.places

    def codes(self) -> list[str]:
        return sorted(self.places)

    def name_of(self, code: str) -> str | None:
        place = self.places.get(code)
        return None if place is None else place.name

    def province_of(self, code: str) -> str | None:
        place = self.places.get(code)
        return None if place is None else place.province

    def region_of_province(self, province: str) -> str | None:
        return self.regions_of_provinces.get(province)

    def in_region(self, region: str) -> list[str]:
        return sorted(code for code, place in self.places.items() if place.region == region)

    def populations(self) -> dict[str, int]:
        return {code: place.population for code, place in self.places.items()}
