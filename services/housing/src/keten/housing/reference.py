"""The national geography, from the reference list that ships with the project."""

from __future__ import annotations

from functools import cache

from keten.housing.domain.geography import Geography, Place
from keten.reference import COA_REGIONS, municipalities


@cache
def national_geography() -> Geography:
    """The 342 municipalities with province, COA region and population (read once)."""
    places = {
        m.code: Place(m.code, m.name, m.province, m.region, m.population)
        for m in municipalities().values()
    }
    regions = {
        province: region for region, provinces in COA_REGIONS.items() for province in provinces
    }
    return Geography(places, regions)
