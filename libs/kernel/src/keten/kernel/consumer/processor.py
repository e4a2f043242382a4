"""Exactly-once effects for consumed records, independent of how they were received.

Records come in batches (one poll of a partition set). A batch is applied in one database
transaction: for each record, decode and validate it; if this consumer handles its type, run
its handler and record its message id in the inbox. One commit for the batch amortises the
cost of a durable commit over many records; per-partition order is kept.

Handlers run without savepoints first (two round trips a record saved): if any handler
refuses or fails, that attempt is rolled back whole and the batch runs again with a savepoint
around each handler, so that a refusal undoes only its own record's writes.

A record that cannot be decoded, validated or applied goes to its topic's dead-letter topic with
the reason in its headers (sent before the batch commits: at least once), and the batch goes
on. A database outage is waited out, never dead-lettered: the batch is retried until it is
stored or the consumer stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Final

import asyncpg

from keten.contracts.errors import InvalidMessage, Stage
from keten.contracts.messages import decode_envelope, message_type, parse_message
from keten.contracts.topics import dead_letter_topic
from keten.kernel.consumer import inbox
from keten.kernel.consumer.model import Delivery, Handler, IncomingRecord, Outcome, Rejected
from keten.kernel.db import Connection, Pool
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
# Conflicts that only a new transaction can resolve (the whole batch is tried again).
BATCH_CONFLICTS: Final = (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)


class Stopping(Exception):  # noqa: N818
    """The consumer stopped before the records could be stored: they must be read again."""


@dataclass(frozen=True)
class DeadLetter:
    stage: Stage
    error_type: str
    reason: str


@dataclass(frozen=True)
class _Prepared:
    """A record after decoding: to apply (handler and delivery), to dead-letter, or to pass."""

    record: IncomingRecord
    message_id: str
    delivery: Delivery | None = None
    handler: Handler | None = None
    dead: DeadLetter | None = None


class RecordProcessor:
    """Applies the records of one consumer (one Kafka consumer group) exactly once."""

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
        return (await self.process_batch([record]))[0]

    async def process_batch(self, records: Sequence[IncomingRecord]) -> list[Outcome]:
        prepared = [self._prepare(record) for record in records]
        try:
            outcomes = await self._with_retries(partial(self._transaction, prepared, guarded=False))
        except (_Unguarded, _BatchConflict):
            outcomes = await self._guarded(prepared)
        for item, outcome in zip(prepared, outcomes, strict=True):
            MESSAGES_PROCESSED.labels(self.name, item.record.topic, outcome.value).inc()
        if Outcome.APPLIED in outcomes:
            self._on_commit()
        return outcomes

    async def _guarded(self, prepared: Sequence[_Prepared]) -> list[Outcome]:
        """The batch with a savepoint around each handler."""
        try:
            return await self._with_retries(partial(self._transaction, prepared, guarded=True))
        except _BatchConflict:
            # Other transactions keep extending streams this batch writes: one by one.
            outcomes = []
            for item in prepared:
                one = partial(self._transaction, [item], guarded=True)
                outcomes += await self._with_retries(one)
            return outcomes

    def _prepare(self, record: IncomingRecord) -> _Prepared:
        try:
            envelope = decode_envelope(record.value)
        except InvalidMessage as invalid:
            dead = DeadLetter(invalid.stage, "InvalidMessage", invalid.reason)
            return _Prepared(record, record.position_id, dead=dead)
        self._observe_time(envelope.time)
        if message_type(envelope.type) is None:
            reason = f"unknown message type {envelope.type[:60]!r}"
            return _Prepared(
                record, envelope.id, dead=DeadLetter("validate", "UnknownType", reason)
            )
        handler = self._handlers.get(envelope.type)
        if handler is None:
            return _Prepared(record, envelope.id)
        try:
            message = parse_message(envelope)
        except InvalidMessage as invalid:
            dead = DeadLetter(invalid.stage, "InvalidMessage", invalid.reason)
            return _Prepared(record, envelope.id, dead=dead)
        delivery = Delivery(envelope=envelope, message=message, record=record)
        return _Prepared(record, envelope.id, delivery=delivery, handler=handler)

    async def _transaction(self, prepared: Sequence[_Prepared], *, guarded: bool) -> list[Outcome]:
        outgoing: list[OutgoingRecord] = []
        async with self._pool.acquire() as conn, conn.transaction():
            ids = [item.message_id for item in prepared if item.handler or item.dead]
            seen = await inbox.seen_among(conn, self.name, ids)
            outcomes = [
                await self._one(conn, item, seen, outgoing, guarded=guarded) for item in prepared
            ]
            if outgoing:
                await self._dead_letters.send_all(outgoing)
        return outcomes

    async def _one(
        self,
        conn: Connection,
        item: _Prepared,
        seen: set[str],
        outgoing: list[OutgoingRecord],
        *,
        guarded: bool,
    ) -> Outcome:
        if item.handler is None and item.dead is None:
            return Outcome.IGNORED
        if item.message_id in seen:
            return Outcome.DUPLICATE
        seen.add(item.message_id)  # the same message twice in one batch
        dead = item.dead or await self._apply(conn, item, guarded=guarded)
        outcome = Outcome.APPLIED if dead is None else Outcome.DEAD_LETTERED
        if not await inbox.record(conn, self.name, item.message_id, item.record, outcome):
            raise asyncpg.SerializationError("processed concurrently")
        if dead is not None:
            outgoing.append(self._dead_letter(item.record, dead))
        return outcome

    async def _apply(
        self, conn: Connection, item: _Prepared, *, guarded: bool
    ) -> DeadLetter | None:
        """Runs the handler: guarded, in a savepoint, so that a refusal undoes only this
        record's writes; unguarded, as is, any failure but the database's own sending the
        whole batch to the guarded run."""
        assert item.handler is not None
        assert item.delivery is not None
        envelope = item.delivery.envelope
        with bound(
            consumer=self.name,
            message_id=envelope.id,
            message_type=envelope.type,
            correlation_id=item.delivery.correlation_id,
            causation_id=envelope.causationid,
        ):
            if not guarded:
                await _unguarded(conn, item.handler, item.delivery)
                return None
            for attempt in range(CONFLICT_RETRIES):
                try:
                    async with conn.transaction():
                        await item.handler(conn, item.delivery)
                except ConcurrencyError:
                    await asyncio.sleep(0.002 * attempt)
                    continue
                except Rejected as rejected:
                    return DeadLetter("business", "Rejected", rejected.reason)
                except InvalidMessage as invalid:
                    return DeadLetter(invalid.stage, "InvalidMessage", invalid.reason)
                except (*TRANSIENT_ERRORS, *BATCH_CONFLICTS):
                    raise
                except Exception as exc:
                    # The exception's text may quote data; only its type travels on.
                    log.exception("handler.failed", error=type(exc).__name__)
                    return DeadLetter("business", type(exc).__name__, "unexpected error")
                else:
                    return None
        return DeadLetter("business", "Conflict", "stream kept changing")

    async def _with_retries(self, attempt: Callable[[], Awaitable[list[Outcome]]]) -> list[Outcome]:
        conflicts = 0
        delay = 0.1
        while True:
            try:
                return await attempt()
            except BATCH_CONFLICTS:
                conflicts += 1
                if conflicts >= CONFLICT_RETRIES:
                    raise _BatchConflict from None
                await asyncio.sleep(0.005 * conflicts)
            except TRANSIENT_ERRORS as exc:
                if self._stopping():
                    raise Stopping from exc
                log.warning("database.unavailable", error=type(exc).__name__, retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _dead_letter(self, record: IncomingRecord, dead: DeadLetter) -> OutgoingRecord:
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
        headers = (
            ("error.stage", dead.stage.encode()),
            ("error.type", dead.error_type.encode()),
            ("error.message", dead.reason.encode()),
            ("original.topic", record.topic.encode()),
            ("original.partition", str(record.partition).encode()),
            ("original.offset", str(record.offset).encode()),
            ("original.consumer", self.name.encode()),
        )
        return OutgoingRecord(
            topic=dead_letter_topic(record.topic),
            value=record.value,
            key=record.key,
            headers=headers,
        )


async def _unguarded(conn: Connection, handler: Handler, delivery: Delivery) -> None:
    try:
        await handler(conn, delivery)
    except (*TRANSIENT_ERRORS, *BATCH_CONFLICTS):
        raise
    except Exception as exc:
        raise _Unguarded from exc


class _Unguarded(Exception):  # noqa: N818
    """A handler failed in the run without savepoints: run the batch again with them."""


class _BatchConflict(Exception):  # noqa: N818
    """The batch kept conflicting with other transactions."""
