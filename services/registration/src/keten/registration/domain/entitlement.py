"""The 28 days of reception left after a final rejection (domain.md, "Time rules")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

CIVIL_TIME: Final = ZoneInfo("Europe/Amsterdam")
ENTITLEMENT_AFTER_FINAL_REJECTION: Final = timedelta(days=28)


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
    rejected_on = rejected_at.astimezone(CIVIL_TIME).date()
    due_date = rejected_on + ENTITLEMENT_AFTER_FINAL_REJECTION
    local_breach = datetime.combine(due_date + timedelta(days=1), time(0), tzinfo=CIVIL_TIME)
    return EntitlementEnd(due_date=due_date, breached_at=local_breach.astimezone(UTC))
