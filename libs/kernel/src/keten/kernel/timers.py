"""Durable timers: set inside a transaction, fired exactly once when their time comes.

A timer is a row of `keten.timers`. `schedule` and `cancel` run in the caller's transaction,
so a timer is set or dropped atomically with the events that caused it. A `TimerRunner`
locks due rows with `FOR UPDATE SKIP LOCKED` (several runners on one database never take
the same timer), runs each timer's handler and marks the timer fired in one transaction:
the handler's writes and the mark commit together, so a timer fires once, across crashes
and restarts. Timer ids and kinds are logged; payloads never are (they may hold personal
data), so a timer id must not carry personal data either.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import structlog

from keten.kernel.db import Connection, Pool, create_tables
from keten.kernel.faults import is_transient
from keten.kernel.health import LoopHealth
from keten.kernel.metrics import TIMERS_FIRED
from keten.kernel.waiting import first_of

if TYPE_CHECKING:
    from asyncpg import Record

    from keten.kernel.clock import Clock

SCHEMA_SQL: Final = """
CREATE SCHEMA IF NOT EXISTS keten;

CREATE TABLE IF NOT EXISTS keten.timers (
    timer_id      text PRIMARY KEY,
    kind          text NOT NULL,
    due_at        timestamptz NOT NULL,
    payload       jsonb NOT NULL,
    scheduled_at  timestamptz NOT NULL,
    fired_at      timestamptz
);
CREATE INDEX IF NOT EXISTS timers_pending_due_at
    ON keten.timers (due_at) WHERE fired_at IS NULL;
ALTER TABLE keten.timers ADD COLUMN IF NOT EXISTS subject text;
CREATE INDEX IF NOT EXISTS timers_pending_by_subject
    ON keten.timers (subject, due_at) WHERE fired_at IS NULL AND subject IS NOT NULL;
"""

# A fired timer keeps its row, so scheduling its id again changes nothing: it fires once.
_SCHEDULE: Final = """
INSERT INTO keten.timers (timer_id, kind, due_at, payload, scheduled_at, subject)
VALUES ($1, $2, $3, $4, now(), $5)
ON CONFLICT (timer_id) DO UPDATE
   SET due_at = EXCLUDED.due_at, payload = EXCLUDED.payload,
       scheduled_at = EXCLUDED.scheduled_at
 WHERE keten.timers.fired_at IS NULL
"""

_PICK: Final = """
SELECT timer_id, kind, due_at, payload FROM keten.timers
 WHERE fired_at IS NULL AND due_at <= $1
   AND kind = ANY($2::text[]) AND NOT (timer_id = ANY($3::text[]))
 ORDER BY due_at, timer_id
 LIMIT $4
 FOR UPDATE SKIP LOCKED
"""

_NEXT_DUE: Final = """
SELECT min(due_at) FROM keten.timers
 WHERE fired_at IS NULL AND ($1::timestamptz IS NULL OR due_at > $1)
   AND ($2::text[] IS NULL OR kind = ANY($2::text[]))
"""

MAX_ATTEMPTS: Final = 3
STOPPED_RETRY_SECONDS: Final = 30.0
_FAR_FUTURE: Final = datetime.max.replace(tzinfo=UTC)

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class DueTimer:
    timer_id: str
    kind: str
    due_at: datetime
    payload: dict[str, Any]


TimerHandler: TypeAlias = Callable[[Connection, DueTimer], Awaitable[None]]


async def setup(conn: Connection) -> None:
    """Creates the timers table if absent; safe to run from several processes."""
    await create_tables(conn, SCHEMA_SQL)


async def schedule(  # noqa: PLR0913 - the timer's parts, named
    conn: Connection,
    timer_id: str,
    kind: str,
    due_at: datetime,
    payload: dict[str, Any],
    *,
    subject: str | None = None,
) -> None:
    """Sets a timer, in the caller's transaction.

    The same id again before it fired moves its due time and replaces its payload (its kind
    stays); after it fired, nothing happens. A timer with a `subject` (the case it watches)
    fires before any later fact about that subject takes effect (`fire_due_before`).
    """
    if due_at.tzinfo is None:
        raise ValueError("a timer's due time is timezone-aware")
    await conn.execute(_SCHEDULE, timer_id, kind, due_at, payload, subject)


_DUE_BEFORE: Final = """
SELECT timer_id, kind, due_at, payload FROM keten.timers
 WHERE subject = $1 AND fired_at IS NULL AND due_at <= $2 AND kind = ANY($3::text[])
 ORDER BY due_at, timer_id
 FOR UPDATE
"""


async def fire_due_before(
    conn: Connection, subject: str, moment: datetime, handlers: Mapping[str, TimerHandler]
) -> int:
    """Timers before later facts: fires, in the caller's transaction and in due order, every
    pending timer of `subject` due at or before `moment`, each with its own due time, so that
    a fact of time `moment` finds them fired. A timer a runner is firing at this moment is
    waited for (`FOR UPDATE`, not skipped), and then found fired. Returns how many fired."""
    if not handlers:
        return 0
    due = [_due(row) for row in await conn.fetch(_DUE_BEFORE, subject, moment, list(handlers))]
    for timer in due:
        await handlers[timer.kind](conn, timer)
    await _mark_fired(conn, due, at=None)
    return len(due)


def _due(row: Record) -> DueTimer:
    return DueTimer(row["timer_id"], row["kind"], row["due_at"], row["payload"])


async def _mark_fired(conn: Connection, fired: Sequence[DueTimer], *, at: datetime | None) -> None:
    """Marks timers fired, `at` the runner's time (None: at their own due time)."""
    if not fired:
        return
    await conn.execute(
        "UPDATE keten.timers SET fired_at = coalesce($2, due_at) WHERE timer_id = ANY($1::text[])",
        [timer.timer_id for timer in fired],
        at,
    )
    for timer in fired:
        TIMERS_FIRED.labels(timer.kind).inc()


