"""What runs when a durable timer comes due: the events it raises carry the moment the rule
was reached or breached (the timer's due time), not the moment the timer ran.

A timer handler runs in one transaction with the timer's "fired" mark; if another writer
extended the case's stream meanwhile the append fails, the timer stays pending and is tried
again on the new state (which may say the household was housed: then nothing is raised).
"""

from __future__ import annotations

from collections.abc import Sequence

from keten.contracts.messages import Event
from keten.housing import store
from keten.housing.domain.case import CaseState
from keten.housing.domain.deadlines import decide_deadline, decide_transit_limit
from keten.housing.domain.decision import APPROACHING, MISSED, TimerKind
from keten.kernel.db import Connection
from keten.kernel.eventstore import NewEvent
from keten.kernel.timers import DueTimer


async def on_housing_deadline(conn: Connection, timer: DueTimer) -> None:
    """The warning 14 days before the due date, or the breach the day after it."""
    case = await store.load_case(conn, str(timer.payload["case_id"]))
    events = decide_deadline(case, _deadline_kind(timer.kind), int(timer.payload["number"]))
    pairing = case.pairing
    if events and pairing is not None:
        await _record(
            conn,
            case,
            timer,
            events,
            cause=pairing.event_id,
            correlation=pairing.correlation_id,
        )


async def on_transit_stay_limit(conn: Connection, timer: DueTimer) -> None:
    case = await store.load_case(conn, str(timer.payload["case_id"]))
    events = decide_transit_limit(case, int(timer.payload["number"]))
    housing = case.housing
    if events and housing is not None:
        await _record(
            conn,
            case,
            timer,
            events,
            cause=housing.event_id,
            correlation=housing.correlation_id,
        )


async def _record(  # noqa: PLR0913 - the envelope's attributes, named
    conn: Connection,
    case: CaseState,
    timer: DueTimer,
    events: Sequence[Event],
    *,
    cause: str,
    correlation: str | None,
) -> None:
    """Caused by the pairing (or housing) whose rule the timer watches."""
    new_events = [
        NewEvent(
            message=event,
            subject=case.case_id,
            occurred_at=timer.due_at,
            source=store.SOURCE,
            correlation_id=correlation or cause,
            causation_id=cause,
        )
        for event in events
    ]
    await store.record(conn, store.case_stream(case.case_id), case.version, new_events)


def _deadline_kind(kind: str) -> TimerKind:
    if kind == APPROACHING:
        return APPROACHING
    if kind == MISSED:
        return MISSED
    raise ValueError(f"not a housing deadline timer: {kind}")
