"""The query API's responses, typed so that OpenAPI documents them."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from keten.housing.domain.figures import QuotaFigures
from keten.housing.projections.pairings import PairingStatus


class Figures(BaseModel):
    quota: int = Field(description="the quota (taakstelling) of the period, in persons")
    backlog: int = Field(description="carried from earlier periods; negative is an advance")
    obligation: int = Field(description="quota + backlog")
    paired: int = Field(description="persons paired with it in the period")
    housed: int = Field(description="persons housed in the period")
    awaiting: int = Field(description="persons paired by the period's end, not yet housed")
    remaining: int = Field(description="obligation - housed - awaiting: room for pairing")
    balance: int = Field(description="housed - obligation: carried on as -backlog")

    @classmethod
    def of(cls, figures: QuotaFigures) -> Figures:
        return cls(
            quota=figures.quota,
            backlog=figures.backlog,
            obligation=figures.obligation,
            paired=figures.paired,
            housed=figures.housed,
            awaiting=figures.awaiting,
            remaining=figures.remaining,
            balance=figures.balance,
        )


class QuotaRow(Figures):
    municipality_code: str | None = None
    municipality: str | None = None
    province: str


class QuotaTable(BaseModel):
    period: str
    by: str
    as_of: datetime | None
    rows: list[QuotaRow]
    total: Figures


class PairingView(BaseModel):
    case_id: str
    municipality_code: str
    persons: int
    rule: str
    pairing_number: int
    paired_on: date
    due_on: date
    status: PairingStatus
    housed_on: date | None
    housed_kind: str | None


class PairingList(BaseModel):
    status: PairingStatus | None
    as_of: datetime | None
    pairings: list[PairingView]


class OverduePairing(BaseModel):
    case_id: str
    municipality_code: str
    persons: int
    paired_on: date
    due_on: date
    overdue_since: datetime
    days_overdue: int


class OverdueList(BaseModel):
    as_of: datetime
    pairings: list[OverduePairing]


class HousingTimesReport(BaseModel):
    period: str
    as_of: datetime | None
    households: int = Field(description="households housed in the period")
    persons: int
    mean_weeks_from_permit: float | None
    p90_weeks_from_permit: float | None = Field(description="90th percentile, nearest rank")
    share_housed_within_14_weeks_of_pairing: float | None
