"""Timers before later facts: before a message of time T takes effect on a subject, every
timer of that subject due by T fires, in due order and with its own due time; no runner is
needed for it, and a timer of another subject or due later waits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keten.kernel import eventstore, timers
from keten.kernel.consumer import IncomingRecord, RecordProcessor
from keten.kernel.db import Connection, Pool
from keten.kernel.eventstore import NewEvent
from keten.kernel.sealing import DeadLetterKey
from keten.kernel.timers import DueTimer
from tests.kernel.consumer_app import apply_command
from tests.kernel.events_for_tests import KernelTestRecorded, command_json

pytestmark = pytest.mark.integration
KIND = "kernel.test.deadline"


async def breach(conn: Connection, timer: DueTimer) -> None:
    """The timer's effect: an event on the subject's stream, at the timer's due time."""
    subject = str(timer.payload["subject"])
    stream = f"test-{subject}"
    version = len(await eventstore.read_stream(conn, stream))
    event = KernelTestRecorded(counter=int(timer.payload["number"]))
    await eventstore.append(
        conn,
        stream,
        version,
        [NewEvent(event, subject=subject, occurred_at=timer.due_at, source="tests/timers")],
    )


async def effects(pool: Pool, subject: str) -> list[tuple[str, int, datetime]]:
    async with pool.acquire() as conn:
        events = await eventstore.read_stream(conn, f"test-{subject}")
    return [(e.event_type, e.data["counter"], e.occurred_at) for e in events]


async def test_the_subjects_timers_due_by_the_message_fire_first_with_their_own_time(
    pool: Pool,
) -> None:
    due = [datetime(2026, 3, 1, 23, tzinfo=UTC), datetime(2026, 3, 2, 6, tzinfo=UTC)]
    later = datetime(2026, 3, 3, tzinfo=UTC)
    async with pool.acquire() as conn:
        for number, when in ((2, due[1]), (1, due[0]), (3, later)):
            payload = {"subject": "case-t", "number": number}
            await timers.schedule(conn, f"t-{number}", KIND, when, payload, subject="case-t")
        other = {"subject": "case-u", "number": 9}
        await timers.schedule(conn, "t-9", KIND, due[0], other, subject="case-u")
    processor = RecordProcessor(
        "before",
        pool,
        {"KernelTestDo": apply_command},
        DeadLetterKey.generate(),
        timers={KIND: breach},
    )
    # the command's time is 2026-03-02T09:30+01:00, after the first two timers
    record = IncomingRecord("kernel.before", 0, 0, b"case-t", command_json(5, subject="case-t"))

    await processor.process(record)

    assert await effects(pool, "case-t") == [
        ("KernelTestRecorded", 1, due[0]),
        ("KernelTestRecorded", 2, due[1]),
        ("KernelTestHappened", 5, datetime(2026, 3, 2, 8, 30, tzinfo=UTC)),
    ]
    async with pool.acquire() as conn:
        pending = await conn.fetch(
            "SELECT timer_id FROM keten.timers WHERE fired_at IS NULL ORDER BY timer_id"
        )
    assert [row["timer_id"] for row in pending] == ["t-3", "t-9"]
