"""The durable timers housing's rules set: their kinds, and one id per rule, case and pairing
(or housing), so that a timer set again is the same timer and a stale one can be dropped."""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from keten.kernel.decider import Timer

TimerKind = Literal[
    "housing_deadline_approaching", "housing_deadline_missed", "transit_stay_exceeded"
]
APPROACHING: Final[TimerKind] = "housing_deadline_approaching"
MISSED: Final[TimerKind] = "housing_deadline_missed"
TRANSIT: Final[TimerKind] = "transit_stay_exceeded"


def timer_id(kind: TimerKind, case_id: str, number: int) -> str:
    """Ids hold no personal data."""
    return f"{kind}:{case_id}:{number}"


def schedule(kind: TimerKind, case_id: str, number: int, due_at: datetime) -> Timer:
    """The timer watches the case: it fires before any later fact of the case takes effect."""
    return Timer(
        timer_id(kind, case_id, number),
        kind,
        due_at,
        subject=case_id,
        payload={"case_id": case_id, "number": number},
    )
