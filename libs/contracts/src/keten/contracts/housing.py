"""Housing: quotas (taakstelling), pairing (koppeling) and the 14-week deadline."""

from datetime import date
from typing import Annotated, ClassVar, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from keten.contracts.messages import Command, Event
from keten.contracts.topics import HOUSING_COMMANDS, HOUSING_EVENTS
from keten.contracts.values import (
    CaseId,
    Count,
    Flag,
    Household,
    HousingKind,
    MunicipalityCode,
    Period,
    PositiveCount,
    StoredInt,
    Value,
)

MAX_CANDIDATES = 10

PairingRule = Literal["hard_tie", "region", "national", "manual"]


class SetHousingQuota(Command):
    """A municipality's housing quota, in persons, for a half year."""

    topic: ClassVar[str | None] = HOUSING_COMMANDS

    municipality_code: MunicipalityCode
    period: Period
    persons: Count


class TransferQuota(Command):
    """Move quota between two municipalities; the sum stays the same (Housing Act art. 29)."""

    topic: ClassVar[str | None] = HOUSING_COMMANDS

    period: Period
    from_municipality: MunicipalityCode
    to_municipality: MunicipalityCode
    persons: PositiveCount

    @model_validator(mode="after")
    def _two_municipalities(self) -> Self:
        _check_distinct(self.from_municipality, self.to_municipality)
        return self


class RecordHousing(Command):
    """A permit holder's household moved to housing in a municipality."""

    topic: ClassVar[str | None] = HOUSING_COMMANDS

    case_id: CaseId
    municipality_code: MunicipalityCode
    kind: HousingKind


class PairCase(Command):
    """A manual pairing of a permit holder's household with a municipality."""

    topic: ClassVar[str | None] = HOUSING_COMMANDS

    case_id: CaseId
    municipality_code: MunicipalityCode


class Candidate(Value):
    """A municipality considered for a pairing, with its remaining obligation in persons."""

    municipality_code: MunicipalityCode
    remaining: StoredInt


class PairingReason(Value):
    """Why a pairing went where it went: the rule applied and the candidates weighed."""

    rule: PairingRule
    region: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    candidates: list[Candidate] = Field(default_factory=list, max_length=MAX_CANDIDATES)


class HousingQuotaSet(Event):
    """A municipality's housing quota for a half year was set."""

    topic: ClassVar[str | None] = HOUSING_EVENTS

    municipality_code: MunicipalityCode
    period: Period
    persons: Count


class QuotaTransferred(Event):
    """Quota moved from one municipality to another within a half year."""

    topic: ClassVar[str | None] = HOUSING_EVENTS

    period: Period
    from_municipality: MunicipalityCode
    to_municipality: MunicipalityCode
    persons: PositiveCount

    @model_validator(mode="after")
    def _two_municipalities(self) -> Self:
        _check_distinct(self.from_municipality, self.to_municipality)
        return self


class PairedWithMunicipality(Event):
    """A permit holder's household was paired (koppeling); to be housed by `due_on`."""

    topic: ClassVar[str | None] = HOUSING_EVENTS

    case_id: CaseId
    municipality_code: MunicipalityCode
    persons: PositiveCount
    household: Household
    paired_on: date
    due_on: date
    manual: Flag
    reason: PairingReason


class Housed(Event):
    """A permit holder's household was housed; counts for the municipality's quota."""

    topic: ClassVar[str | None] = HOUSING_EVENTS

    case_id: CaseId
    municipality_code: MunicipalityCode
    kind: HousingKind
    persons: PositiveCount
    period: Period


class HousingDeadlineApproaching(Event):
    """Fourteen days remain before a paired household must be housed."""

    topic: ClassVar[str | None] = HOUSING_EVENTS

    case_id: CaseId
    municipality_code: MunicipalityCode
    due_on: date


class HousingDeadlineMissed(Event):
    """A paired household was not housed within 14 weeks of pairing."""

    topic: ClassVar[str | None] = HOUSING_EVENTS

    case_id: CaseId
    municipality_code: MunicipalityCode
    due_on: date


def _check_distinct(from_municipality: str, to_municipality: str) -> None:
    if from_municipality == to_municipality:
        raise ValueError("quota moves between two different municipalities")
