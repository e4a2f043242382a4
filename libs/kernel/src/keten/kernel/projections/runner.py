"""Feeding projections from the store: live catch-up, replays, rebuilds and as-of copies.

Each projection keeps a checkpoint per schema it feeds, saved in the same transaction as the
rows it applied, so a crash never applies an event twice or skips one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, NamedTuple

from keten.kernel import checkpoints, eventstore
from keten.kernel.db import Connection, Pool
from keten.kernel.eventstore import GlobalPosition, RecordedEvent
from keten.kernel.faults import Fault, classify
from keten.kernel.health import LoopHealth
from keten.kernel.logging import get_logger
from keten.kernel.metrics import PROJECTION_EVENTS
from keten.kernel.projections import schemas
from keten.kernel.projections.currency import checkpoint_name
from keten.kernel.projections.model import Projection, live_schema
from keten.kernel.waiting import first_event

log = get_logger(__name__)
MAX_ATTEMPTS: Final = 3
STOPPED_RETRY_SECONDS: Final = 30.0
Progress = Callable[[int, int], None]


def _checkpoint(schema: str) -> str:
    return checkpoint_name(schema)


async def _lock(conn: Connection, projection: Projection) -> None:
    """Held by every writer of the live schema until its transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", projection.name)


async def _apply_batch(
    conn: Connection,
    projection: Projection,
    schema: str,
    batch: list[RecordedEvent],
    until: datetime | None,
) -> None:
    await schemas.use_schema(conn, schema)
    for event in batch:
        if event.event_type in projection.handles and (until is None or event.occurred_at <= until):
            await projection.apply(conn, event)
    await checkpoints.save(conn, _checkpoint(schema), batch[-1].position)
    PROJECTION_EVENTS.labels(projection.name).inc(len(batch))


async def _replay_step(  # noqa: PLR0913 - the replay's bounds, named
    conn: Connection,
    projection: Projection,
    schema: str,
    *,
    limit: int,
    until: datetime | None = None,
    up_to: GlobalPosition | None = None,
) -> Step:
    after = await checkpoints.load(conn, _checkpoint(schema))
    batch = await eventstore.read_all(conn, after, limit=limit, up_to=up_to)
    if batch:
        await _apply_batch(conn, projection, schema, batch, until)
    return Step(len(batch), batch[-1].position if batch else after)


class Step(NamedTuple):
    """What one replay step read, and the checkpoint it left."""

    read: int
    at: GlobalPosition


class ProjectionRunner:
    """Keeps a projection's live schema caught up with the event store."""

    def __init__(
        self,
        pool: Pool,
        projection: Projection,
        *,
        batch_size: int = 500,
        idle_seconds: float = 0.05,
        health: LoopHealth | None = None,
    ) -> None:
        self.projection = projection
        self.health = health or LoopHealth(f"projection.{projection.name}")
        self._pool = pool
        self._batch_size = batch_size
        self._idle_seconds = idle_seconds
        self._wake = asyncio.Event()
        self._at: GlobalPosition | None = None  # the live checkpoint as last seen here

    def wake(self) -> None:
        self._wake.set()

    async def setup(self) -> None:
        async with self._pool.acquire() as conn:
            await schemas.create_schema(conn, live_schema(self.projection.name), self.projection)

    async def catch_up_once(self) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            await _lock(conn, self.projection)
            step = await _replay_step(
                conn, self.projection, live_schema(self.projection.name), limit=self._batch_size
            )
        self._at = step.at
        return step.read

    async def _pending(self) -> bool:
        """Whether the log has events past the checkpoint: one cheap read, where a catch-up
        takes a transaction, a lock and a checkpoint read."""
        if self._at is None:
            return True
        async with self._pool.acquire() as conn:
            newest = await eventstore.head(conn)
        return newest is not None and newest > self._at

    async def catch_up(self) -> None:
        """Applies every event written before this call (waiting out older transactions)."""
        async with self._pool.acquire() as conn:
            target = await eventstore.head(conn)
        if target is None:
            return
        while True:
            async with self._pool.acquire() as conn:
                at = await checkpoints.load(conn, _checkpoint(live_schema(self.projection.name)))
            if at >= target:
                return
            if not await self.catch_up_once():
                await asyncio.sleep(0.01)

    async def run(self, stop: asyncio.Event) -> None:
        """Catches up when woken (this process committed events), and otherwise every
        `idle_seconds` if the log has grown (events held back by a transaction elsewhere in
        the cluster become readable without a wake)."""
        woken = True
        failures = 0
        while not stop.is_set():
            try:
                applied = await self.catch_up_once() if woken or await self._pending() else 0
            except Exception as exc:  # noqa: BLE001 - the batch rolled back; try again
                failures = failures + 1 if classify(exc) is Fault.RECORD else 0
                self._failed(exc, failures)
                await first_event(
                    stop, seconds=STOPPED_RETRY_SECONDS if self.health.stopped else 1.0
                )
                continue
            if failures:
                failures = 0
                self.health.resume()
            woken = applied >= self._batch_size
            if not woken:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._idle_seconds)
                    woken = True

    def _failed(self, error: Exception, failures: int) -> None:
        """An outage is retried quietly; an event the projection cannot apply, after
        `MAX_ATTEMPTS`, stops it visibly (tried again every `STOPPED_RETRY_SECONDS`, in case
        its cause was mended)."""
        name = self.projection.name
        log.warning("projection.failed", projection=name, error=type(error).__name__)
        if failures >= MAX_ATTEMPTS and not self.health.stopped:
            at = "start" if self._at is None else f"{self._at.transaction_id}/{self._at.position}"
            self.health.stop(f"cannot apply the event after {at} ({type(error).__name__})")
            log.error("projection.stopped", projection=name, after=at, error=type(error).__name__)


