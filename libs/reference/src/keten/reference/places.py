"""Reference data: the municipalities (CBS layout 2025, population on 1 January 2025), their
provinces, and COA's five regions, which group provinces for pairing."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Final

PROVINCES: Final = (
    "Groningen",
    "Fryslân",
    "Drenthe",
    "Overijssel",
    "Flevoland",
    "Gelderland",
    "Utrecht",
    "Noord-Holland",
    "Zuid-Holland",
    "Zeeland",
    "Noord-Brabant",
    "Limburg",
)

# COA's regions (domain.md, "The life of a case", 5).
COA_REGIONS: Final[dict[str, tuple[str, ...]]] = {
    "north": ("Groningen", "Fryslân", "Drenthe"),
    "east": ("Overijssel", "Gelderland"),
    "central": ("Flevoland", "Utrecht", "Noord-Holland"),
    "west": ("Zuid-Holland", "Zeeland"),
    "south": ("Noord-Brabant", "Limburg"),
}


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    province: str
    population: int

    @property
    def region(self) -> str:
        return region_of_province(self.province)


@cache
def municipalities() -> dict[str, Municipality]:
    """All 342 municipalities by CBS code, in code order."""
    text = files("keten.reference").joinpath("data/municipalities.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return {
        r["code"]: Municipality(r["code"], r["name"], r["province"], int(r["population"]))
        for r in rows
    }


def municipality(code: str) -> Municipality | None:
    return municipalities().get(code)


def region_of_province(province: str) -> str:
    for region, provinces in COA_REGIONS.items():
        if province in provinces:
            return region
    raise KeyError(f"unknown province {province!r}")
