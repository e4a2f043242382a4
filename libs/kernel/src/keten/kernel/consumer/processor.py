"""Exactly-once effects for consumed records, independent of how they were received.

Records come in batches (one poll of a partition set). A batch is applied in one database
transaction: for each record, decode and validate it; if this consumer takes its type, run its
handler and record its message id in the inbox. One commit for the batch amortises the cost of
a durable commit over many records; per-partition order is kept.

No single record can stall the batch. Faults are told apart by `keten.kernel.faults`:

1. The batch runs without savepoints (two round trips a record saved).
2. If a handler or the store refuses any record, the batch runs again with a savepoint around
   each record, so that a refusal undoes only its own record's writes and becomes its dead
   letter.
3. If the batch still fails (it keeps conflicting with other writers, or a fault lies outside
   any one handler), the records run one by one. Contention is retried until it passes: a valid
   command is never dead-lettered for it. A record whose transaction keeps failing while the
   database answers is dead-lettered after `MAX_ATTEMPTS`.

A database outage is waited out, never dead-lettered. Dead letters are rows of
`keten.dead_letters` written in the same transaction (published by the outbox relay), so no
Kafka call happens inside a transaction and a dead letter is never lost or sent twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Final

import asyncpg
import orjson

from keten.contracts.envelope import CloudEvent
from keten.contracts.errors import InvalidMessage
from keten.contracts.messages import Clock, Command, decode_record, message_type, parse_message
from keten.kernel import timers
from keten.kernel.consumer import deadletters, inbox, parking
from keten.kernel.consumer.deadletters import DeadLetter
from keten.kernel.consumer.model import Delivery, Handler, IncomingRecord, Outcome, Rejected
from keten.kernel.consumer.parking import ParkedMessage, Wait
from keten.kernel.db import Connection, Pool
from keten.kernel.faults import Fault, classify
from keten.kernel.logging import bound, get_logger
from keten.kernel.metrics import MESSAGES_DEAD_LETTERED, MESSAGES_PROCESSED
from keten.kernel.sealing import DeadLetterKey, seal_personal
from keten.kernel.timers import TimerHandler
from keten.kernel.verdicts import Parked

log = get_logger(__name__)

BATCH_CONFLICTS: Final = 20  # conflicts of a whole batch before it runs record by record
SAVEPOINT_CONFLICTS: Final = 5  # a handler's stream conflicts within its savepoint
MAX_ATTEMPTS: Final = 5  # failures of one record, with the database answering, before its letter
OUTAGE_MAX_DELAY: Final = 5.0


class Stopping(Exception):  # noqa: N818
    """The consumer stopped before the records could be stored: they must be read again."""


@dataclass
class _Txn:
    """What one transaction knows of its records: the inbox rows of their ids, and which of
    their subjects have parked messages."""

    seen: dict[str, inbox.Seen]
    parked: set[str]


@dataclass(frozen=True)
class _Prepared:
    """A record after decoding: to apply (handler and delivery), to dead-letter, or to pass."""

    record: IncomingRecord
    message_id: str | None = None  # the envelope's id, once it is known to be well-formed
    message_type: str | None = None
    content_hash: bytes = b""
    delivery: Delivery | None = None
    handler: Handler | None = None
    dead: DeadLetter | None = None

    @property
    def subject(self) -> str:
        return self.delivery.envelope.subject if self.delivery else ""

    @property
    def passes(self) -> bool:
        """Neither taken nor refused: an event this consumer has no use for."""
        return self.handler is None and self.dead is None


def content_hash(envelope: CloudEvent) -> bytes:
    """The same message redelivered (or replayed from its dead letter) has the same hash."""
    canonical = orjson.dumps(envelope.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).digest()


class RecordProcessor:
    """Applies the records of one consumer (one Kafka consumer group) exactly once."""

    def __init__(  # noqa: PLR0913 - the collaborators, named
        self,
        name: str,
        pool: Pool,
        handlers: Mapping[str, Handler],
        dead_letter_key: DeadLetterKey,
        *,
        on_commit: Callable[[], None] = lambda: None,
        stopping: Callable[[], bool] = lambda: False,
        observe_time: Callable[[datetime], None] = lambda _: None,
        clock: Clock = "wall",
        timers: Mapping[str, TimerHandler] | None = None,
    ) -> None:
        """`clock` is what a message's time may be at most a day ahead of (None: no bound
        but 2200, for a simulation's event time)."""
        self.name = name
        self._clock = clock
        self._timers = dict(timers or {})
        self._pool = pool
        self._handlers = dict(handlers)
        self._key = dead_letter_key
        self._on_commit = on_commit
        self._stopping = stopping
        self._observe_time = observe_time

    async def process(self, record: IncomingRecord) -> Outcome:
        return (await self.process_batch([record]))[0]

    async def process_batch(self, records: Sequence[IncomingRecord]) -> list[Outcome]:
        prepared = [self._prepare(record) for record in records]
        outcomes = await self._run(prepared)
        self._count(prepared, outcomes)
        return outcomes

    async def replay(self, record: IncomingRecord) -> Outcome:
        """A dead letter's record, its cause mended: applied once however often replayed."""
        return await self._resume(record, Outcome.DEAD_LETTERED)

    async def rerun(self, record: IncomingRecord) -> Outcome:
        """A parked record whose wait is over: applied once, parked again, or refused."""
        return await self._resume(record, Outcome.PARKED)

    async def _resume(self, record: IncomingRecord, was: Outcome) -> Outcome:
        prepared = [self._prepare(record)]
        outcomes = await self._run(prepared, resume=was)
        self._count(prepared, outcomes)
        return outcomes[0]

    async def give_up(self, parked: ParkedMessage, value: bytes) -> bool:
        """Dead-letters a message that waited too long ("waited for ..."); False if it ran or
        was given up meanwhile. `value` is the parked record's, its seals opened."""
        item = _Prepared(parked.record(value), parked.message_id, parked.message_type)
        dead = DeadLetter("business", "WaitedTooLong", f"waited for {parked.what}")

        async def expire() -> list[Outcome]:
            async with self._pool.acquire() as conn, conn.transaction():
                if not await parking.unpark(conn, self.name, parked.message_id):
                    return [Outcome.DUPLICATE]
                was, now = Outcome.PARKED, Outcome.DEAD_LETTERED
                await inbox.resumed(conn, self.name, parked.message_id, was=was, now=now)
                await self._keep_dead_letter(conn, item, dead)
            return [Outcome.DEAD_LETTERED]

        [outcome] = await self._with_retries(expire)
        if outcome is Outcome.DEAD_LETTERED:
            self._tell_dead_letter(item.record, dead)
            self._on_commit()
        return outcome is Outcome.DEAD_LETTERED

    def _count(self, prepared: Sequence[_Prepared], outcomes: Sequence[Outcome]) -> None:
        for item, outcome in zip(prepared, outcomes, strict=True):
            MESSAGES_PROCESSED.labels(self.name, item.record.topic, outcome.value).inc()
        if {Outcome.APPLIED, Outcome.DEAD_LETTERED, Outcome.PARKED} & set(outcomes):
            self._on_commit()

    async def _run(
        self, prepared: Sequence[_Prepared], *, resume: Outcome | None = None
    ) -> list[Outcome]:
        """`resume`: the inbox outcome from which the record may take effect again (a dead
        letter replayed, a parked message run again)."""
        batch = partial(self._transaction, prepared, guarded=False, resume=resume)
        try:
            return await self._with_retries(batch)
        except (_Unguarded, _BatchConflict, _RecordFault):
            pass
        guarded = partial(self._transaction, prepared, guarded=True, resume=resume)
        try:
            return await self._with_retries(guarded)
        except (_BatchConflict, _RecordFault):
            pass
        # Other transactions keep extending streams this batch writes, or a fault lies
        # outside any one record's savepoint: record by record.
        return [await self._alone(item, resume=resume) for item in prepared]

    async def _alone(self, item: _Prepared, *, resume: Outcome | None) -> Outcome:
        one = partial(self._transaction, [item], guarded=True, resume=resume)
        try:
            [outcome] = await self._with_retries(one, single=True)
        except _RecordFault as fault:
            return await self._bury(item, fault.dead)
        return outcome

    def _prepare(self, record: IncomingRecord) -> _Prepared:
        try:
            envelope = decode_record(record.value, record.headers, clock=self._clock)
        except InvalidMessage as invalid:
            return _Prepared(record, dead=_invalid(invalid))
        known = _Prepared(
            record,
            message_id=envelope.id,
            message_type=envelope.type,
            content_hash=content_hash(envelope),
        )
        dead = self._misfit(record, envelope)
        if dead is not None:
            return replace(known, dead=dead)
        self._observe_time(envelope.time)
        handler = self._handlers.get(envelope.type)
        if handler is None:
            return known
        try:
            message = parse_message(envelope)
        except InvalidMessage as invalid:
            return replace(known, dead=_invalid(invalid))
        delivery = Delivery(envelope=envelope, message=message, record=record)
        return replace(known, delivery=delivery, handler=handler)

    def _misfit(self, record: IncomingRecord, envelope: CloudEvent) -> DeadLetter | None:
        """Why a well-formed message does not belong here, if it does not."""
        cls = message_type(envelope.type)
        if cls is None:
            return DeadLetter("validate", "UnknownType", f"unknown message type {envelope.type!r}")
        if record.key != envelope.subject.encode():
            return DeadLetter("validate", "KeyMismatch", "the Kafka key differs from subject")
        if issubclass(cls, Command):
            if envelope.type in self._handlers and cls.topic in (None, record.topic):
                return None
            reason = f"{envelope.type} is not a command of this topic"
        elif cls.topic is None:
            reason = f"{envelope.type} is kept in its store, on no topic"
        elif cls.topic != record.topic:
            reason = f"{envelope.type} is not an event of this topic"
        else:
            return None
        return DeadLetter("validate", "WrongTopic", reason)

    async def _transaction(
        self, prepared: Sequence[_Prepared], *, guarded: bool, resume: Outcome | None
    ) -> list[Outcome]:
        async with self._pool.acquire() as conn, conn.transaction():
            ids = [item.message_id for item in prepared if item.message_id and not item.passes]
            subjects = [item.delivery.envelope.subject for item in prepared if item.delivery]
            txn = _Txn(
                seen=await inbox.seen_among(conn, self.name, ids),
                parked=await parking.subjects_among(conn, self.name, subjects),
            )
            results = [
                await self._one(conn, item, txn, guarded=guarded, resume=resume)
                for item in prepared
            ]
        for item, (_, dead) in zip(prepared, results, strict=True):
            if dead is not None:
                self._tell_dead_letter(item.record, dead)
        return [outcome for outcome, _ in results]

    async def _one(
        self,
        conn: Connection,
        item: _Prepared,
        txn: _Txn,
        *,
        guarded: bool,
        resume: Outcome | None,
    ) -> tuple[Outcome, DeadLetter | None]:
        """The record's outcome, and its dead letter if it has one (told once committed)."""
        if item.passes:
            return Outcome.IGNORED, None
        renew = resume is Outcome.DEAD_LETTERED
        previous = txn.seen.get(item.message_id) if item.message_id else None
        if previous is not None and not previous.same_content(item.content_hash):
            reused = DeadLetter("validate", "ReusedId", "id reused with other content")
            await self._keep_dead_letter(conn, item, reused, renew=renew)
            return Outcome.DEAD_LETTERED, reused
        retry = resume is not None and previous is not None and previous.outcome is resume
        if previous is not None and not retry:
            return Outcome.DUPLICATE, None
        if item.message_id is not None:  # the same message twice in one batch
            txn.seen[item.message_id] = inbox.Seen(Outcome.APPLIED, item.content_hash)
        run = self._guarded if guarded else self._unguarded
        verdict = item.dead or await run(conn, item, txn)
        outcome = _outcome(verdict)
        if item.message_id is not None:
            await self._mark(conn, item, outcome, resumed_from=resume if retry else None)
        if isinstance(verdict, Wait):
            await self._park(conn, item, verdict)
            txn.parked.add(item.subject)
        elif retry and resume is Outcome.PARKED:
            await parking.unpark(conn, self.name, item.message_id or "")
        if isinstance(verdict, DeadLetter):
            await self._keep_dead_letter(conn, item, verdict, renew=renew)
            return outcome, verdict
        return outcome, None

    async def _park(self, conn: Connection, item: _Prepared, wait: Wait) -> None:
        assert item.delivery is not None
        envelope = item.delivery.envelope
        value, sealed = seal_personal(self._key, item.record.value)
        await parking.park(
            conn,
            self.name,
            item.record,
            message_id=envelope.id,
            message_type=envelope.type,
            subject=envelope.subject,
            event_time=envelope.time,
            value=value,
            sealed=sealed,
            wait=wait,
        )

    async def _mark(
        self, conn: Connection, item: _Prepared, outcome: Outcome, *, resumed_from: Outcome | None
    ) -> None:
        assert item.message_id is not None
        if resumed_from is not None:
            if outcome is not resumed_from and not await inbox.resumed(
                conn, self.name, item.message_id, was=resumed_from, now=outcome
            ):
                raise asyncpg.SerializationError("run again concurrently")
            return
        if not await inbox.record(
            conn, self.name, item.message_id, item.record, outcome, content_hash=item.content_hash
        ):
            raise asyncpg.SerializationError("processed concurrently")

    async def _guarded(
        self, conn: Connection, item: _Prepared, txn: _Txn
    ) -> DeadLetter | Wait | None:
        """The handler in a savepoint, so that a refusal (or a wait) undoes only this record's
        writes."""
        assert item.handler is not None
        assert item.delivery is not None
        with self._context(item.delivery):
            for attempt in range(SAVEPOINT_CONFLICTS):
                try:
                    async with conn.transaction():
                        await self._handle(conn, item.handler, item.delivery, txn)
                except Rejected as rejected:
                    return DeadLetter("business", "Rejected", rejected.reason)
                except _WaitsBehind as behind:
                    return behind.wait
                except Parked as parked:
                    return parking.wait_for(parked.not_yet)
                except InvalidMessage as invalid:
                    return _invalid(invalid)
                except Exception as exc:
                    fault = classify(exc)
                    if fault is Fault.CONTENTION and attempt + 1 < SAVEPOINT_CONFLICTS:
                        await asyncio.sleep(0.002 * attempt)
                        continue
                    if fault is not Fault.RECORD:
                        raise
                    # The exception's text may quote data: only its type and place are told.
                    log.error(  # noqa: TRY400 - no traceback: its text may quote data
                        "handler.failed", error=type(exc).__name__, at=_where(exc)
                    )
                    return DeadLetter("business", type(exc).__name__, "could not be applied")
                else:
                    return None
        raise asyncpg.SerializationError("stream kept changing")

    async def _handle(
        self, conn: Connection, handler: Handler, delivery: Delivery, txn: _Txn
    ) -> None:
        """A subject's messages keep their order: one behind a parked message of its subject
        waits behind it. Timers before later facts: the subject's timers due by the message's
        time fire first, then the handler runs."""
        envelope = delivery.envelope
        if envelope.subject in txn.parked:
            wait = await parking.earlier(
                conn, self.name, envelope.subject, envelope.time, envelope.id
            )
            if wait is not None:
                raise _WaitsBehind(wait)
        await timers.fire_due_before(conn, envelope.subject, envelope.time, self._timers)
        await handler(conn, delivery)

    async def _unguarded(self, conn: Connection, item: _Prepared, txn: _Txn) -> None:
        """The handler as is; any failure of its own, or a wait, sends the batch to the
        guarded run."""
        assert item.handler is not None
        assert item.delivery is not None
        try:
            await self._handle(conn, item.handler, item.delivery, txn)
        except (Parked, _WaitsBehind) as exc:
            raise _Unguarded from exc
        except Exception as exc:
            if classify(exc) is Fault.RECORD:
                raise _Unguarded from exc
            raise

    def _context(self, delivery: Delivery) -> AbstractContextManager[None]:
        envelope = delivery.envelope
        return bound(
            consumer=self.name,
            message_id=envelope.id,
            message_type=envelope.type,
            correlation_id=delivery.correlation_id,
            causation_id=envelope.causationid,
        )

    async def _with_retries(
        self, attempt: Callable[[], Awaitable[list[Outcome]]], *, single: bool = False
    ) -> list[Outcome]:
        """Waits out outages and retries contention; a record fault is raised to the caller.

        A batch that keeps conflicting is given up (`_BatchConflict`) to go record by record;
        a single record is retried until contention passes. A single record whose transaction
        fails `MAX_ATTEMPTS` times with an outage while the database answers is a record fault.
        """
        conflicts = 0
        attempts = 0
        delay = 0.1
        while True:
            try:
                return await attempt()
            except (_Unguarded, _RecordFault):
                raise
            except Exception as exc:
                fault = classify(exc)
                if fault is Fault.RECORD:
                    raise _RecordFault(_failed(exc, "could not be stored")) from exc
                if fault is Fault.CONTENTION:
                    conflicts += 1
                    if conflicts >= BATCH_CONFLICTS and not single:
                        raise _BatchConflict from None
                    await asyncio.sleep(min(0.005 * conflicts, 1.0))
                    continue
                if self._stopping():
                    raise Stopping from exc
                if single and await self._database_answers():
                    attempts += 1
                    if attempts >= MAX_ATTEMPTS:
                        reason = f"failed {attempts} attempts"
                        raise _RecordFault(_failed(exc, reason)) from exc
                log.warning("database.unavailable", error=type(exc).__name__, retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, OUTAGE_MAX_DELAY)

    async def _database_answers(self) -> bool:
        try:
            async with self._pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
        except Exception:  # noqa: BLE001 - any failure means no
            return False
        return True

    async def _bury(self, item: _Prepared, dead: DeadLetter) -> Outcome:
        """The dead letter of a record whose own transaction cannot be stored, on its own."""

        async def keep() -> list[Outcome]:
            async with self._pool.acquire() as conn, conn.transaction():
                await self._keep_dead_letter(conn, item, dead)
            return [Outcome.DEAD_LETTERED]

        [outcome] = await self._with_retries(keep)
        self._tell_dead_letter(item.record, dead)
        return outcome

    async def _keep_dead_letter(
        self, conn: Connection, item: _Prepared, dead: DeadLetter, *, renew: bool = False
    ) -> None:
        """Keeps the record's dead letter; `renew` (a replay refused again) gives an existing
        letter its new reason."""
        value, sealed = seal_personal(self._key, item.record.value)
        await deadletters.add(
            conn,
            self.name,
            item.record,
            dead,
            value=value,
            sealed=sealed,
            message_id=item.message_id,
            message_type=item.message_type,
            renew=renew,
        )

    def _tell_dead_letter(self, record: IncomingRecord, dead: DeadLetter) -> None:
        """The metric and log line of a dead letter, once its transaction has committed."""
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