async def replay_into(  # noqa: PLR0913 - the replay's bounds, named
    pool: Pool,
    projection: Projection,
    schema: str,
    *,
    until: datetime | None = None,
    progress: Progress | None = None,
    batch_size: int = 2000,
) -> int:
    """Replays the log into a fresh `schema` (dropped first); returns events read.

    It reads up to the last event written when it starts, waiting for transactions still
    running below it, so the copy is never short of an event the live projection has.
    """
    total = await _count_events(pool)
    async with pool.acquire() as conn:
        target = await eventstore.head(conn)
        await schemas.drop_schema(conn, schema)
        await checkpoints.remove(conn, _checkpoint(schema))
        await schemas.create_schema(conn, schema, projection)
    done = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            read, at = await _replay_step(conn, projection, schema, limit=batch_size, until=until)
        done += read
        if progress is not None:
            progress(done, max(total, done))
        if target is None or at >= target:
            return done
        if read < batch_size:
            await asyncio.sleep(0.01)


@dataclass(frozen=True)
class RebuildResult:
    projection: str
    events: int
    digest: str
    live_digest: str
    swapped: bool

    @property
    def equal(self) -> bool:
        return self.digest == self.live_digest


async def rebuild(
    pool: Pool, projection: Projection, *, swap: bool = False, progress: Progress | None = None
) -> RebuildResult:
    """Replays the log into a fresh copy while the live one keeps serving, compares the two at
    the same position, and with `swap` puts the copy in place of the live one atomically."""
    live = live_schema(projection.name)
    fresh = f"{live}__rebuild"
    events = await replay_into(pool, projection, fresh, progress=progress)
    async with pool.acquire() as conn, conn.transaction():
        await _lock(conn, projection)  # the live runner waits until this commits
        # Both copies at the same position, so that equal rows mean equal digests.
        target = max([await checkpoints.load(conn, _checkpoint(s)) for s in (live, fresh)])
        for schema in (live, fresh):
            while await checkpoints.load(conn, _checkpoint(schema)) < target:
                read, _ = await _replay_step(conn, projection, schema, limit=2000, up_to=target)
                events += read if schema == fresh else 0
                if not read:
                    await asyncio.sleep(0.01)
        live_digest = await schemas.digest(conn, live, projection)
        digest = await schemas.digest(conn, fresh, projection)
        if swap:
            old = f"{live}__old"
            await schemas.drop_schema(conn, old)
            await conn.execute(f"ALTER SCHEMA {live} RENAME TO {old}")
            await conn.execute(f"ALTER SCHEMA {fresh} RENAME TO {live}")
            await schemas.drop_schema(conn, old)
        else:
            await schemas.drop_schema(conn, fresh)
        await checkpoints.remove(conn, _checkpoint(fresh))
    return RebuildResult(projection.name, events, digest, live_digest, swapped=swap)


def as_of_schema(projection: Projection, moment: datetime) -> str:
    return f"{live_schema(projection.name)}__asof_{int(moment.timestamp())}"


async def build_as_of(
    pool: Pool, projection: Projection, moment: datetime, progress: Progress | None = None
) -> str:
    """The projection as it stood at `moment` (events that occurred by then), in a schema of
    its own that queries can read; returns the schema's name."""
    schema = as_of_schema(projection, moment)
    await replay_into(pool, projection, schema, until=moment, progress=progress)
    return schema


async def live_digest(pool: Pool, projection: Projection) -> str:
    async with pool.acquire() as conn:
        return await schemas.digest(conn, live_schema(projection.name), projection)


async def _count_events(pool: Pool) -> int:
    async with pool.acquire() as conn:
        count: int = await conn.fetchval("SELECT count(*) FROM keten.events")
    return count


@contextlib.asynccontextmanager
async def as_of_copy(pool: Pool, projection: Projection, moment: datetime) -> AsyncIterator[str]:
    """A throw-away copy of the projection as it stood at `moment`, for one read; dropped on
    exit. Requests for the same moment, from any process, take turns."""
    kept = as_of_schema(projection, moment)
    async with pool.acquire() as conn:
        exists = await schemas.schema_exists(conn, kept)
    if exists:  # written by an audit's as-of rebuild
        yield kept
        return
    schema = f"{kept}__read"
    async with pool.acquire() as lock:
        await lock.execute("SELECT pg_advisory_lock(hashtext($1))", schema)
        try:
            await replay_into(pool, projection, schema, until=moment)
            try:
                yield schema
            finally:
                await schemas.drop_schema(lock, schema)
                await checkpoints.remove(lock, _checkpoint(schema))
        finally:
            try:
                await lock.execute("SELECT pg_advisory_unlock(hashtext($1))", schema)
            except BaseException:
                lock.terminate()  # never back to the pool with the session lock held
                raise


@contextlib.asynccontextmanager
async def read_view(
    pool: Pool, projection: Projection, as_of: datetime | None = None
) -> AsyncIterator[Connection]:
    """A read-only connection on the projection's tables: live, or as they stood at `as_of`."""
    if as_of is None:
        async with schemas.reading(pool, live_schema(projection.name)) as conn:
            yield conn
        return
    async with as_of_copy(pool, projection, as_of) as schema, schemas.reading(pool, schema) as conn:
        yield conn
