"""The query API: `GET /cases/{case_id}`, now or as it stood at `as_of`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import asyncpg
from fastapi import APIRouter, HTTPException, Query
from pydantic import AwareDatetime, BaseModel

from keten.contracts.values import Household, Outcome, PersonalData, Tie, Track
from keten.kernel.db import Pool
from keten.kernel.projections import as_of_copy, live_schema, reading
from keten.kernel.service import ServiceContext
from keten.registration.projections.cases import find_case

CaseStatus = Literal["registered", "track_assigned", "granted", "rejected", "entitlement_ended"]


class Decision(BaseModel):
    """The latest decision; `final` is true for a grant or a final rejection."""

    outcome: Outcome
    final: bool
    decided_at: datetime


class HistoryEntry(BaseModel):
    event_type: str
    occurred_at: datetime


class CaseView(BaseModel):
    """A case's status and history; the one view that shows the applicant's personal data."""

    case_id: str
    status: CaseStatus
    application_centre_id: str
    household: Household
    nationality: str
    ties: list[Tie]
    track: Track | None
    accelerated: bool | None
    decision: Decision | None
    entitlement_ends_on: date | None
    entitlement_ended_on: date | None
    personal: PersonalData | None
    registered_at: datetime
    history: list[HistoryEntry]


def routes(ctx: ServiceContext) -> APIRouter:
    router = APIRouter(tags=["cases"])
    projection = ctx.projections["cases"]

    @router.get(
        "/cases/{case_id}",
        responses={404: {"description": "no such case (at `as_of`)"}},
    )
    async def get_case(
        case_id: str,
        as_of: Annotated[
            AwareDatetime | None,
            Query(description="RFC 3339 time: the case as it stood then (events by then)"),
        ] = None,
    ) -> CaseView:
        if as_of is None:
            view = await _case_view(ctx.pool, live_schema(projection.name), case_id)
        else:
            async with as_of_copy(ctx.pool, projection, as_of) as schema:
                view = await _case_view(ctx.pool, schema, case_id)
        if view is None:
            raise HTTPException(status_code=404, detail="case not found")
        return view

    return router


async def _case_view(pool: Pool, schema: str, case_id: str) -> CaseView | None:
    async with reading(pool, schema) as conn:
        found = await find_case(conn, case_id)
    if found is None:
        return None
    row, history = found
    return _to_view(row, history)


def _to_view(row: asyncpg.Record, history: list[asyncpg.Record]) -> CaseView:
    decision = None
    if row["decision_outcome"] is not None:
        decision = Decision(
            outcome=row["decision_outcome"],
            final=row["decision_final"],
            decided_at=row["decided_at"],
        )
    return CaseView(
        case_id=row["case_id"],
        status=row["status"],
        application_centre_id=row["application_centre_id"],
        household=Household(adults=row["adults"], minors=row["minors"]),
        nationality=row["nationality"],
        ties=[Tie.model_validate(tie) for tie in row["ties"]],
        track=row["track"],
        accelerated=row["accelerated"],
        decision=decision,
        entitlement_ends_on=row["entitlement_ends_on"],
        entitlement_ended_on=row["entitlement_ended_on"],
        personal=None if row["personal"] is None else PersonalData.model_validate(row["personal"]),
        registered_at=row["registered_at"],
        history=[
            HistoryEntry(event_type=h["event_type"], occurred_at=h["occurred_at"]) for h in history
        ],
    )
