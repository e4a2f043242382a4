"""Loading aggregates from their streams and recording decisions: events, the decisions'
ledger copy and durable timers, all in the caller's transaction.

Streams: `case-<case_id>` (what housing knows of a case), `location-<location_id>` (learned
from the capacity ledger), `quota-<period>` (a half year's quota ledger).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from keten.contracts.capacity import LocationOpened
from keten.contracts.housing import HousingQuotaSet, QuotaTransferred
from keten.contracts.messages import Event
from keten.housing import ledger
from keten.housing.domain.case import CaseState, Fact, fold
from keten.housing.domain.decision import CancelTimer, ScheduleTimer, TimerInstruction
from keten.housing.domain.quota import QuotaLedger, evolve_quota
from keten.kernel import eventstore, timers
from keten.kernel.consumer import Delivery
from keten.kernel.db import Connection
from keten.kernel.eventstore import NewEvent, RecordedEvent

SOURCE: Final = "keten/housing"


def case_stream(case_id: str) -> str:
    return f"case-{case_id}"


def location_stream(location_id: str) -> str:
    return f"location-{location_id}"


def quota_stream(period: str) -> str:
    return f"quota-{period}"


@dataclass(frozen=True)
class KnownLocation:
    location_id: str
    municipality_code: str
    province: str
    version: int


def as_fact(event: RecordedEvent) -> Fact:
    return Fact(event.message(), event.occurred_at, event.event_id, event.correlation_id)


async def load_case(conn: Connection, case_id: str) -> CaseState:
    events = await eventstore.read_stream(conn, case_stream(case_id))
    return fold(case_id, (as_fact(e) for e in events))


async def load_location(conn: Connection, location_id: str) -> KnownLocation | None:
    events = await eventstore.read_stream(conn, location_stream(location_id))
    opened = [e.message() for e in events if e.event_type == "LocationOpened"]
    last = opened[-1] if opened else None
    if not isinstance(last, LocationOpened):
        return None
    return KnownLocation(location_id, last.municipality_code, last.province, len(events))


async def load_quota(conn: Connection, period: str) -> tuple[QuotaLedger, int]:
    events = await eventstore.read_stream(conn, quota_stream(period))
    state = QuotaLedger(period)
    for event in events:
        message = event.message()
        if isinstance(message, HousingQuotaSet | QuotaTransferred):
            state = evolve_quota(state, message)
    return state, len(events)


def caused(delivery: Delivery, events: Sequence[Event], subject: str) -> list[NewEvent]:
    return [delivery.caused(event, subject=subject, source=SOURCE) for event in events]


def learned(delivery: Delivery, event: Event, subject: str) -> NewEvent:
    """A fact from another service, kept here to decide on, not published again."""
    return replace(delivery.caused(event, subject=subject, source=SOURCE), publish=False)


async def record(
    conn: Connection,
    stream_id: str,
    expected_version: int,
    events: Sequence[NewEvent],
    timer_instructions: Sequence[TimerInstruction] = (),
) -> None:
    """Appends `events` (ConcurrencyError if the stream moved: the kernel retries), updates
    the decisions' ledger copy with them, and sets or drops timers, in one transaction."""
    if events:
        await eventstore.append(conn, stream_id, expected_version, events)
        appended = (await eventstore.read_stream(conn, stream_id))[expected_version:]
        await ledger.apply(conn, appended)
    for instruction in timer_instructions:
        if isinstance(instruction, ScheduleTimer):
            await timers.schedule(
                conn,
                instruction.timer_id,
                instruction.kind,
                instruction.due_at,
                dict(instruction.payload),
                subject=instruction.subject,
            )
        elif isinstance(instruction, CancelTimer):
            await timers.cancel(conn, instruction.timer_id)