async def cancel(conn: Connection, timer_id: str) -> None:
    """Drops a timer that has not fired, in the caller's transaction; a fired one stays."""
    await conn.execute(
        "DELETE FROM keten.timers WHERE timer_id = $1 AND fired_at IS NULL", timer_id
    )


async def pending_count(conn: Connection) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM keten.timers WHERE fired_at IS NULL")
    return count


async def next_due(
    conn: Connection, *, after: datetime | None = None, kinds: list[str] | None = None
) -> datetime | None:
    """The earliest due time of the timers not fired (later than `after`, of `kinds`)."""
    due: datetime | None = await conn.fetchval(_NEXT_DUE, after, kinds)
    return due


class TimerRunner:
    """Fires the due timers of the kinds it has handlers for.

    Invariants: a timer fires at most once (its handler's writes commit with its mark), and
    never before its due time on `clock`. A handler that raises is rolled back to a
    savepoint; its timer stays pending and is retried in a later round, the others fire.
    """

    def __init__(  # noqa: PLR0913 - the collaborators and settings, named
        self,
        pool: Pool,
        clock: Clock,
        handlers: Mapping[str, TimerHandler],
        *,
        batch_size: int = 200,
        poll_seconds: float = 0.5,
        health: LoopHealth | None = None,
    ) -> None:
        self.health = health or LoopHealth("timers")
        self._failures: dict[str, int] = {}  # timer id -> failed attempts, while it fails
        self._stopped: dict[str, float] = {}  # timer id -> when (monotonic) to try it again
        self._pool = pool
        self._clock = clock
        self._handlers = dict(handlers)
        self._kinds = list(handlers)
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """Makes a sleeping `run` look again at once, e.g. after scheduling an earlier timer."""
        self._woken.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Fires due timers until `stop` is set; a failed round is retried after a poll."""
        while not stop.is_set():
            self._woken.clear()
            try:
                _, checked_at = await self._round()
                async with self._pool.acquire() as conn:
                    # Timers due at `checked_at` and still pending failed or are another
                    # runner's: the poll retries them, without spinning on them.
                    until = await next_due(conn, after=checked_at, kinds=self._kinds)
            except Exception as exc:  # noqa: BLE001 - an outage must not end the runner
                log.warning("timer_round_failed", error=type(exc).__name__)
                until = None
            await self._sleep_until(until or _FAR_FUTURE, stop)

    async def fire_due(self) -> int:
        """One round: fires every timer due now, batch by batch; returns how many fired.

        A timer whose handler raised is not retried within the round.
        """
        fired, _ = await self._round()
        return fired

    async def _round(self) -> tuple[int, datetime]:
        # Timers that failed `MAX_ATTEMPTS` times wait for their next try.
        failed = [t for t, at in self._stopped.items() if at > time.monotonic()]
        fired = 0
        while True:
            now = self._clock.now()
            batch_fired, picked = await self._fire_batch(now, failed)
            fired += batch_fired
            if picked < self._batch_size:
                return fired, now

    async def _fire_batch(self, now: datetime, failed: list[str]) -> tuple[int, int]:
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_PICK, now, self._kinds, failed, self._batch_size)
            fired: list[DueTimer] = []
            for timer in map(_due, rows):
                if await self._fire(conn, timer):
                    fired.append(timer)
                else:
                    failed.append(timer.timer_id)
            await _mark_fired(conn, fired, at=now)
        return len(fired), len(rows)

    async def _fire(self, conn: Connection, timer: DueTimer) -> bool:
        try:
            async with conn.transaction():
                await self._handlers[timer.kind](conn, timer)
        except Exception as exc:
            if is_transient(exc):
                raise  # the whole round is retried
            self._failed(timer, exc)
            return False
        self._failures.pop(timer.timer_id, None)
        if self._stopped.pop(timer.timer_id, None) is not None and not self._stopped:
            self.health.resume()
        return True

    def _failed(self, timer: DueTimer, error: Exception) -> None:
        """A timer whose handler fails `MAX_ATTEMPTS` times stops the runner visibly (the other
        timers go on firing) and is tried again every `STOPPED_RETRY_SECONDS`, in case its
        cause was mended."""
        attempts = self._failures.get(timer.timer_id, 0) + 1
        self._failures[timer.timer_id] = attempts
        context = {"timer_id": timer.timer_id, "kind": timer.kind, "error": type(error).__name__}
        log.warning("timer_handler_failed", **context)
        if attempts >= MAX_ATTEMPTS:
            self._stopped[timer.timer_id] = time.monotonic() + STOPPED_RETRY_SECONDS
            if not self.health.stopped:
                log.error("timer.stopped", **context)
            self.health.stop(
                f"timer {timer.timer_id} ({timer.kind}) cannot fire ({type(error).__name__})"
            )

    async def _sleep_until(self, moment: datetime, stop: asyncio.Event) -> None:
        await first_of(
            self._clock.sleep_until(moment, self._poll_seconds), self._woken.wait(), stop.wait()
        )
