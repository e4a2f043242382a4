"""The quota ledger of one half year (taakstelling): set per municipality, moved between them.

Invariant: a transfer never changes the sum over all municipalities and never leaves a quota
negative (Housing Act art. 29(2)); a refused transfer changes nothing.

A quota set replaces the municipality's quota, transfers included. A transfer therefore
waits until both municipalities' quotas of the period are set: applied before the quota it
draws on or adds to, it would be lost (or refused) depending on the order of arrival.
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
from keten.contracts.messages import Message
from keten.kernel.decider import Decision


@dataclass(frozen=True)
class QuotaLedger:
    """Every municipality's quota (persons) in one period; absent means not set (zero)."""

    period: str
    quotas: Mapping[str, int] = field(default_factory=dict)

    def quota_of(self, code: str) -> int:
        return self.quotas.get(code, 0)

    @property
    def total(self) -> int:
        return sum(self.quotas.values())


def evolve_quota(ledger: QuotaLedger, event: Message) -> QuotaLedger:
    quotas = dict(ledger.quotas)
    if isinstance(event, HousingQuotaSet):
        quotas[event.municipality_code] = event.persons
    elif isinstance(event, QuotaTransferred):
        quotas[event.from_municipality] = quotas.get(event.from_municipality, 0) - event.persons
        quotas[event.to_municipality] = quotas.get(event.to_municipality, 0) + event.persons
    else:
        return ledger
    return QuotaLedger(ledger.period, quotas)


def decide_set_quota(ledger: QuotaLedger, command: SetHousingQuota) -> Decision:
    _same_period(ledger, command.period)
    event = HousingQuotaSet(
        municipality_code=command.municipality_code,
        period=command.period,
        persons=command.persons,
    )
    return Decision(events=(event,))


def decide_transfer(ledger: QuotaLedger, command: TransferQuota, stream: str) -> Decision:
    """Moves quota only if the giving municipality has that much: no quota goes negative.
    `stream` is where the period's quotas are recorded: an unset quota is waited for there."""
    _same_period(ledger, command.period)
    giver, taker, period = command.from_municipality, command.to_municipality, command.period
    if giver not in ledger.quotas:
        return Decision.wait(stream, f"the quota of {giver} in {period}")
    available = ledger.quota_of(giver)
    if command.persons > available:
        return Decision.refuse(
            f"quota transfer refused: {giver} has a quota of {available} "
            f"in {period}, less than the {command.persons} persons to transfer"
        )
    if taker not in ledger.quotas:
        return Decision.wait(stream, f"the quota of {taker} in {period}")
    event = QuotaTransferred(
        period=period, from_municipality=giver, to_municipality=taker, persons=command.persons
    )
    return Decision(events=(event,))


def _same_period(ledger: QuotaLedger, period: str) -> None:
    if ledger.period != period:
        raise ValueError(f"ledger of {ledger.period} asked about {period}")
