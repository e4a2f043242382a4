"""The event store against the real PostgreSQL."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from keten.kernel import eventstore
from keten.kernel.db import Pool
from keten.kernel.eventstore import START, ConcurrencyError, GlobalPosition
from tests.kernel.events_for_tests import KernelTestHappened, happened

pytestmark = pytest.mark.integration


async def test_appended_events_are_read_back_in_stream_order(pool: Pool) -> None:
    async with pool.acquire() as conn:
        version = await eventstore.append(conn, "case-1", 0, [happened(1), happened(2)])
        version = await eventstore.append(conn, "case-1", version, [happened(3)])
        stream = await eventstore.read_stream(conn, "case-1")
    assert version == 3
    assert [e.version for e in stream] == [1, 2, 3]
    assert [e.message() for e in stream] == [KernelTestHappened(counter=i) for i in (1, 2, 3)]
    assert stream[0].subject == "s-1"
    assert stream[0].source == "tests/kernel"


async def test_appending_at_a_stale_or_future_version_is_a_concurrency_error(pool: Pool) -> None:
    async with pool.acquire() as conn:
        await eventstore.append(conn, "case-1", 0, [happened(1)])
        with pytest.raises(ConcurrencyError):
            await eventstore.append(conn, "case-1", 0, [happened(2)])
        with pytest.raises(ConcurrencyError):
            await eventstore.append(conn, "case-1", 5, [happened(2)])
        assert len(await eventstore.read_stream(conn, "case-1")) == 1


async def test_ten_writers_racing_for_each_version_exactly_one_wins(pool: Pool) -> None:
    winners: dict[int, list[int]] = {}

    async def writer(writer_id: int, version: int) -> None:
        async with pool.acquire() as conn:
            try:
                await eventstore.append(conn, "contested", version, [happened(writer_id)])
            except ConcurrencyError:
                return
            winners.setdefault(version, []).append(writer_id)

    for version in range(20):
        await asyncio.gather(*(writer(w, version) for w in range(10)))
    assert sorted(winners) == list(range(20))
    assert all(len(ids) == 1 for ids in winners.values())
    async with pool.acquire() as conn:
        stream = await eventstore.read_stream(conn, "contested")
    assert [e.version for e in stream] == list(range(1, 21))
    assert [e.data["counter"] for e in stream] == [winners[v][0] for v in range(20)]


async def test_the_store_refuses_updates_deletes_and_truncates(pool: Pool) -> None:
    async with pool.acquire() as conn:
        await eventstore.append(conn, "case-1", 0, [happened(1)])
        for statement in (
            "UPDATE keten.events SET data = '{}'",
            "DELETE FROM keten.events",
            "TRUNCATE keten.events",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await conn.execute(statement)
        assert len(await eventstore.read_stream(conn, "case-1")) == 1


async def test_a_tailing_reader_sees_every_event_of_concurrent_writers_once_in_order(
    pool: Pool,
) -> None:
    writers, transactions, per_transaction = 10, 100, 10
    total = writers * transactions * per_transaction
    done = asyncio.Event()

    async def write(writer_id: int) -> None:
        version = 0
        async with pool.acquire() as conn:
            for _ in range(transactions):
                events = [happened(version + i + 1) for i in range(per_transaction)]
                async with conn.transaction():
                    version = await eventstore.append(conn, f"w-{writer_id}", version, events)
                    # Hold some transactions open so later ones commit before them.
                    if version % 30 == 0:
                        await asyncio.sleep(0.01)

    seen: list[tuple[str, int]] = []
    positions: list[GlobalPosition] = []

    async def tail() -> None:
        after = START
        async with pool.acquire() as conn:
            while True:
                finished = done.is_set()
                batch = await eventstore.read_all(conn, after, limit=500)
                for event in batch:
                    seen.append((event.stream_id, event.version))
                    positions.append(event.position)
                if batch:
                    after = batch[-1].position
                elif finished:
                    return
                else:
                    await asyncio.sleep(0.005)

    reader = asyncio.create_task(tail())
    await asyncio.gather(*(write(w) for w in range(writers)))
    done.set()
    await asyncio.wait_for(reader, timeout=60)

    assert len(seen) == total
    assert len(set(seen)) == total
    assert positions == sorted(positions)
    for writer_id in range(writers):
        versions = [v for s, v in seen if s == f"w-{writer_id}"]
        assert versions == list(range(1, transactions * per_transaction + 1))
