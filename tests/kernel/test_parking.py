"""Parking: a message whose prerequisite is not recorded yet waits for it, durably, and takes
effect once it is, in its own event time and in its subject's order; what waits too long
becomes a dead letter "waited for ..."."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from keten.kernel import eventstore
from keten.kernel.consumer import Delivery, IncomingRecord, RecordProcessor, deadletters, parking
from keten.kernel.consumer.model import Outcome
from keten.kernel.consumer.unparking import Unparker
from keten.kernel.db import Connection, Pool
from keten.kernel.decider import Decider, Decision
from keten.kernel.eventstore import NewEvent
from keten.kernel.sealing import DeadLetterKey
from tests.kernel.events_for_tests import KernelTestDo, KernelTestHappened

pytestmark = pytest.mark.integration

KEY = DeadLetterKey.generate()
MORNING = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def gate(subject: str) -> str:
    return f"gate-{subject}"


COUNTERS: Decider[list[int]] = Decider(
    stream=lambda subject: f"test-{subject}",
    initial=lambda _: [],
    evolve=lambda state, event: [*state, getattr(event, "counter", 0)],
    source="tests/parking",
)


async def counted_behind_the_gate(conn: Connection, delivery: Delivery) -> None:
    """Counter 0 opens the gate of the subject named in its subject ("open-<s>"); any other
    counter is counted on its subject's stream once that subject's gate is open."""
    command = delivery.message
    assert isinstance(command, KernelTestDo)
    subject = delivery.envelope.subject
    if command.counter == 0:
        opened = delivery.caused(KernelTestHappened(counter=0), subject=subject, source="t")
        await eventstore.append(conn, gate(subject.removeprefix("open-")), 0, [opened])
        return
    is_open = bool(await eventstore.read_stream(conn, gate(subject)))

    def decide(_: list[int]) -> Decision:
        if not is_open:
            return Decision.wait(gate(subject), f"the gate of {subject}")
        return Decision(events=[KernelTestHappened(counter=command.counter)])

    await COUNTERS.handle(conn, delivery, subject, decide)


def record(offset: int, counter: int, subject: str, minutes: int) -> IncomingRecord:
    value = orjson.dumps(
        {
            "specversion": "1.0",
            "id": f"cmd-{subject}-{counter}",
            "source": "tests/outside",
            "type": "KernelTestDo",
            "time": (MORNING + timedelta(minutes=minutes)).isoformat(),
            "subject": subject,
            "data": {"counter": counter},
        }
    )
    return IncomingRecord("kernel.parking", 0, offset, subject.encode(), value)


def processor(pool: Pool) -> RecordProcessor:
    return RecordProcessor("parking", pool, {"KernelTestDo": counted_behind_the_gate}, KEY)


async def stream(pool: Pool, subject: str) -> list[eventstore.RecordedEvent]:
    async with pool.acquire() as conn:
        return await eventstore.read_stream(conn, f"test-{subject}")


async def outcomes(pool: Pool) -> dict[str, str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT message_id, outcome FROM keten.inbox")
    return {row["message_id"]: row["outcome"] for row in rows}


async def test_messages_wait_for_their_prerequisite_and_take_effect_in_their_own_time(
    pool: Pool,
) -> None:
    consumer = processor(pool)
    unparker = Unparker(pool, {"parking": consumer}, KEY, max_wait=timedelta(days=7))
    # Given counters 2 (at 9:10) and 1 (at 9:05) of subject a, arriving before its gate opens,
    # and counter 3 of subject b, which needs nothing of a's
    first = await consumer.process_batch([record(0, 2, "a", 10), record(1, 1, "a", 5)])
    assert first == [Outcome.PARKED, Outcome.PARKED]
    async with pool.acquire() as conn:
        waiting = await parking.listing(conn)
    # Listed in event-time order; the later one came first and waits for the gate itself.
    assert [(p.message_id, p.what) for p in waiting] == [
        ("cmd-a-1", "the gate of a"),
        ("cmd-a-2", "the gate of a"),
    ]
    assert await unparker.round() == 0  # nothing is ready yet
    assert await stream(pool, "a") == []

    # When the gate opens
    assert await consumer.process(record(2, 0, "open-a", 20)) == Outcome.APPLIED
    ran = await unparker.round()

    # Then both take effect, in event-time order, each at its own time, once
    assert ran == 2
    effects = await stream(pool, "a")
    assert [e.data["counter"] for e in effects] == [1, 2]
    assert [e.occurred_at for e in effects] == [
        MORNING + timedelta(minutes=5),
        MORNING + timedelta(minutes=10),
    ]
    assert await outcomes(pool) == {
        "cmd-a-1": "applied",
        "cmd-a-2": "applied",
        "cmd-open-a-0": "applied",
    }
    async with pool.acquire() as conn:
        assert await parking.listing(conn) == []
    assert await consumer.process(record(0, 2, "a", 10)) == Outcome.DUPLICATE
    assert await unparker.round() == 0
    assert len(await stream(pool, "a")) == 2


async def test_a_later_message_of_a_waiting_subject_waits_behind_it(pool: Pool) -> None:
    consumer = processor(pool)
    unparker = Unparker(pool, {"parking": consumer}, KEY, max_wait=timedelta(days=7))
    # Given counter 1 of a waiting for a's gate; the gate opens in the same batch as counter 2
    outcome = await consumer.process_batch(
        [record(0, 1, "a", 5), record(1, 0, "open-a", 6), record(2, 2, "a", 7)]
    )
    # Counter 2 could take effect at once, but its subject's earlier message waits: it waits
    # behind it rather than overtaking it.
    assert outcome == [Outcome.PARKED, Outcome.APPLIED, Outcome.PARKED]
    async with pool.acquire() as conn:
        behind = (await parking.listing(conn))[1]
    assert behind.what == "an earlier KernelTestDo of a, which waits for the gate of a"
    assert await unparker.round() == 2
    assert [e.data["counter"] for e in await stream(pool, "a")] == [1, 2]


async def test_what_waits_too_long_is_dead_lettered_and_can_be_replayed_once_mended(
    pool: Pool,
) -> None:
    consumer = processor(pool)
    unparker = Unparker(pool, {"parking": consumer}, KEY, max_wait=timedelta(0))
    assert await consumer.process(record(0, 1, "c", 5)) == Outcome.PARKED

    await unparker.round()

    async with pool.acquire() as conn:
        [letter] = await deadletters.listing(conn)
        assert await parking.listing(conn) == []
    assert (letter.error_type, letter.reason) == ("WaitedTooLong", "waited for the gate of c")
    assert (await outcomes(pool))["cmd-c-1"] == "dead_lettered"
    # Its cause mended (the gate opened), the letter's replay takes effect once.
    assert await consumer.process(record(1, 0, "open-c", 6)) == Outcome.APPLIED
    assert await consumer.replay(letter.record(letter.value)) == Outcome.APPLIED
    assert await consumer.replay(letter.record(letter.value)) == Outcome.DUPLICATE
    assert [e.data["counter"] for e in await stream(pool, "c")] == [1]


async def test_a_fact_recorded_while_the_message_parks_is_not_missed(pool: Pool) -> None:
    """The wait is for the stream past the version the parking transaction saw: a fact
    committed by another transaction at the same time still makes the message ready."""
    consumer = processor(pool)
    unparker = Unparker(pool, {"parking": consumer}, KEY, max_wait=timedelta(days=7))
    async with pool.acquire() as other:
        tx = other.transaction()
        await tx.start()
        opened = NewEvent(KernelTestHappened(counter=0), "open-d", MORNING, "t")
        await eventstore.append(other, gate("d"), 0, [opened])
        # The gate is opened but not yet committed when the message parks.
        assert await consumer.process(record(0, 1, "d", 5)) == Outcome.PARKED
        await tx.commit()
    assert await unparker.round() == 1
    assert [e.data["counter"] for e in await stream(pool, "d")] == [1]
