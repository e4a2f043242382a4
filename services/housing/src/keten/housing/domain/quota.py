"""The quota ledger of one half year (taakstelling): set per municipality, moved between them.

Invariant: a transfer never changes the sum over all municipalities and never leaves a quota
negative (Housing Act art. 29(2)); a refused transfer changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from keten.contracts.housing import (
    HousingQuotaSet,
    QuotaTransferred,
    SetHousingQuota,
    TransferQuota,
)
from keten.housing.domain.errors import Refused


@dataclass(frozen=True)
class QuotaLedger:
    """Every municipality's quota (persons) in one period; absent means zero."""

    period: str
    quotas: Mapping[str, int] = field(default_factory=dict)

    def quota_of(self, code: str) -> int:
        return self.quotas.get(code, 0)

    @property
    def total(self) -> int:
        return sum(self.quotas.values())


def evolve_quota(ledger: QuotaLedger, event: HousingQuotaSet | QuotaTransferred) -> QuotaLedger:
    quotas = dict(ledger.quotas)
    if isinstance(event, HousingQuotaSet):
        quotas[event.municipality_code] = event.persons
    else:
        quotas[event.from_municipality] = quotas.get(event.from_municipality, 0) - event.persons
        quotas[event.to_municipality] = quotas.get(event.to_municipality, 0) + event.persons
    return QuotaLedger(ledger.period, quotas)


def decide_set_quota(ledger: QuotaLedger, command: SetHousingQuota) -> HousingQuotaSet:
    _same_period(ledger, command.period)
    return HousingQuotaSet(
        municipality_code=command.municipality_code,
        period=command.period,
        persons=command.persons,
    )


def decide_transfer(ledger: QuotaLedger, command: TransferQuota) -> QuotaTransferred:
    """Moves quota only if the giving municipality has that much: no quota goes negative."""
    _same_period(ledger, command.period)
    available = ledger.quota_of(command.from_municipality)
    if command.persons > available:
        raise Refused(
            f"quota transfer refused: {command.from_municipality} has a quota of {available} "
            f"in {command.period}, less than the {command.persons} persons to transfer"
        )
    return QuotaTransferred(
        period=command.period,
        from_municipality=command.from_municipality,
        to_municipality=command.to_municipality,
        persons=command.persons,
    )


def _same_period(ledger: QuotaLedger, period: str) -> None:
    if ledger.period != period:
        raise ValueError(f"ledger of {ledger.period} asked about {period}")
