"""Projections against the real PostgreSQL: live catch-up, rebuild with digest, as-of replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keten.kernel import checkpoints, eventstore
from keten.kernel.db import Pool
from keten.kernel.eventstore import START
from keten.kernel.projections import (
    ProjectionRunner,
    as_of_copy,
    as_of_schema,
    build_as_of,
    live_digest,
    reading,
    rebuild,
)
from tests.kernel.events_for_tests import happened
from tests.support.counters import Counters

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def counters() -> Counters:
    """Per subject: how many KernelTestHappened events, and their counters' sum."""
    return Counters("counters", "KernelTestHappened")


async def write_history(pool: Pool, hours: int = 6, per_hour: int = 50) -> None:
    async with pool.acquire() as conn:
        current = await conn.fetch("SELECT stream_id, max(version) v FROM keten.events GROUP BY 1")
        versions: dict[str, int] = {r["stream_id"]: r["v"] for r in current}
        for hour in range(hours):
            for i in range(per_hour):
                subject = f"s-{i % 7}"
                stream = f"stream-{subject}"
                version = versions.get(stream, 0)
                event = happened(i, subject=subject, when=T0 + timedelta(hours=hour))
                versions[stream] = await eventstore.append(conn, stream, version, [event])


async def caught_up(pool: Pool, projection: Counters) -> ProjectionRunner:
    runner = ProjectionRunner(pool, projection)
    await runner.setup()
    await runner.catch_up()
    return runner


async def rows(pool: Pool, schema: str) -> list[tuple[str, int, int]]:
    async with reading(pool, schema) as conn:
        found = await conn.fetch("SELECT subject, events, total FROM counters ORDER BY subject")
    return [(r["subject"], r["events"], r["total"]) for r in found]


async def test_the_live_projection_applies_every_event_once(pool: Pool) -> None:
    await write_history(pool)
    projection = counters()
    runner = await caught_up(pool, projection)
    assert await runner.catch_up_once() == 0
    live = await rows(pool, "proj_counters")
    assert sum(events for _, events, _ in live) == 300
    assert sum(total for _, _, total in live) == 6 * sum(range(50))


async def test_a_projection_rebuilt_from_the_log_has_the_live_digest(pool: Pool) -> None:
    await write_history(pool)
    projection = counters()
    await caught_up(pool, projection)
    seen: list[tuple[int, int]] = []

    result = await rebuild(
        pool, projection, progress=lambda done, total: seen.append((done, total))
    )

    assert result.equal
    assert result.events == 300
    assert seen[-1] == (300, 300)
    assert result.digest == await live_digest(pool, projection)


async def test_a_tampered_live_projection_no_longer_matches_its_rebuild(pool: Pool) -> None:
    await write_history(pool)
    projection = counters()
    await caught_up(pool, projection)
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE proj_counters.counters SET total = total + 1 WHERE subject = 's-3'"
        )

    result = await rebuild(pool, projection, swap=True)

    assert not result.equal
    assert result.swapped
    assert await live_digest(pool, projection) == result.digest


async def test_a_rebuild_swapped_in_keeps_the_live_projection_going(pool: Pool) -> None:
    await write_history(pool, hours=2)
    projection = counters()
    runner = await caught_up(pool, projection)
    await rebuild(pool, projection, swap=True)
    await write_history(pool, hours=1)
    await runner.catch_up()
    assert sum(events for _, events, _ in await rows(pool, "proj_counters")) == 150
    async with pool.acquire() as conn:
        names = {r["name"] for r in await conn.fetch("SELECT name FROM keten.checkpoints")}
        assert await checkpoints.load(conn, "projection:proj_counters") != START
    assert names == {"projection:proj_counters"}


async def test_an_as_of_replay_stops_at_the_given_time(pool: Pool) -> None:
    await write_history(pool, hours=6)
    projection = counters()
    moment = T0 + timedelta(hours=2, minutes=30)

    schema = await build_as_of(pool, projection, moment)

    assert schema == as_of_schema(projection, moment)
    assert sum(events for _, events, _ in await rows(pool, schema)) == 150


async def test_an_as_of_copy_serves_one_read_and_is_gone_afterwards(pool: Pool) -> None:
    await write_history(pool, hours=4)
    projection = counters()
    moment = T0 + timedelta(hours=1)

    async with as_of_copy(pool, projection, moment) as schema:
        assert sum(events for _, events, _ in await rows(pool, schema)) == 100

    async with pool.acquire() as conn:
        assert not await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema)
        assert not await conn.fetchval("SELECT 1 FROM keten.checkpoints WHERE name LIKE '%asof%'")
