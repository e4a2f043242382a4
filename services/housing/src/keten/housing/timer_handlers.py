"""What runs when a durable timer comes due: the events it raises carry the moment the rule
was reached or breached (the timer's due time), not the moment the timer ran.

A timer handler runs in one transaction with the timer's "fired" mark; if another writer
extended the case's stream meanwhile the append fails, the timer stays pending and is tried
again on the new state (which may say the household was housed: then nothing is raised).
"""

from __future__ import annotations

from collections.abc import Sequence

from keten.contracts.messages import Event
from keten.housing import streams
from keten.housing.domain.case import CaseState
from keten.housing.domain.deadlines import decide_deadline, decide_transit_limit
from keten.housing.domain.timers import APPROACHING, MISSED, TimerKind
from keten.kernel.db import Connection
from keten.kernel.decider import Decision, Loaded
from keten.kernel.eventstore import NewEvent, RecordedEvent
from keten.kernel.timers import DueTimer


async def on_housing_deadline(conn: Connection, timer: DueTimer) -> None:
    """The warning 14 days before the due date, or the breach the day after it."""
    case_id = str(timer.payload["case_id"])
    loaded = await streams.cases.load(conn, case_id)
    events = decide_deadline(loaded.state, _deadline_kind(timer.kind), int(timer.payload["number"]))
    pairing = await streams.latest(conn, case_id, "PairedWithMunicipality")
    if events and pairing is not None:
        await _record(conn, loaded, timer, events, cause=pairing)


async def on_transit_stay_limit(conn: Connection, timer: DueTimer) -> None:
    case_id = str(timer.payload["case_id"])
    loaded = await streams.cases.load(conn, case_id)
    housed = await streams.latest(conn, case_id, "Housed")
    if housed is None:
        return
    events = decide_transit_limit(loaded.state, int(timer.payload["number"]), housed.occurred_at)
    if events:
        await _record(conn, loaded, timer, events, cause=housed)


async def _record(
    conn: Connection,
    loaded: Loaded[CaseState],
    timer: DueTimer,
    events: Sequence[Event],
    *,
    cause: RecordedEvent,
) -> None:
    """Caused by the pairing (or housing) whose rule the timer watches."""
    case_id = loaded.state.case_id
    new_events = [
        NewEvent(
            message=event,
            subject=case_id,
            occurred_at=timer.due_at,
            source=streams.SOURCE,
            correlation_id=cause.correlation_id or cause.event_id,
            causation_id=cause.event_id,
        )
        for event in events
    ]
    decision = Decision(events=events)
    await streams.record(conn, streams.cases, case_id, loaded, decision=decision, events=new_events)


def _deadline_kind(kind: str) -> TimerKind:
    if kind == APPROACHING:
        return APPROACHING
    if kind == MISSED:
        return MISSED
    raise ValueError(f"not a housing deadline timer: {kind}")
