"""Small real-Kafka helpers for tests: fresh topics, raw publishing, reading a topic back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from keten.contracts.topics import dead_letter_topic


async def fresh_topic(bootstrap: str, prefix: str, partitions: int = 3) -> str:
    """A new topic and its dead-letter twin, unique to the calling test."""
    topic = f"{prefix}.{uuid.uuid4().hex[:10]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [
                NewTopic(name, num_partitions=partitions, replication_factor=1)
                for name in (topic, dead_letter_topic(topic))
            ]
        )
    finally:
        await admin.close()
    return topic


async def fresh_clock_topic(bootstrap: str) -> str:
    """A compacted clock topic of its own (one partition, as `keten.clock`): services given it
    share their simulated time with each other and with no other test's services."""
    topic = f"keten.clock.{uuid.uuid4().hex[:10]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        compacted = {"cleanup.policy": "compact"}
        await admin.create_topics([NewTopic(topic, 1, 1, topic_configs=compacted)])
    finally:
        await admin.close()
    return topic


async def publish_raw(
    bootstrap: str, topic: str, records: Sequence[tuple[bytes | None, bytes]]
) -> None:
    """Publishes (key, value) byte pairs as an outside system would, in order."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for key, value in records:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def read_topic(
    bootstrap: str, topic: str, count: int, timeout: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Reads `count` records from the start of `topic` (fails after `timeout` seconds)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    received: list[ConsumerRecord[bytes, bytes]] = []
    try:
        async with asyncio.timeout(timeout):
            while len(received) < count:
                batch = await consumer.getmany(timeout_ms=500)
                received.extend(r for records in batch.values() for r in records)
    finally:
        await consumer.stop()
    return received


def header(record: ConsumerRecord[bytes, bytes], name: str) -> str:
    value: bytes = dict(record.headers)[name]
    return value.decode()


async def eventually(check: object, timeout: float = 30.0, interval: float = 0.1) -> None:
    """Waits until the async callable `check` returns True."""
    async with asyncio.timeout(timeout):
        while not await check():  # type: ignore[operator]  # noqa: ASYNC110 - polls a database
            await asyncio.sleep(interval)


async def read_to_end(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record in `topic` at the moment of the call, partition by partition."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    received: list[ConsumerRecord[bytes, bytes]] = []
    try:
        async with asyncio.timeout(30):
            while not consumer.assignment():  # noqa: ASYNC110 - polls the client
                await asyncio.sleep(0.05)
            end = await consumer.end_offsets(list(consumer.assignment()))
            while [tp for tp, offset in end.items() if await consumer.position(tp) < offset]:
                batch = await consumer.getmany(timeout_ms=500)
                received.extend(r for records in batch.values() for r in records)
    finally:
        await consumer.stop()
    return received


async def ensure_topic(bootstrap: str, topic: str, partitions: int = 3) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        if topic not in await admin.list_topics():
            await admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        await admin.close()
