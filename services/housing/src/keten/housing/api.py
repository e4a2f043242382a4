"""The query API: pairings by status, quota figures, overdue deadlines and housing times.

Every read comes from a projection. `as_of` replays the events that occurred by that moment
into a copy of the projection of its own, reads it, and drops it again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query

from keten.contracts.civil_time import AMSTERDAM, civil_date, start_of_day
from keten.housing.api_models import (
    Figures,
    HousingTimesReport,
    OverdueList,
    OverduePairing,
    PairingList,
    PairingView,
    QuotaRow,
    QuotaTable,
)
from keten.housing.domain.figures import QuotaFigures, summed
from keten.housing.domain.reports import housing_times
from keten.housing.projections.pairings import (
    PairingRow,
    PairingStatus,
    read_housed,
    read_overdue,
    read_pairings,
)
from keten.housing.projections.quota import read_figures
from keten.housing.reference import national_geography
from keten.kernel.db import Connection
from keten.kernel.projections import read_view
from keten.kernel.service import ServiceContext

PeriodQuery = Annotated[str, Query(pattern=r"^[0-9]{4}-H[12]$", examples=["2026-H1"])]
AsOfQuery = Annotated[
    str | None,
    Query(
        description="RFC 3339 time with offset, or a date (meaning 00:00 Europe/Amsterdam "
        "that day, when that day's breaches begin)",
        examples=["2026-03-01", "2026-03-01T12:00:00+01:00"],
    ),
]


def parse_as_of(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        if len(text) == len("2026-03-01"):
            return start_of_day(date.fromisoformat(text)).astimezone(AMSTERDAM)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise HTTPException(422, "as_of: an RFC 3339 time or a date") from None
    if moment.tzinfo is None:
        raise HTTPException(422, "as_of: the time needs an offset")
    return moment


class Views:
    """Reads a projection live, or as it stood at a moment."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    @asynccontextmanager
    async def read(self, name: str, moment: datetime | None) -> AsyncIterator[Connection]:
        async with read_view(self._ctx.pool, self._ctx.projections[name], moment) as conn:
            yield conn


def routes(ctx: ServiceContext) -> APIRouter:
    router = APIRouter()
    views = Views(ctx)

    @router.get("/pairings")
    async def pairings(
        status: PairingStatus | None = None,
        as_of: AsOfQuery = None,
        limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
    ) -> PairingList:
        """Pairings by status: open, approaching (warned), overdue (breached) or housed."""
        moment = parse_as_of(as_of)
        async with views.read("pairings", moment) as conn:
            rows = await read_pairings(conn, status, limit)
        return PairingList(status=status, as_of=moment, pairings=[_pairing(r) for r in rows])

    @router.get("/quota")
    async def quota(
        period: PeriodQuery,
        by: Literal["municipality", "province"] = "municipality",
        as_of: AsOfQuery = None,
    ) -> QuotaTable:
        """Quota, backlog, obligation, paired, housed and remaining per municipality or
        province in a half year."""
        moment = parse_as_of(as_of)
        async with views.read("quota", moment) as conn:
            figures = await read_figures(conn, period)
        rows = _by_municipality(figures) if by == "municipality" else _by_province(figures)
        total = Figures.of(summed(figures.values()))
        return QuotaTable(period=period, by=by, as_of=moment, rows=rows, total=total)

    @router.get("/deadlines/overdue")
    async def overdue(as_of: AsOfQuery = None) -> OverdueList:
        """Pairings whose deadline was breached by `as_of` (default: now) and that were not
        housed by then, computed from the events that occurred by then."""
        moment = parse_as_of(as_of)
        at = moment or ctx.clock.now()
        async with views.read("pairings", moment) as conn:
            rows = await read_overdue(conn, at)
        return OverdueList(as_of=at, pairings=[_overdue(r, at) for r in rows])

    @router.get("/reports/housing-times")
    async def report(period: PeriodQuery, as_of: AsOfQuery = None) -> HousingTimesReport:
        """Households housed in the period: weeks from permit to housing (mean, 90th
        percentile) and the share housed within 14 weeks of their pairing."""
        moment = parse_as_of(as_of)
        async with views.read("pairings", moment) as conn:
            times = housing_times(await read_housed(conn, period))
        return HousingTimesReport(
            period=period,
            as_of=moment,
            households=times.households,
            persons=times.persons,
            mean_weeks_from_permit=times.mean_weeks_from_permit,
            p90_weeks_from_permit=times.p90_weeks_from_permit,
            share_housed_within_14_weeks_of_pairing=times.share_housed_within_term,
        )

    return router


def _by_municipality(figures: dict[str, QuotaFigures]) -> list[QuotaRow]:
    geography = national_geography()
    return [
        QuotaRow(
            municipality_code=code,
            municipality=geography.name_of(code),
            province=geography.province_of(code) or "unknown",
            **Figures.of(f).model_dump(),
        )
        for code, f in figures.items()
    ]


def _by_province(figures: dict[str, QuotaFigures]) -> list[QuotaRow]:
    geography = national_geography()
    provinces: dict[str, list[QuotaFigures]] = {}
    for code, f in figures.items():
        provinces.setdefault(geography.province_of(code) or "unknown", []).append(f)
    return [
        QuotaRow(province=province, **Figures.of(summed(members)).model_dump())
        for province, members in sorted(provinces.items())
    ]


def _pairing(row: PairingRow) -> PairingView:
    return PairingView(
        case_id=row.case_id,
        municipality_code=row.municipality_code,
        persons=row.persons,
        rule=row.rule,
        pairing_number=row.pairing_number,
        paired_on=row.paired_on,
        due_on=row.due_on,
        status=row.status,
        housed_on=None if row.housed_at is None else civil_date(row.housed_at),
        housed_kind=row.housed_kind,
    )


def _overdue(row: PairingRow, moment: datetime) -> OverduePairing:
    return OverduePairing(
        case_id=row.case_id,
        municipality_code=row.municipality_code,
        persons=row.persons,
        paired_on=row.paired_on,
        due_on=row.due_on,
        overdue_since=row.breached_at.astimezone(AMSTERDAM),
        days_overdue=(civil_date(moment) - row.due_on).days,
    )
