"""What a decision asks for: events to record and durable timers to set or drop."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal

from keten.contracts.messages import Event

TimerKind = Literal[
    "housing_deadline_approaching", "housing_deadline_missed", "transit_stay_exceeded"
]
APPROACHING: Final[TimerKind] = "housing_deadline_approaching"
MISSED: Final[TimerKind] = "housing_deadline_missed"
TRANSIT: Final[TimerKind] = "transit_stay_exceeded"
TIMER_KINDS: Final[tuple[TimerKind, ...]] = (APPROACHING, MISSED, TRANSIT)


def timer_id(kind: TimerKind, case_id: str, number: int) -> str:
    """One timer per rule, case and pairing (or housing): ids hold no personal data."""
    return f"{kind}:{case_id}:{number}"


@dataclass(frozen=True)
class ScheduleTimer:
    timer_id: str
    kind: TimerKind
    due_at: datetime
    payload: dict[str, str | int]
    subject: str  # the case it watches: fired before any later fact of the case


@dataclass(frozen=True)
class CancelTimer:
    timer_id: str


TimerInstruction = ScheduleTimer | CancelTimer


@dataclass(frozen=True)
class Decision:
    events: tuple[Event, ...] = ()
    timers: tuple[TimerInstruction, ...] = field(default=())


def schedule(kind: TimerKind, case_id: str, number: int, due_at: datetime) -> ScheduleTimer:
    return ScheduleTimer(
        timer_id(kind, case_id, number),
        kind,
        due_at,
        {"case_id": case_id, "number": number},
        subject=case_id,
    )
