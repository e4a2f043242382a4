"""The outbox relay: publishes the store's events to Kafka after they commit.

The event table itself is the outbox. The relay follows the global order from its checkpoint,
publishes each event with a topic to that topic (key = subject, value = CloudEvent JSON), waits
until Kafka has every record of the batch, then saves the checkpoint. At-least-once: a crash
between publishing and saving republishes the batch, which consumers skip by event id. Per
stream, global order is version order, so a subject's events reach its partition in order.

The consumers' dead letters (`keten.dead_letters`) go out the same way: each unpublished row
to its `<topic>.dlq`, then marked published.
"""

from __future__ import annotations

import asyncio
import time
from typing import Final

from keten.contracts.envelope import CONTENT_TYPE
from keten.kernel import checkpoints, eventstore
from keten.kernel.consumer import deadletters
from keten.kernel.db import Pool
from keten.kernel.eventstore import RecordedEvent
from keten.kernel.health import LoopHealth
from keten.kernel.logging import get_logger
from keten.kernel.metrics import DEAD_LETTERS_PUBLISHED, EVENTS_PUBLISHED, RELAY_BACKLOG
from keten.kernel.producer import OutgoingRecord, Producer
from keten.kernel.waiting import first_event

log = get_logger(__name__)
HEADERS: Final = (("content-type", CONTENT_TYPE.encode()),)
BACKLOG_EVERY_SECONDS: Final = 1.0


def to_record(event: RecordedEvent) -> OutgoingRecord:
    assert event.topic is not None
    return OutgoingRecord(
        topic=event.topic,
        value=event.to_cloudevent().to_json(),
        key=event.subject.encode(),
        headers=HEADERS,
    )


class OutboxRelay:
    def __init__(  # noqa: PLR0913 - the collaborators and settings, named
        self,
        pool: Pool,
        producer: Producer,
        *,
        name: str = "outbox",
        batch_size: int = 500,
        idle_seconds: float = 0.05,
        health: LoopHealth | None = None,
    ) -> None:
        self.health = health or LoopHealth(name)
        self._pool = pool
        self._producer = producer
        self._name = name
        self._batch_size = batch_size
        self._idle_seconds = idle_seconds
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Tells the relay that events were just committed."""
        self._wake.set()

    async def relay_once(self) -> int:
        """Publishes the next batch of events and of dead letters; returns how many it read
        of the larger."""
        async with self._pool.acquire() as conn:
            after = await checkpoints.load(conn, self._name)
            batch = await eventstore.read_all(conn, after, limit=self._batch_size)
            if batch:
                records = [to_record(e) for e in batch if e.topic is not None]
                await self._producer.send_all(records)
                await checkpoints.save(conn, self._name, batch[-1].position)
                EVENTS_PUBLISHED.labels(self._name).inc(len(records))
            letters = await deadletters.unpublished(conn, self._batch_size)
            if letters:
                await self._producer.send_all([letter.to_outgoing() for letter in letters])
                await deadletters.mark_published(conn, [letter.id for letter in letters])
                DEAD_LETTERS_PUBLISHED.labels(self._name).inc(len(letters))
        return max(len(batch), len(letters))

    async def backlog(self) -> int:
        async with self._pool.acquire() as conn:
            after = await checkpoints.load(conn, self._name)
            count: int = await conn.fetchval(
                "SELECT count(*) FROM keten.events WHERE (transaction_id, position) > ($1, $2)",
                after.transaction_id,
                after.position,
            )
        RELAY_BACKLOG.labels(self._name).set(count)
        return count

    async def run(self, stop: asyncio.Event) -> None:
        measured = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() - measured > BACKLOG_EVERY_SECONDS:
                    await self.backlog()
                    measured = time.monotonic()
                read = await self.relay_once()
            except Exception as exc:  # noqa: BLE001 - keep relaying; the batch is retried
                # Nothing may be skipped: a batch that keeps failing stalls the relay, and
                # after `STALL_SECONDS` the service says so (`/ready`, `keten status`).
                self.health.busy()
                log.warning("relay.failed", relay=self._name, error=type(exc).__name__)
                await first_event(stop, seconds=1.0)
                continue
            self.health.progressed()
            if read < self._batch_size:
                self._wake.clear()
                await first_event(stop, self._wake, seconds=self._idle_seconds)
