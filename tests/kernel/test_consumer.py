"""Exactly-once effects, dead letters and crash recovery against the real broker and database."""

from __future__ import annotations

import asyncio
import sys
import uuid

import pytest

from keten.contracts.topics import dead_letter_topic
from keten.kernel import eventstore
from keten.kernel.db import Pool
from tests.kernel.consumer_app import running_consumer
from tests.kernel.events_for_tests import command_json
from tests.support.kafka import eventually, fresh_topic, header, publish_raw, read_topic
from tests.support.keys import opened

pytestmark = pytest.mark.integration


async def effects(pool: Pool, subject: str) -> list[int]:
    async with pool.acquire() as conn:
        return [e.data["counter"] for e in await eventstore.read_stream(conn, f"test-{subject}")]


async def test_a_message_delivered_three_times_takes_effect_once(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    topic = await fresh_topic(kafka_bootstrap, "kernel.once")
    same = command_json(7, subject="case-a", message_id="dup-1")
    await publish_raw(kafka_bootstrap, topic, [(b"case-a", same)] * 3)
    await publish_raw(kafka_bootstrap, topic, [(b"case-a", command_json(8, subject="case-a"))])

    async with running_consumer(kafka_bootstrap, scratch_database, topic, "once") as pool:
        await eventually(lambda: _has(pool, "case-a", 2))
        await asyncio.sleep(0.5)  # room for a wrongly repeated effect to show
        assert await effects(pool, "case-a") == [7, 8]


async def _has(pool: Pool, subject: str, count: int) -> bool:
    return len(await effects(pool, subject)) >= count


async def test_bad_messages_go_to_the_dead_letter_topic_and_the_good_ones_around_them_apply(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    topic = await fresh_topic(kafka_bootstrap, "kernel.dlq", partitions=1)
    bad = [
        b"this is not json",
        b'{"specversion": "1.0", "id": "x-1"}',
        command_json(3, subject="case-b").replace(b'"KernelTestDo"', b'"NoSuchCommand"'),
        command_json(4, subject="case-b").replace(b'"counter":4', b'"counter":"Jan Jansen"'),
        command_json(5, subject="case-b", refuse=True),
    ]
    records = [(b"case-b", command_json(1, subject="case-b"))]
    records += [(b"case-b", value) for value in bad]
    records += [(b"case-b", command_json(2, subject="case-b"))]
    await publish_raw(kafka_bootstrap, topic, records)

    async with running_consumer(kafka_bootstrap, scratch_database, topic, "dlq") as pool:
        dead = await read_topic(kafka_bootstrap, dead_letter_topic(topic), count=len(bad))
        await eventually(lambda: _has(pool, "case-b", 2))
        assert await effects(pool, "case-b") == [1, 2]

    sealed = [header(r, "dead_letter.sealed") == "true" for r in dead]
    assert sealed == [True, False, False, False, False]  # what is not JSON is sealed whole
    assert [opened(r.value, s) for r, s in zip(dead, sealed, strict=True)] == bad
    assert all(r.key == b"case-b" for r in dead)
    stages = [header(r, "error.stage") for r in dead]
    assert stages == ["decode", "validate", "validate", "validate", "business"]
    assert [header(r, "original.offset") for r in dead] == ["1", "2", "3", "4", "5"]
    assert {header(r, "original.topic") for r in dead} == {topic}
    assert {header(r, "original.partition") for r in dead} == {"0"}
    assert header(dead[4], "error.message") == "counter 5 is refused by rule"
    assert header(dead[4], "error.type") == "Rejected"
    assert header(dead[3], "error.message") == "counter: int_parsing"
    assert all("Jan Jansen" not in v.decode() for r in dead for _, v in r.headers)


async def test_a_crash_between_database_commit_and_offset_commit_causes_no_duplicate_effect(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    topic = await fresh_topic(kafka_bootstrap, "kernel.crash", partitions=1)
    group = f"crash-{uuid.uuid4().hex[:6]}"
    await publish_raw(kafka_bootstrap, topic, [(b"case-c", command_json(1, subject="case-c"))])

    # A consumer process that kills itself (SIGKILL) right after its first database commit.
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.kernel.consumer_app",
        kafka_bootstrap,
        scratch_database,
        topic,
        group,
    )
    returncode = await asyncio.wait_for(process.wait(), timeout=60)
    assert returncode == -9

    await publish_raw(kafka_bootstrap, topic, [(b"case-c", command_json(2, subject="case-c"))])
    async with running_consumer(kafka_bootstrap, scratch_database, topic, group) as pool:
        await eventually(lambda: _has(pool, "case-c", 2))
        await asyncio.sleep(0.5)
        assert await effects(pool, "case-c") == [1, 2]
        async with pool.acquire() as conn:
            outcomes = await conn.fetch(
                'SELECT message_id, outcome FROM keten.inbox ORDER BY "offset"'
            )
    assert [(r["message_id"], r["outcome"]) for r in outcomes] == [
        ("cmd-case-c-1", "applied"),
        ("cmd-case-c-2", "applied"),
    ]
