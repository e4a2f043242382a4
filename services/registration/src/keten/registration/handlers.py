"""One small function per message registration applies, and its timer: load, decide, append.

Each runs inside the kernel's transaction (with the inbox row, or with the timer's "fired"
mark). Appends name the version they read, so two messages for one case at once cannot both
decide on the same state: the loser's transaction fails and the kernel runs it again on the
new state.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import Final, TypeVar

from keten.contracts.capacity import LocationOpened
from keten.contracts.messages import Event, Message
from keten.contracts.registration import (
    ApplicationRejected,
    AssignTrack,
    RecordDecision,
    RegisterApplication,
)
from keten.kernel import timers
from keten.kernel.consumer import Delivery, Rejected
from keten.kernel.db import Connection
from keten.kernel.eventstore import NewEvent, RecordedEvent, append, read_stream
from keten.kernel.timers import DueTimer
from keten.registration.domain import decide
from keten.registration.domain.case import Case, replay
from keten.registration.domain.entitlement import entitlement_end
from keten.registration.domain.refused import Refused

SOURCE: Final = "keten/registration"
ENTITLEMENT_TIMER: Final = "reception_entitlement_end"
_TIMER_EVENT_IDS: Final = uuid.UUID("6b1f3c2e-5d0a-4f7e-9a51-2c8d7e4b9f10")

M = TypeVar("M", bound=Message)


def case_stream(case_id: str) -> str:
    return f"case-{case_id}"


def centre_stream(location_id: str) -> str:
    return f"application-centre-{location_id}"


def entitlement_timer_id(case_id: str) -> str:
    return f"reception-entitlement-{case_id}"


async def register_application(conn: Connection, delivery: Delivery) -> None:
    command = _message(delivery, RegisterApplication)
    known = bool(await read_stream(conn, centre_stream(command.application_centre_id)))
    await _decide(
        conn,
        delivery,
        command.case_id,
        lambda case: decide.register(case, command, centre_known=known),
    )


async def assign_track(conn: Connection, delivery: Delivery) -> None:
    command = _message(delivery, AssignTrack)
    await _decide(conn, delivery, command.case_id, lambda case: decide.assign_track(case, command))


async def record_decision(conn: Connection, delivery: Delivery) -> None:
    command = _message(delivery, RecordDecision)
    decided_at = delivery.envelope.time
    events = await _decide(
        conn,
        delivery,
        command.case_id,
        lambda case: decide.record_decision(case, command, decided_at=decided_at),
    )
    if any(isinstance(e, ApplicationRejected) and e.final for e in events):
        due_at = entitlement_end(decided_at).breached_at
        timer_id = entitlement_timer_id(command.case_id)
        await timers.schedule(
            conn,
            timer_id,
            ENTITLEMENT_TIMER,
            due_at,
            {"case_id": command.case_id},
            subject=command.case_id,
        )


async def learn_application_centre(conn: Connection, delivery: Delivery) -> None:
    """Keeps capacity's application centres in this store (not published again), so that an
    application can be checked against them."""
    opened = _message(delivery, LocationOpened)
    if opened.type != "application_centre":
        return
    stream = centre_stream(opened.location_id)
    if await read_stream(conn, stream):
        return
    learned = delivery.caused(opened, subject=opened.location_id, source=SOURCE)
    await append(conn, stream, 0, [dataclasses.replace(learned, publish=False)])


async def end_reception_entitlement(conn: Connection, timer: DueTimer) -> None:
    """Raised at the moment the entitlement ended (the timer's due time), not when it ran."""
    case_id = str(timer.payload["case_id"])
    recorded = await read_stream(conn, case_stream(case_id))
    events = decide.end_entitlement(replay(case_id, (r.message() for r in recorded)))
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
        for event in events
    ]
    await append(conn, case_stream(case_id), len(recorded), new_events)


async def _decide(
    conn: Connection, delivery: Delivery, case_id: str, decision: Callable[[Case], list[Event]]
) -> list[Event]:
    recorded = await read_stream(conn, case_stream(case_id))
    case = replay(case_id, (r.message() for r in recorded))
    try:
        events = decision(case)
    except Refused as refused:
        raise Rejected(refused.reason) from None
    new_events = [delivery.caused(e, subject=case_id, source=SOURCE) for e in events]
    await append(conn, case_stream(case_id), len(recorded), new_events)
    return events


def _final_rejection(recorded: list[RecordedEvent]) -> RecordedEvent | None:
    finals = [
        r
        for r in recorded
        if r.event_type == ApplicationRejected.type_name() and r.data.get("final")
    ]
    return finals[-1] if finals else None


def _message(delivery: Delivery, kind: type[M]) -> M:
    message = delivery.message
    if not isinstance(message, kind):
        raise TypeError(f"expected {kind.type_name()}, got {message.type_name()}")
    return message
