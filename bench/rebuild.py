"""Benchmark 4: rebuilding a projection from the log, against a bare sequential read of the
same events (`read_all` in batches, doing nothing with them)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Final

from bench import workload
from bench.infra import DataSets, Profiles, scratch_database
from bench.report import Row, Table, Target, ratios
from bench.store import ours_read
from keten.kernel import checkpoints, eventstore
from keten.kernel.db import Connection, Pool, create_pool
from keten.kernel.eventstore import RecordedEvent
from keten.kernel.projections import Projection, ProjectionRunner, live_schema, rebuild, schemas

MIN_EVENTS_PER_SECOND: Final = 50_000
MIN_SHARE_OF_READ: Final = 0.3
REPLAY_BATCH: Final = 2000  # the batch size of the kernel's replay, for the bare read too


class NothingProjection:
    """Handles no event: its rebuild is the kernel's own cost (read, checkpoint, digest)."""

    name = "bench_nothing"
    handles: frozenset[str] = frozenset()
    tables = ("nothing",)

    async def create(self, conn: Connection) -> None:
        await conn.execute("CREATE TABLE IF NOT EXISTS nothing (id int PRIMARY KEY)")

    async def apply(self, conn: Connection, event: RecordedEvent) -> None:  # noqa: ARG002 - the protocol
        raise AssertionError(f"{self.name} handles no event, got {event.event_type}")


@dataclass(frozen=True)
class RebuildSizes:
    runs: int
    events: int


PROJECTIONS: Final[tuple[Projection, ...]] = (workload.COUNTERS, NothingProjection())


# What each live projection holds once it has applied every event, computed in one statement.
SEED_SQL: Final = {
    "bench_counters": """
        INSERT INTO counters (subject, events, total)
        SELECT subject, count(*), sum((data->>'counter')::bigint) FROM keten.events
         WHERE event_type = 'BenchHappened' GROUP BY subject""",
    "bench_nothing": "",
}


async def seed_live(pool: Pool, projection: Projection) -> None:
    """A rebuild compares its copy with the live projection, caught up as in production.
    Replaying the log into the live one first would cost as much as a rebuild: its rows are
    computed in SQL instead, its checkpoint set to the log's head. Each rebuild's digest
    comparison then checks that the two agree."""
    runner = ProjectionRunner(pool, projection)
    await runner.setup()
    live = live_schema(projection.name)
    async with pool.acquire() as conn, conn.transaction():
        head = await eventstore.head(conn)
        assert head is not None
        await schemas.use_schema(conn, live)
        if SEED_SQL[projection.name]:
            await conn.execute(SEED_SQL[projection.name])
        await checkpoints.save(conn, f"projection:{live}", head)
    if await runner.catch_up_once():
        raise RuntimeError(f"the seeded {live} was not at the log's head")


async def rebuild_rate(pool: Pool, projection: Projection, events: int) -> float:
    started = time.perf_counter()
    result = await rebuild(pool, projection)
    seconds = time.perf_counter() - started
    if result.events != events or not result.equal:
        raise RuntimeError(f"rebuild of {projection.name}: {result}")
    return events / seconds


async def read_rate(pool: Pool, events: int) -> float:
    started = time.perf_counter()
    read = await ours_read(pool, batch_size=REPLAY_BATCH)
    seconds = time.perf_counter() - started
    if read != events:
        raise RuntimeError(f"read {read} events, expected {events}")
    return read / seconds


async def run(sizes: RebuildSizes, data: DataSets, profiles: Profiles) -> Table:
    table = Table("rebuild", "4. Rebuild a projection from the log")
    dataset = await data.get(sizes.events)
    async with scratch_database("rebuild", template=dataset.name) as url:
        pool = await create_pool(url, min_size=2, max_size=4)
        try:
            for projection in PROJECTIONS:
                await seed_live(pool, projection)
            reads: list[float] = []
            rebuilds: dict[str, list[float]] = {p.name: [] for p in PROJECTIONS}
            for _ in range(sizes.runs):
                reads.append(await read_rate(pool, sizes.events))
                for projection in PROJECTIONS:
                    rate = await rebuild_rate(pool, projection, sizes.events)
                    rebuilds[projection.name].append(rate)
            if profiles.enabled:
                with profiles.profile("rebuild-counters"):
                    await rebuild_rate(pool, PROJECTIONS[0], sizes.events)
        finally:
            await pool.close()
    table.rows.append(Row(f"bare read_all of {sizes.events:,} events", "ev/s", reads))
    for projection in PROJECTIONS:
        samples = rebuilds[projection.name]
        table.rows.append(
            Row(
                f"rebuild {projection.name}",
                "ev/s",
                samples,
                "bare read_all",
                ratios(samples, reads),
                [
                    Target("median", at_least=MIN_EVENTS_PER_SECOND),
                    Target("ratio", at_least=MIN_SHARE_OF_READ),
                ],
            )
        )
    table.notes += [
        (
            f"{sizes.events:,} events of {workload.PAYLOAD_BYTES} B over "
            f"{max(1, sizes.events // 100):,} streams; rebuild = the kernel's `rebuild()` "
            "(replay into a fresh schema, catch up, digest both, drop the copy); "
            f"both read_all in batches of {REPLAY_BATCH}"
        ),
        (
            "bench_counters: one upsert per event (as the kernel's tests); bench_nothing "
            "handles no event (the kernel's own cost)"
        ),
        (
            "the live projections are seeded in SQL at the log's head first (untimed); every "
            "rebuild's digest must equal the live one's"
        ),
    ]
    return table
