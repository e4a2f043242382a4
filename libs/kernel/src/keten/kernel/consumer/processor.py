"""Exactly-once effects for one consumed record, independent of how it was received.

For each record: decode and validate it; if this consumer handles its type, run the handler and
record the message id in the inbox in one transaction. A record that cannot be decoded,
validated or applied goes to the topic's dead-letter topic with the reason in its headers; the
caller then acknowledges it and the partition goes on. A database outage is waited out, never
dead-lettered: the record is retried until it is stored or the consumer stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Final

import asyncpg

from keten.contracts.envelope import CloudEvent
from keten.contracts.errors import InvalidMessage, Stage
from keten.contracts.messages import decode_envelope, message_type, parse_message
from keten.contracts.topics import dead_letter_topic
from keten.kernel.consumer import inbox
from keten.kernel.consumer.model import Delivery, Handler, IncomingRecord, Outcome, Rejected
from keten.kernel.db import Pool
from keten.kernel.eventstore import ConcurrencyError
from keten.kernel.logging import bound, get_logger
from keten.kernel.metrics import MESSAGES_DEAD_LETTERED, MESSAGES_PROCESSED
from keten.kernel.producer import OutgoingRecord, Producer

log = get_logger(__name__)

CONFLICT_RETRIES: Final = 20
TRANSIENT_ERRORS: Final = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)
CONFLICTS: Final = (ConcurrencyError, asyncpg.SerializationError, asyncpg.DeadlockDetectedError)


class Stopping(Exception):  # noqa: N818
    """The consumer stopped before the record could be stored: it must be read again."""


class _DeadLetter(Exception):  # noqa: N818
    def __init__(self, stage: Stage, error_type: str, reason: str, message_id: str = "") -> None:
        super().__init__(reason)
        self.stage: Stage = stage
        self.error_type = error_type
        self.reason = reason
        self.message_id = message_id


class RecordProcessor:
    """Applies records of one consumer (one Kafka consumer group) exactly once."""

    def __init__(  # noqa: PLR0913 - the collaborators, named
        self,
        name: str,
        pool: Pool,
        dead_letters: Producer,
        handlers: Mapping[str, Handler],
        *,
        on_commit: Callable[[], None] = lambda: None,
        stopping: Callable[[], bool] = lambda: False,
        observe_time: Callable[[datetime], None] = lambda _: None,
    ) -> None:
        self.name = name
        self._pool = pool
        self._dead_letters = dead_letters
        self._handlers = dict(handlers)
        self._on_commit = on_commit
        self._stopping = stopping
        self._observe_time = observe_time

    async def process(self, record: IncomingRecord) -> Outcome:
        try:
            outcome = await self._apply(record)
        except _DeadLetter as dead:
            outcome = await self._dead_letter(record, dead)
        MESSAGES_PROCESSED.labels(self.name, record.topic, outcome.value).inc()
        return outcome

    async def _apply(self, record: IncomingRecord) -> Outcome:
        envelope = _decode_envelope(record)
        self._observe_time(envelope.time)
        handler = self._handlers.get(envelope.type)
        if handler is None:
            return Outcome.IGNORED
        delivery = _parse(record, envelope)
        with bound(
            consumer=self.name,
            message_id=envelope.id,
            message_type=envelope.type,
            correlation_id=delivery.correlation_id,
            causation_id=envelope.causationid,
        ):
            outcome = await self._with_retries(lambda: self._transaction(handler, delivery))
            if outcome is Outcome.APPLIED:
                self._on_commit()
            log.debug("message.processed", outcome=outcome.value)
            return outcome

    async def _transaction(self, handler: Handler, delivery: Delivery) -> Outcome:
        message_id = delivery.envelope.id
        async with self._pool.acquire() as conn, conn.transaction():
            if await inbox.seen(conn, self.name, message_id):
                return Outcome.DUPLICATE
            try:
                await handler(conn, delivery)
            except Rejected as rejected:
                raise _DeadLetter("business", "Rejected", rejected.reason, message_id) from None
            except InvalidMessage as invalid:
                raise _DeadLetter(
                    invalid.stage, "InvalidMessage", invalid.reason, message_id
                ) from None
            except (*TRANSIENT_ERRORS, *CONFLICTS):
                raise
            except Exception as exc:
                # The handler's own message may quote data; only its type travels on.
                log.exception("handler.failed", error=type(exc).__name__)
                raise _DeadLetter(
                    "business", type(exc).__name__, "unexpected error", message_id
                ) from None
            if not await inbox.record(
                conn, self.name, message_id, delivery.record, Outcome.APPLIED
            ):
                raise asyncpg.SerializationError("processed concurrently")
        return Outcome.APPLIED

    async def _with_retries(self, attempt: Callable[[], Awaitable[Outcome]]) -> Outcome:
        conflicts = 0
        delay = 0.1
        while True:
            try:
                return await attempt()
            except CONFLICTS:
                conflicts += 1
                if conflicts >= CONFLICT_RETRIES:
                    raise _DeadLetter("business", "Conflict", "stream kept changing") from None
                await asyncio.sleep(0.005 * conflicts)
            except TRANSIENT_ERRORS as exc:
                if self._stopping():
                    raise Stopping from exc
                log.warning("database.unavailable", error=type(exc).__name__, retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _dead_letter(self, record: IncomingRecord, dead: _DeadLetter) -> Outcome:
        message_id = dead.message_id or record.position_id
        if await self._with_retries(lambda: self._seen(message_id)) is Outcome.DUPLICATE:
            return Outcome.DUPLICATE
        headers = (
            ("error.stage", dead.stage.encode()),
            ("error.type", dead.error_type.encode()),
            ("error.message", dead.reason.encode()),
            ("original.topic", record.topic.encode()),
            ("original.partition", str(record.partition).encode()),
            ("original.offset", str(record.offset).encode()),
            ("original.consumer", self.name.encode()),
        )
        topic = dead_letter_topic(record.topic)
        await self._dead_letters.send_all(
            [OutgoingRecord(topic=topic, value=record.value, key=record.key, headers=headers)]
        )
        await self._with_retries(lambda: self._record_dead_letter(record, message_id))
        MESSAGES_DEAD_LETTERED.labels(self.name, record.topic, dead.stage).inc()
        log.warning(
            "message.dead_lettered",
            consumer=self.name,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            stage=dead.stage,
            error_type=dead.error_type,
        )
        return Outcome.DEAD_LETTERED

    async def _seen(self, message_id: str) -> Outcome:
        async with self._pool.acquire() as conn:
            seen = await inbox.seen(conn, self.name, message_id)
        return Outcome.DUPLICATE if seen else Outcome.APPLIED

    async def _record_dead_letter(self, record: IncomingRecord, message_id: str) -> Outcome:
        async with self._pool.acquire() as conn:
            await inbox.record(conn, self.name, message_id, record, Outcome.DEAD_LETTERED)
        return Outcome.DEAD_LETTERED


def _decode_envelope(record: IncomingRecord) -> CloudEvent:
    try:
        envelope = decode_envelope(record.value)
    except InvalidMessage as invalid:
        raise _DeadLetter(invalid.stage, "InvalidMessage", invalid.reason) from None
    if message_type(envelope.type) is None:
        reason = f"unknown message type {envelope.type[:60]!r}"
        raise _DeadLetter("validate", "UnknownType", reason, envelope.id)
    return envelope


def _parse(record: IncomingRecord, envelope: CloudEvent) -> Delivery:
    try:
        message = parse_message(envelope)
    except InvalidMessage as invalid:
        raise _DeadLetter(invalid.stage, "InvalidMessage", invalid.reason, envelope.id) from None
    return Delivery(envelope=envelope, message=message, record=record)
