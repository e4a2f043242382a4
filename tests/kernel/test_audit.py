"""`audit.verify` finds edited and deleted events, and nothing in a clean store."""

from __future__ import annotations

import pytest

from keten.kernel import audit, eventstore
from keten.kernel.db import Pool
from tests.kernel.events_for_tests import happened

pytestmark = pytest.mark.integration


async def a_store_with_three_streams(pool: Pool) -> None:
    async with pool.acquire() as conn:
        for stream in ("case-a", "case-b", "case-c"):
            for version in range(5):
                await eventstore.append(conn, stream, version, [happened(version)])


async def tamper(pool: Pool, statement: str) -> None:
    """What someone with the database's superuser rights could do by hand."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("ALTER TABLE keten.events DISABLE TRIGGER USER")
        await conn.execute(statement)
        await conn.execute("ALTER TABLE keten.events ENABLE TRIGGER USER")


async def test_a_clean_store_passes(pool: Pool) -> None:
    await a_store_with_three_streams(pool)
    async with pool.acquire() as conn:
        report = await audit.verify(conn)
    assert report.clean
    assert (report.events, report.streams) == (15, 3)


async def test_an_edited_event_is_named_by_stream_and_version(pool: Pool) -> None:
    await a_store_with_three_streams(pool)
    await tamper(
        pool,
        """UPDATE keten.events SET data = jsonb_set(data, '{counter}', '99')
           WHERE stream_id = 'case-b' AND version = 3""",
    )
    async with pool.acquire() as conn:
        report = await audit.verify(conn)
    assert [(f.stream_id, f.version, f.problem) for f in report.findings] == [
        ("case-b", 3, "tampered")
    ]
    assert "case-b" in report.findings[0].describe()


async def test_a_deleted_event_leaves_a_gap_that_is_named(pool: Pool) -> None:
    await a_store_with_three_streams(pool)
    await tamper(pool, "DELETE FROM keten.events WHERE stream_id = 'case-c' AND version = 2")
    async with pool.acquire() as conn:
        report = await audit.verify(conn)
    problems = {(f.stream_id, f.version, f.problem) for f in report.findings}
    assert ("case-c", 3, "gap") in problems
    assert {f.stream_id for f in report.findings} == {"case-c"}
