"""The outbox relay against the real broker and database."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import orjson
import pytest

from keten.kernel import eventstore
from keten.kernel.db import Pool
from keten.kernel.outbox import OutboxRelay
from keten.kernel.producer import KafkaProducer, OutgoingRecord
from tests.kernel.events_for_tests import TEST_EVENTS_TOPIC, KernelTestRecorded, happened
from tests.support.kafka import ensure_topic, header, read_to_end

pytestmark = pytest.mark.integration


async def write(pool: Pool, subjects: Sequence[str], per_subject: int) -> None:
    async with pool.acquire() as conn:
        for i in range(per_subject):
            for subject in subjects:
                version = len(await eventstore.read_stream(conn, subject))
                events = [happened(i + 1, subject=subject)]
                if i % 2:  # interleaved with an event that is kept, not published
                    events.append(
                        eventstore.NewEvent(
                            KernelTestRecorded(counter=i), subject, events[0].occurred_at, "t"
                        )
                    )
                await eventstore.append(conn, subject, version, events)


async def published(bootstrap: str, subjects: Sequence[str]) -> dict[str, list[int]]:
    """Counters published per key, in the order they sit in the key's partition."""
    per_key: dict[str, list[int]] = {}
    for record in await read_to_end(bootstrap, TEST_EVENTS_TOPIC):
        key = (record.key or b"").decode()
        if key in subjects:
            per_key.setdefault(key, []).append(orjson.loads(record.value)["data"]["counter"])
    return per_key


async def relay_all(relay: OutboxRelay) -> None:
    while await relay.relay_once():
        pass


async def test_events_are_published_keyed_by_subject_in_stream_order(
    pool: Pool, kafka_bootstrap: str
) -> None:
    await ensure_topic(kafka_bootstrap, TEST_EVENTS_TOPIC)
    subjects = [f"case-{uuid.uuid4().hex[:8]}" for _ in range(4)]
    await write(pool, subjects, per_subject=25)
    producer = KafkaProducer(kafka_bootstrap, client_id="outbox-test")
    await producer.start()
    try:
        relay = OutboxRelay(pool, producer, batch_size=30)
        await relay_all(relay)
        assert await relay.backlog() == 0
    finally:
        await producer.stop()

    assert await published(kafka_bootstrap, subjects) == {s: list(range(1, 26)) for s in subjects}
    records = [
        r
        for r in await read_to_end(kafka_bootstrap, TEST_EVENTS_TOPIC)
        if r.key == subjects[0].encode()
    ]
    envelope = orjson.loads(records[0].value)
    assert envelope["type"] == "KernelTestHappened"
    assert envelope["subject"] == subjects[0]
    assert envelope["specversion"] == "1.0"
    assert header(records[0], "content-type") == "application/cloudevents+json"


class CrashAfterSending:
    """Writes the records, then dies before the relay can save its checkpoint."""

    def __init__(self, real: KafkaProducer, crash_on_batch: int) -> None:
        self._real = real
        self._batches = 0
        self._crash_on_batch = crash_on_batch

    async def send_all(self, records: Sequence[OutgoingRecord]) -> None:
        await self._real.send_all(records)
        self._batches += 1
        if self._batches == self._crash_on_batch:
            raise ConnectionResetError("crashed after publishing")


async def test_a_relay_resumes_after_a_crash_and_loses_nothing(
    pool: Pool, kafka_bootstrap: str
) -> None:
    await ensure_topic(kafka_bootstrap, TEST_EVENTS_TOPIC)
    subjects = [f"case-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    await write(pool, subjects, per_subject=20)
    producer = KafkaProducer(kafka_bootstrap, client_id="outbox-crash-test")
    await producer.start()
    try:
        crashing = OutboxRelay(pool, CrashAfterSending(producer, crash_on_batch=2), batch_size=10)
        with pytest.raises(ConnectionResetError):
            await relay_all(crashing)
        await relay_all(OutboxRelay(pool, producer, batch_size=10))
    finally:
        await producer.stop()

    per_key = await published(kafka_bootstrap, subjects)
    for subject in subjects:
        counters = per_key[subject]
        # At least once: the batch in flight at the crash is published again, in order.
        # Read with duplicates skipped (as consumers do, by event id), the stream is in order.
        assert list(dict.fromkeys(counters)) == list(range(1, 21))
        assert len(counters) > 20
