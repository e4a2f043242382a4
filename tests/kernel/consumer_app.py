"""A consumer used by the kernel's tests, in-process or as a process of its own."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from faststream.kafka import KafkaBroker

from keten.kernel import eventstore, schema
from keten.kernel.consumer import Delivery, RecordProcessor, Rejected, subscribe
from keten.kernel.db import Connection, Pool, create_pool
from keten.kernel.outbox import OutboxRelay
from keten.kernel.producer import KafkaProducer
from tests.kernel.events_for_tests import TEST_EVENTS_TOPIC, KernelTestDo, KernelTestHappened
from tests.support.kafka import ensure_topic
from tests.support.keys import dead_letter_key


async def apply_command(conn: Connection, delivery: Delivery) -> None:
    command = delivery.message
    assert isinstance(command, KernelTestDo)
    if command.refuse:
        raise Rejected(f"counter {command.counter} is refused by rule")
    stream_id = f"test-{delivery.envelope.subject}"
    version = len(await eventstore.read_stream(conn, stream_id))
    event = KernelTestHappened(counter=command.counter)
    await eventstore.append(
        conn,
        stream_id,
        version,
        [delivery.caused(event, subject=delivery.envelope.subject, source="tests/consumer")],
    )


async def prepare(pool: Pool) -> None:
    async with pool.acquire() as conn:
        await schema.setup(conn)


@asynccontextmanager
async def running_consumer(
    bootstrap: str,
    database_url: str,
    topic: str,
    group: str,
    on_commit: Callable[[], None] = lambda: None,
) -> AsyncIterator[Pool]:
    await ensure_topic(bootstrap, TEST_EVENTS_TOPIC)  # where the relay publishes the effects
    pool = await create_pool(database_url)
    await prepare(pool)
    producer = KafkaProducer(bootstrap, client_id=group)
    await producer.start()
    relay = OutboxRelay(pool, producer, name=f"{group}.outbox")  # publishes the dead letters
    broker = KafkaBroker(bootstrap, allow_auto_create_topics=False)

    def committed() -> None:
        relay.wake()
        on_commit()

    processor = RecordProcessor(
        group, pool, {"KernelTestDo": apply_command}, dead_letter_key(), on_commit=committed
    )
    subscribe(broker, processor, topic)
    stop = asyncio.Event()
    relaying = asyncio.create_task(relay.run(stop))
    await broker.start()
    try:
        yield pool
    finally:
        await broker.stop()
        stop.set()
        await relaying
        await producer.stop()
        await pool.close()


def kill_self() -> None:
    """Dies the hard way: after the database commit, before any offset commit."""
    os.kill(os.getpid(), signal.SIGKILL)


async def main(bootstrap: str, database_url: str, topic: str, group: str) -> None:
    async with running_consumer(bootstrap, database_url, topic, group, on_commit=kill_self):
        await asyncio.sleep(60)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
