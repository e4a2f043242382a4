"""The query API: occupancy by location, municipality, province, type or nationally, and one
location; each live or `as_of` a moment (the read model replayed up to it)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Final

from fastapi import APIRouter, HTTPException, Query

from keten.capacity.domain import occupancy
from keten.capacity.domain.occupancy import LocationRecord
from keten.capacity.projections.occupancy import load_locations, load_targets
from keten.capacity.views import (
    Grouping,
    LocationOccupancy,
    OccupancyReport,
    OccupancyRows,
    location_view,
    municipality_view,
    national_view,
    province_view,
    type_view,
)
from keten.kernel.db import Pool
from keten.kernel.projections import (
    Projection,
    as_of_copy,
    live_schema,
    reading,
)
from keten.kernel.service import ServiceContext
from keten.reference import municipality

# Each as-of read holds a connection for its lock while the replay borrows others: bounding
# them keeps the pool from running dry under a burst of as-of requests.
AS_OF_BUILDS: Final = 4

AsOf = Annotated[
    datetime | None,
    Query(description="RFC 3339 time with offset: the figures as they stood then"),
]


def _province_of(code: str) -> str | None:
    known = municipality(code)
    return None if known is None else known.province


def _check_as_of(as_of: datetime | None) -> None:
    if as_of is None:
        return
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise HTTPException(422, "as_of needs a UTC offset, e.g. 2026-03-02T09:30:00+01:00")
    if as_of.timestamp() < 0:
        raise HTTPException(422, "as_of must not be before 1970")


@contextlib.asynccontextmanager
async def _schema(
    pool: Pool, projection: Projection, as_of: datetime | None, builds: asyncio.Semaphore
) -> AsyncIterator[str]:
    """The live schema, or a replay up to `as_of` that is dropped after reading."""
    if as_of is None:
        yield live_schema(projection.name)
        return
    async with builds, as_of_copy(pool, projection, as_of) as schema:
        yield schema


def _rows(by: Grouping, locations: list[LocationRecord], targets: dict[str, int]) -> OccupancyRows:
    match by:
        case "location":
            return [location_view(loc) for loc in locations]
        case "municipality":
            return [municipality_view(g) for g in occupancy.by_municipality(locations, targets)]
        case "province":
            groups = occupancy.by_province(locations, targets, _province_of)
            return [province_view(g) for g in groups]
        case "type":
            return [type_view(g) for g in occupancy.by_type(locations)]
        case "national":
            return [national_view(occupancy.national(locations))]


def routes(ctx: ServiceContext) -> APIRouter:
    router = APIRouter(tags=["occupancy"])
    projection = ctx.projections["occupancy"]
    builds = asyncio.Semaphore(AS_OF_BUILDS)

    @router.get("/occupancy")
    async def get_occupancy(by: Grouping = "national", as_of: AsOf = None) -> OccupancyReport:
        """Capacity, occupied, free and utilisation per grouping; municipalities and provinces
        also show their reception target, the national row the stable stock."""
        _check_as_of(as_of)
        async with (
            _schema(ctx.pool, projection, as_of, builds) as schema,
            reading(ctx.pool, schema) as conn,
        ):
            locations = await load_locations(conn)
            targets = await load_targets(conn)
        return OccupancyReport(by=by, as_of=as_of, rows=_rows(by, locations, targets))

    @router.get("/locations/{location_id}", responses={404: {"description": "unknown location"}})
    async def get_location(location_id: str, as_of: AsOf = None) -> LocationOccupancy:
        """One location's places, persons, type, municipality, province and status."""
        _check_as_of(as_of)
        async with (
            _schema(ctx.pool, projection, as_of, builds) as schema,
            reading(ctx.pool, schema) as conn,
        ):
            found = await load_locations(conn, location_id)
        if not found:
            raise HTTPException(404, f"location {location_id} is unknown")
        return location_view(found[0])

    return router
