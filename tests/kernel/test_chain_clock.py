"""One clock for the chain: under the simulated clock a service's time follows the newest event
time any service has seen, told through a compacted clock topic keyed by service; a value that
is no time of 1900-2200 moves no clock, a restarted service goes on from the topic and never
tells an older time than it told before, and under the wall clock nothing is told."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from keten.kernel.chain_clock import clock_time, clock_value
from keten.kernel.service import Service, ServiceContext, ServiceSpec, Subscription
from keten.kernel.settings import Settings
from tests.kernel.consumer_app import apply_command
from tests.kernel.events_for_tests import TEST_EVENTS_TOPIC
from tests.support.kafka import (
    ensure_topic,
    eventually,
    fresh_clock_topic,
    fresh_topic,
    publish_raw,
    read_to_end,
)
from tests.support.keys import dead_letter_key_files

# Far from the wall clock (and from the simulated clock's start, 2000), so that only the
# chain's time can bring a clock there.
SEEN = datetime(2031, 6, 1, 12, 0, tzinfo=UTC)


def spec(topic: str) -> ServiceSpec:
    return ServiceSpec(
        name=f"chain{uuid.uuid4().hex[:8]}",
        default_port=0,
        subscriptions=[Subscription("commands", (topic,), {"KernelTestDo": apply_command})],
    )


def settings(
    service: ServiceSpec, database_url: str, bootstrap: str, clock_topic: str, clock: str
) -> Settings:
    return Settings(
        service=service.name,
        kafka_bootstrap_servers=bootstrap,
        database_url=database_url,
        http_host="127.0.0.1",
        http_port=0,
        clock=clock,
        log_level="warning",
        **dead_letter_key_files(service.name),
        clock_topic=clock_topic,
    )


@contextlib.asynccontextmanager
async def running(
    service: ServiceSpec, database_url: str, bootstrap: str, clock_topic: str
) -> AsyncIterator[ServiceContext]:
    """The service under the simulated clock, sharing its time through `clock_topic`."""
    await ensure_topic(bootstrap, TEST_EVENTS_TOPIC)  # where its outbox publishes
    instance = Service(
        service, settings(service, database_url, bootstrap, clock_topic, "simulated")
    )
    async with instance.running() as context:
        yield context


def do(subject: str, counter: int, at: datetime) -> tuple[bytes, bytes]:
    value = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "tests/outside",
        "type": "KernelTestDo",
        "time": at.isoformat(),
        "subject": subject,
        "datacontenttype": "application/json",
        "data": {"counter": counter},
    }
    return subject.encode(), orjson.dumps(value)


async def told(bootstrap: str, clock_topic: str) -> dict[str, list[datetime | None]]:
    """Every time told on the clock topic, by service, in order."""
    found: dict[str, list[datetime | None]] = {}
    for record in await read_to_end(bootstrap, clock_topic):
        found.setdefault((record.key or b"").decode(), []).append(clock_time(record.value))
    return found


def test_a_clock_value_tells_a_time_of_the_envelopes_range_or_none() -> None:
    value = clock_value("registration", datetime(2026, 3, 27, 10, tzinfo=UTC))
    assert orjson.loads(value) == {"service": "registration", "time": "2026-03-27T10:00:00Z"}
    assert clock_time(value) == datetime(2026, 3, 27, 10, tzinfo=UTC)
    assert clock_time(b'{"time": "2026-03-27T11:00:00+01:00"}') == datetime(
        2026, 3, 27, 10, tzinfo=UTC
    )
    for absurd in [
        None,
        b"",
        b"not json",
        b"[]",
        b'{"service": "x"}',
        b'{"time": 1774605600}',
        b'{"time": "yesterday"}',
        b'{"time": "2026-03-27T10:00:00"}',  # no offset: no moment
        b'{"time": "2300-01-01T00:00:00Z"}',
        b'{"time": "2200-01-01T00:00:01Z"}',
        b'{"time": "9999-12-31T23:00:00-05:00"}',
        b'{"time": "1899-12-31T23:59:59Z"}',
    ]:
        assert clock_time(absurd) is None, absurd


def test_under_the_wall_clock_a_service_takes_no_part_in_the_chains_clock() -> None:
    service = spec("kernel.chain.unused")
    instance = Service(
        service, settings(service, "postgresql://unused", "unused:9092", "x", "wall")
    )
    assert instance.chain_clock is None
    assert "clock" not in instance.health.loops


@pytest.mark.integration
async def test_a_service_that_saw_nothing_follows_the_time_another_service_saw(
    kafka_bootstrap: str, scratch_database: str, other_scratch_database: str
) -> None:
    # given two services sharing a clock topic, each reading a topic of its own
    clock_topic = await fresh_clock_topic(kafka_bootstrap)
    seeing = spec(await fresh_topic(kafka_bootstrap, "kernel.chain"))
    waiting = spec(await fresh_topic(kafka_bootstrap, "kernel.chain"))
    # and values on the topic that no clock may follow
    await publish_raw(
        kafka_bootstrap,
        clock_topic,
        [
            (b"broken", b"not json"),
            (b"beyond", b'{"service": "beyond", "time": "2200-06-01T00:00:00Z"}'),
            (b"naive", b'{"service": "naive", "time": "2040-01-01T00:00:00"}'),
        ],
    )
    async with (
        running(seeing, scratch_database, kafka_bootstrap, clock_topic) as a,
        running(waiting, other_scratch_database, kafka_bootstrap, clock_topic) as b,
    ):
        before = b.clock.now()
        # when only the first service sees a message, of time SEEN
        await publish_raw(kafka_bootstrap, seeing.subscriptions[0].topics[0], [do("s-1", 1, SEEN)])

        # then the other's clock reaches SEEN as well, and no further
        async def reached() -> bool:
            return b.clock.now() >= SEEN

        await eventually(reached, timeout=20)
        followed = b.clock.now()
        seen_by_a = a.clock.now()

    assert before < datetime(2001, 1, 1, tzinfo=UTC)  # the simulated clock's start
    assert SEEN <= seen_by_a < SEEN + timedelta(minutes=1)
    assert SEEN <= followed < SEEN + timedelta(minutes=1)
    on_topic = await told(kafka_bootstrap, clock_topic)
    assert on_topic[seeing.name] == [SEEN]
    assert waiting.name not in on_topic  # it saw nothing itself, so it told nothing


@pytest.mark.integration
async def test_a_service_starting_later_goes_on_from_the_topic_and_none_tells_an_older_time(
    kafka_bootstrap: str, scratch_database: str, other_scratch_database: str
) -> None:
    # given a service that saw SEEN and told it
    clock_topic = await fresh_clock_topic(kafka_bootstrap)
    seeing = spec(await fresh_topic(kafka_bootstrap, "kernel.chain"))
    waiting = spec(await fresh_topic(kafka_bootstrap, "kernel.chain"))
    commands = seeing.subscriptions[0].topics[0]
    async with running(seeing, scratch_database, kafka_bootstrap, clock_topic):
        await publish_raw(kafka_bootstrap, commands, [do("s-1", 1, SEEN)])

        async def told_it() -> bool:
            return seeing.name in await told(kafka_bootstrap, clock_topic)

        await eventually(told_it, timeout=20)

    # when it starts again beside one starting for the first time, and sees an older message
    async with (
        running(waiting, other_scratch_database, kafka_bootstrap, clock_topic) as b,
        running(seeing, scratch_database, kafka_bootstrap, clock_topic) as a,
    ):

        async def resumed() -> bool:
            return b.clock.now() >= SEEN

        await eventually(resumed, timeout=20)
        older = SEEN - timedelta(days=30)
        await publish_raw(kafka_bootstrap, commands, [do("s-1", 2, older)])

        async def applied() -> bool:
            async with a.pool.acquire() as conn:
                count: int = await conn.fetchval("SELECT count(*) FROM keten.events")
            return count == 2

        await eventually(applied, timeout=20)
        await asyncio.sleep(1.0)  # several publishing rounds
        now_a = a.clock.now()

    # then the newcomer, having seen nothing, is at SEEN; the topic keeps what was told first
    assert now_a >= SEEN
    assert (await told(kafka_bootstrap, clock_topic))[seeing.name] == [SEEN]
