"""The query API: where a household is and has been, and who lives at a location.

Both read projections; `as_of` replays the store's events up to that moment into a copy of
the projection first (`read_view`), so a past answer is what the live one said then.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import asyncpg
from fastapi import APIRouter, HTTPException, Query
from pydantic import AwareDatetime, BaseModel

from keten.kernel.projections import read_view
from keten.kernel.service import ServiceContext
from keten.placement.projections.residents import ResidentsProjection
from keten.placement.projections.stays import StaysProjection

AsOf = Annotated[
    AwareDatetime | None,
    Query(description="RFC 3339 time with offset: the answer as it stood then"),
]


class Stay(BaseModel):
    """One stay at one location: from `since` until `until` (open while it lasts); a stay at
    an HTL lasts at most until `limit_on` (3 calendar months from the local date of arrival)."""

    location_id: str
    location_type: str
    arrival: str  # admitted, transferred_by_rule or transferred_by_hand
    since: datetime
    until: datetime | None
    ended_by: str | None  # transferred, or why the household left reception
    move_count: int
    limit_on: date | None


class AwaitingTransfer(BaseModel):
    location_type: str
    since: datetime


class CaseStay(BaseModel):
    """Where a household is now (`current`, none once it left) and every stay so far."""

    case_id: str
    persons: int
    status: str  # at_application_centre, awaiting_transfer, transferred, left
    move_count: int
    current: Stay | None
    awaiting_transfer: AwaitingTransfer | None
    left_reason: str | None
    stays: list[Stay]


class Resident(BaseModel):
    case_id: str
    persons: int
    since: datetime


class LocationResidents(BaseModel):
    """The households at a location now; `total` counts persons."""

    location_id: str
    type: str | None
    capacity: int | None
    open: bool
    households: int
    total: int
    residents: list[Resident]


def routes(ctx: ServiceContext) -> APIRouter:
    router = APIRouter(tags=["placement"])
    stays = ctx.projections[StaysProjection.name]
    residents = ctx.projections[ResidentsProjection.name]

    @router.get("/cases/{case_id}/stay", responses={404: {"description": "unknown case"}})
    async def case_stay(case_id: str, as_of: AsOf = None) -> CaseStay:
        async with read_view(ctx.pool, stays, as_of) as conn:
            case = await conn.fetchrow("SELECT * FROM stay_cases WHERE case_id = $1", case_id)
            rows = await conn.fetch("SELECT * FROM stays WHERE case_id = $1 ORDER BY seq", case_id)
        if case is None:
            raise HTTPException(404, f"unknown case {case_id}")
        history = [_stay(row) for row in rows]
        return CaseStay(
            case_id=case_id,
            persons=case["persons"],
            status=case["status"],
            move_count=case["move_count"],
            current=next((s for s in history if s.until is None), None),
            awaiting_transfer=_awaiting(case),
            left_reason=case["left_reason"],
            stays=history,
        )

    @router.get(
        "/locations/{location_id}/residents", responses={404: {"description": "unknown location"}}
    )
    async def location_residents(location_id: str, as_of: AsOf = None) -> LocationResidents:
        async with read_view(ctx.pool, residents, as_of) as conn:
            location = await conn.fetchrow(
                "SELECT * FROM resident_locations WHERE location_id = $1", location_id
            )
            rows = await conn.fetch(
                "SELECT case_id, persons, since FROM residents WHERE location_id = $1"
                " ORDER BY since, case_id",
                location_id,
            )
        if location is None and not rows:
            raise HTTPException(404, f"unknown location {location_id}")
        found = [Resident(**dict(row)) for row in rows]
        return LocationResidents(
            location_id=location_id,
            type=None if location is None else location["type"],
            capacity=None if location is None else location["capacity"],
            open=location is not None and location["open"],
            households=len(found),
            total=sum(r.persons for r in found),
            residents=found,
        )

    return router


def _stay(row: asyncpg.Record) -> Stay:
    return Stay(
        location_id=row["location_id"],
        location_type=row["location_type"],
        arrival=row["arrival"],
        since=row["since"],
        until=row["until"],
        ended_by=row["ended_by"],
        move_count=row["move_count"],
        limit_on=row["limit_on"],
    )


def _awaiting(case: asyncpg.Record) -> AwaitingTransfer | None:
    if case["awaiting_type"] is None:
        return None
    return AwaitingTransfer(location_type=case["awaiting_type"], since=case["awaiting_since"])
