"""The query API's response bodies, typed so that OpenAPI documents them, and how the
domain's figures become them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from keten.capacity.domain.occupancy import (
    Figures,
    GroupFigures,
    LocationRecord,
    LocationStatus,
    NationalFigures,
)
from keten.reference import municipality

Grouping = Literal["location", "municipality", "province", "type", "national"]


class OccupancyFigures(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    capacity: int = Field(description="places counted (a closed location counts none)")
    occupied: int = Field(description="persons in them")
    free: int = Field(description="capacity - occupied; negative when over capacity")
    utilisation: float | None = Field(description="occupied / capacity; null without places")


class LocationOccupancy(OccupancyFigures):
    location_id: str
    name: str | None
    type: str | None
    municipality_code: str | None
    province: str | None
    status: LocationStatus
    registered_capacity: int = Field(description="places last set, also while closed")
    over_capacity: bool


class MunicipalityOccupancy(OccupancyFigures):
    municipality_code: str
    name: str | None
    province: str | None
    reception_target: int | None = Field(description="the Dispersal Act's indicative task")


class ProvinceOccupancy(OccupancyFigures):
    province: str
    reception_target: int | None = Field(description="sum of its municipalities' targets")


class TypeOccupancy(OccupancyFigures):
    type: str


class NationalOccupancy(OccupancyFigures):
    stable_stock: int = Field(description="COA's stable stock of places")
    stable_stock_free: int
    stable_stock_utilisation: float | None = Field(description="occupied / stable_stock")


OccupancyRows = (
    list[LocationOccupancy]
    | list[MunicipalityOccupancy]
    | list[ProvinceOccupancy]
    | list[TypeOccupancy]
    | list[NationalOccupancy]
)


class OccupancyReport(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    by: Grouping
    as_of: datetime | None
    rows: OccupancyRows


def _figures(figures: Figures) -> dict[str, int | float | None]:
    return {
        "capacity": figures.capacity,
        "occupied": figures.occupied,
        "free": figures.free,
        "utilisation": figures.utilisation,
    }


def location_view(record: LocationRecord) -> LocationOccupancy:
    return LocationOccupancy(
        **_figures(record.figures),
        location_id=record.location_id,
        name=record.name,
        type=record.type,
        municipality_code=record.municipality_code,
        province=record.province,
        status=record.status,
        registered_capacity=record.registered_capacity,
        over_capacity=record.over_capacity,
    )


def municipality_view(group: GroupFigures) -> MunicipalityOccupancy:
    known = municipality(group.key)
    return MunicipalityOccupancy(
        **_figures(group.figures),
        municipality_code=group.key,
        name=None if known is None else known.name,
        province=None if known is None else known.province,
        reception_target=group.reception_target,
    )


def province_view(group: GroupFigures) -> ProvinceOccupancy:
    return ProvinceOccupancy(
        **_figures(group.figures), province=group.key, reception_target=group.reception_target
    )


def type_view(group: GroupFigures) -> TypeOccupancy:
    return TypeOccupancy(**_figures(group.figures), type=group.key)


def national_view(total: NationalFigures) -> NationalOccupancy:
    return NationalOccupancy(
        **_figures(total.figures),
        stable_stock=total.stable_stock,
        stable_stock_free=total.stable_stock_free,
        stable_stock_utilisation=total.stable_stock_utilisation,
    )