def _outcome(verdict: DeadLetter | Wait | None) -> Outcome:
    if isinstance(verdict, Wait):
        return Outcome.PARKED
    return Outcome.APPLIED if verdict is None else Outcome.DEAD_LETTERED


def _invalid(invalid: InvalidMessage) -> DeadLetter:
    return DeadLetter(invalid.stage, "InvalidMessage", invalid.reason)


def _where(error: BaseException) -> str:
    """The innermost frame of the error, `file:line`: where, without what."""
    frames = traceback.extract_tb(error.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


def _failed(error: BaseException, reason: str) -> DeadLetter:
    """A record fault's letter: the kind of error, never its text (it may quote data)."""
    return DeadLetter("business", type(error).__name__, reason)


class _Unguarded(Exception):  # noqa: N818
    """A handler failed in the run without savepoints: run the batch again with them."""


class _WaitsBehind(Exception):  # noqa: N818
    """An earlier message of the subject is parked: this one waits behind it."""

    def __init__(self, wait: Wait) -> None:
        super().__init__(wait.what)
        self.wait = wait


class _BatchConflict(Exception):  # noqa: N818
    """The batch kept conflicting with other transactions."""


class _RecordFault(Exception):  # noqa: N818
    """A fault of the records themselves, outside any handler's savepoint."""

    def __init__(self, dead: DeadLetter) -> None:
        super().__init__(dead.reason)
        self.dead = dead
