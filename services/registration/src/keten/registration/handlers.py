"""One small function per message registration applies, and its timer: load, decide, record.

Each runs inside the kernel's transaction (with the inbox row, or with the timer's "fired"
mark). A decision is recorded at the version it was taken on, so two messages for one case at
once cannot both decide on the same state: the loser's transaction fails and the kernel runs it
again on the new state.
"""

from __future__ import annotations

import uuid
from typing import Final

from keten.contracts.capacity import LocationOpened
from keten.contracts.registration import (
    ApplicationRejected,
    AssignTrack,
    RecordDecision,
    RegisterApplication,
)
from keten.kernel.consumer import Delivery
from keten.kernel.db import Connection
from keten.kernel.decider import Loaded
from keten.kernel.eventstore import NewEvent, RecordedEvent, read_stream
from keten.kernel.timers import DueTimer
from keten.registration.domain import decide
from keten.registration.domain.case import replay
from keten.registration.streams import SOURCE, case_stream, cases, centres

_TIMER_EVENT_IDS: Final = uuid.UUID("6b1f3c2e-5d0a-4f7e-9a51-2c8d7e4b9f10")


async def register_application(
    conn: Connection, delivery: Delivery, command: RegisterApplication
) -> None:
    centre = (await centres.load(conn, command.application_centre_id)).state
    await cases.handle(
        conn, delivery, command.case_id, lambda case: decide.register(case, command, centre)
    )


async def assign_track(conn: Connection, delivery: Delivery, command: AssignTrack) -> None:
    await cases.handle(
        conn, delivery, command.case_id, lambda case: decide.assign_track(case, command)
    )


async def record_decision(conn: Connection, delivery: Delivery, command: RecordDecision) -> None:
    decided_at = delivery.envelope.time
    await cases.handle(
        conn,
        delivery,
        command.case_id,
        lambda case: decide.record_decision(case, command, decided_at=decided_at),
    )


async def learn_application_centre(
    conn: Connection, delivery: Delivery, opened: LocationOpened
) -> None:
    """Keeps capacity's locations in this store (not published again), so that an application
    can be checked against them, and one that waits for its centre runs once it is learnt."""
    loaded = await centres.load(conn, opened.location_id)
    decision = decide.learn_location(loaded.state, opened)
    learnt = [
        delivery.caused(event, subject=opened.location_id, source=SOURCE, publish=False)
        for event in decision.events
    ]
    await centres.record(conn, opened.location_id, loaded, decision, learnt)


async def end_reception_entitlement(conn: Connection, timer: DueTimer) -> None:
    """Raised at the moment the entitlement ended (the timer's due time), not when it ran."""
    case_id = str(timer.payload["case_id"])
    recorded = await read_stream(conn, case_stream(case_id))
    loaded = Loaded(replay(case_id, (r.message() for r in recorded)), len(recorded))
    decision = decide.end_entitlement(loaded.state)
    cause = _final_rejection(recorded)
    new_events = [
        NewEvent(
            message=event,
            subject=case_id,
            occurred_at=timer.due_at,
            source=SOURCE,
            correlation_id=cause.correlation_id if cause else None,
            causation_id=cause.event_id if cause else None,
            # Derived from the timer, so the same firing can never be appended twice.
            event_id=str(uuid.uuid5(_TIMER_EVENT_IDS, f"{timer.timer_id}/{event.type_name()}")),
        )
        for event in decision.events
    ]
    await cases.record(conn, case_id, loaded, decision, new_events)


def _final_rejection(recorded: list[RecordedEvent]) -> RecordedEvent | None:
    finals = [
        r
        for r in recorded
        if r.event_type == ApplicationRejected.type_name() and r.data.get("final")
    ]
    return finals[-1] if finals else None
