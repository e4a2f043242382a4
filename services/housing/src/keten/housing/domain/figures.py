"""A municipality's figures in a half year: quota, backlog, obligation and what remains.

- obligation = quota + backlog of earlier periods (003 §4.2.6: "quota plus backlog");
- at the end of a period the balance carries: backlog(next) = obligation - housed; housing
  more than the obligation leaves an advance, i.e. a negative backlog;
- remaining = obligation - housed - awaiting, where awaiting are the persons paired with the
  municipality and not yet housed: the room left for new pairings this period
  (contract.md: quota + backlog - persons already paired or housed).

Persons count, not households; a person counts in the period in which they are housed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodActivity:
    """What a municipality was given and did in one period, in persons."""

    quota: int = 0
    housed: int = 0


@dataclass(frozen=True)
class QuotaFigures:
    quota: int
    backlog: int
    obligation: int
    paired: int
    housed: int
    awaiting: int
    remaining: int

    @property
    def balance(self) -> int:
        """Housed minus obligation: negative is a backlog carried on, positive an advance."""
        return self.housed - self.obligation


NO_FIGURES = QuotaFigures(0, 0, 0, 0, 0, 0, 0)


def obligation_of(quota: int, backlog: int) -> int:
    return quota + backlog


def carry_backlog(obligation: int, housed: int) -> int:
    """The rollover to the next half year: what was not housed of the obligation."""
    return obligation - housed


def remaining_of(obligation: int, housed: int, awaiting: int) -> int:
    return obligation - housed - awaiting


def backlog_at(period: str, history: Mapping[str, PeriodActivity]) -> int:
    """The backlog entering `period`: the balance carried over every earlier period, from
    zero before the first one known (a period without activity carries it on unchanged)."""
    backlog = 0
    for earlier in sorted(p for p in history if p < period):
        activity = history[earlier]
        backlog = carry_backlog(obligation_of(activity.quota, backlog), activity.housed)
    return backlog


def figures_for(
    period: str, history: Mapping[str, PeriodActivity], *, paired: int, awaiting: int
) -> QuotaFigures:
    """One municipality's figures in `period`, from its activity in that and earlier periods."""
    now = history.get(period, PeriodActivity())
    backlog = backlog_at(period, history)
    obligation = obligation_of(now.quota, backlog)
    return QuotaFigures(
        quota=now.quota,
        backlog=backlog,
        obligation=obligation,
        paired=paired,
        housed=now.housed,
        awaiting=awaiting,
        remaining=remaining_of(obligation, now.housed, awaiting),
    )


def summed(figures: Iterable[QuotaFigures]) -> QuotaFigures:
    """The figures of a province or the nation: the sum of its municipalities'."""
    total = NO_FIGURES
    for f in figures:
        total = QuotaFigures(
            quota=total.quota + f.quota,
            backlog=total.backlog + f.backlog,
            obligation=total.obligation + f.obligation,
            paired=total.paired + f.paired,
            housed=total.housed + f.housed,
            awaiting=total.awaiting + f.awaiting,
            remaining=total.remaining + f.remaining,
        )
    return total
