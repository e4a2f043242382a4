"""The HTL stay limit: at most 3 calendar months (domain.md, "Time rules, precisely").

A stay at an HTL starts on the local date of arrival and is due on that date plus 3 calendar
months (30 November -> 28 February, 29 in a leap year). Two durable timers watch it, both with
the case as subject (so they fire before any later fact of the case): the warning at 00:00
local 14 days before the due date, the breach at 00:00 local on the day after it. Every stay
has its own timers (a stay is numbered by the case's move count), and they are dropped
whenever the household moves on or leaves.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from keten.contracts.alerts import Alert
from keten.contracts.civil_time import (
    DEADLINE_WARNING,
    HTL_STAY,
    breach_moment,
    due_date,
    warning_moment,
)
from keten.contracts.messages import Event
from keten.contracts.placement import StayLimitApproaching, StayLimitExceeded
from keten.contracts.values import LocationType
from keten.kernel.decider import Decision, Timer
from keten.placement.domain.case import Case

LIMITED: Final[LocationType] = "htl"
APPROACHING: Final = "htl_stay_approaching"
EXCEEDED: Final = "htl_stay_exceeded"
TIMER_KINDS: Final = (APPROACHING, EXCEEDED)


def limit_on(location_type: LocationType | None, arrived_at: datetime) -> date | None:
    """The last day of a stay that began at `arrived_at`; None where stays are not limited."""
    return due_date(arrived_at, HTL_STAY) if location_type == LIMITED else None


def timers(
    case_id: str, stay: int, location_id: str, location_type: LocationType | None, at: datetime
) -> tuple[Timer, ...]:
    """The warning and the breach of stay number `stay`, begun `at` (none if not limited)."""
    due_on = limit_on(location_type, at)
    if due_on is None:
        return ()
    payload = {
        "case_id": case_id,
        "stay": stay,
        "location_id": location_id,
        "due_on": due_on.isoformat(),
    }
    moments = {APPROACHING: warning_moment(due_on), EXCEEDED: breach_moment(due_on)}
    return tuple(
        Timer(_timer_id(kind, case_id, stay), kind, due_at, case_id, payload)
        for kind, due_at in moments.items()
    )


def ended(case: Case) -> tuple[str, ...]:
    """The timers made moot when the household's current stay ends (there may be none)."""
    return tuple(_timer_id(kind, case.case_id, case.move_count) for kind in TIMER_KINDS)


def reached(case: Case | None, kind: str, stay: int, location_id: str, due_on: date) -> Decision:
    """What a stay-limit timer raises when it fires: the event and its alert, if the household
    is still in that stay (a timer left behind by a move raises nothing)."""
    if (
        case is None
        or not case.in_reception
        or case.move_count != stay
        or case.location_id != location_id
    ):
        return Decision()
    return Decision(events=_raised(case, kind, location_id, due_on))


def _raised(case: Case, kind: str, location_id: str, due_on: date) -> tuple[Event, ...]:
    due = due_on.isoformat()
    figures: dict[str, int | str] = {"location_id": location_id, "persons": case.persons}
    if kind == APPROACHING:
        return (
            StayLimitApproaching(case_id=case.case_id, location_id=location_id, due_on=due_on),
            Alert(
                kind="htl_stay_approaching",
                subject_id=case.case_id,
                summary=(
                    f"case {case.case_id}: {DEADLINE_WARNING.days} days left of the stay at "
                    f"HTL {location_id} (until {due})"
                ),
                due=due_on,
                figures=figures,
            ),
        )
    if kind == EXCEEDED:
        return (
            StayLimitExceeded(case_id=case.case_id, location_id=location_id, due_on=due_on),
            Alert(
                kind="htl_stay_exceeded",
                subject_id=case.case_id,
                summary=(
                    f"case {case.case_id}: the stay at HTL {location_id} exceeded "
                    f"{HTL_STAY.months} calendar months (until {due})"
                ),
                due=due_on,
                figures=figures,
            ),
        )
    raise ValueError(f"not a stay-limit timer: {kind}")


def _timer_id(kind: str, case_id: str, stay: int) -> str:
    """One timer per rule, case and stay; ids hold no personal data."""
    return f"{kind}:{case_id}:{stay}"
