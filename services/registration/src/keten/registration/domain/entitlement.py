"""The 28 days of reception left after a final rejection (domain.md, "Time rules")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from keten.contracts.civil_time import ENTITLEMENT_TERM, breach_moment, civil_date
from keten.kernel.decider import Timer

ENTITLEMENT_TIMER: Final = "reception_entitlement_end"


@dataclass(frozen=True)
class EntitlementEnd:
    """The last day of reception, and the instant (UTC) from which the entitlement has ended."""

    due_date: date
    breached_at: datetime


def entitlement_end(rejected_at: datetime) -> EntitlementEnd:
    """Due date: the Amsterdam civil date of the final rejection plus 28 days; the entitlement
    has ended from 00:00 Amsterdam time on the day after, whatever the UTC offset is then."""
    if rejected_at.tzinfo is None:
        raise ValueError("the moment of a rejection is timezone-aware")
    due_on = ENTITLEMENT_TERM.after(civil_date(rejected_at))
    return EntitlementEnd(due_date=due_on, breached_at=breach_moment(due_on))


def entitlement_timer(case_id: str, end: EntitlementEnd) -> Timer:
    """Due when the entitlement has ended; it watches the case, so that it fires before any
    later message of the case takes effect."""
    return Timer(
        f"reception-entitlement-{case_id}",
        ENTITLEMENT_TIMER,
        end.breached_at,
        subject=case_id,
        payload={"case_id": case_id},
    )
