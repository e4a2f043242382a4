"""Bounded shutdown: SIGTERM ends a service, run as its own process through the kernel's
`main()`, within 15 s and with exit code 0 — idle, with its database gone, with its broker gone,
and with a rebuild streaming — and leaves nothing half-done committed.

Each test prints its time from SIGTERM to exit (`pytest -s` shows it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from keten.kernel import eventstore, schema
from keten.kernel.eventstore import NewEvent
from tests.kernel import shutdown_app
from tests.kernel.events_for_tests import TEST_EVENTS_TOPIC, KernelTestRecorded, command_json
from tests.support.chain import ROOT, _killed_with_parent, fresh_kafka
from tests.support.kafka import ensure_topic, eventually, fresh_topic, publish_raw
from tests.support.proxy import tcp_proxy
from tests.support.services import free_port

pytestmark = pytest.mark.integration

EXIT_WITHIN_SECONDS = 15.0
GIVE_UP_SECONDS = 30.0  # a service still running by then is killed, and the test fails


@dataclass
class ServiceProcess:
    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    @property
    def group(self) -> str:
        return f"{self.name}.commands"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    async def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=5) as client:
            while True:
                if self.process.poll() is not None:
                    pytest.fail(
                        f"{self.name} exited ({self.process.returncode}) before it was ready; "
                        f"its log:\n{self.output()}",
                        pytrace=False,
                    )
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{self.base_url}/ready")).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    pytest.fail(f"{self.name}: /ready not 200 within {timeout} s:\n{self.output()}")
                await asyncio.sleep(0.1)

    async def sigterm_to_exit(self, state: str) -> float:
        """Sends SIGTERM, waits (without blocking the event loop) for the exit, and asserts it
        came within 15 s with exit code 0. Returns the seconds it took."""
        assert self.process.poll() is None, f"{self.name} is not running:\n{self.output()}"
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        give_up = started + GIVE_UP_SECONDS
        while self.process.poll() is None and time.monotonic() < give_up:  # noqa: ASYNC110
            await asyncio.sleep(0.02)  # polls the process without blocking the loop (the proxy)
        elapsed = time.monotonic() - started
        code = self.process.poll()
        if code is None:
            self.process.kill()
            self.process.wait(10)
            pytest.fail(
                f"[{state}] {self.name} still ran {GIVE_UP_SECONDS} s after SIGTERM (killed); "
                f"its log:\n{self.output()}"
            )
        print(f"\nshutdown [{state}]: SIGTERM to exit {elapsed:.2f} s, exit code {code}")  # noqa: T201
        assert code == 0, f"[{state}] exit code {code} after SIGTERM; its log:\n{self.output()}"
        assert elapsed < EXIT_WITHIN_SECONDS, (
            f"[{state}] {elapsed:.2f} s from SIGTERM to exit, not < {EXIT_WITHIN_SECONDS} s; "
            f"its log:\n{self.output()}"
        )
        return elapsed


@contextlib.asynccontextmanager
async def service_process(
    tmp_path: Path, database_url: str, kafka_bootstrap: str, topic: str
) -> AsyncIterator[ServiceProcess]:
    """`python -m tests.kernel.shutdown_app` with a name of its own, killed if it outlives the
    block."""
    name = f"shutdown{uuid.uuid4().hex[:8]}"
    port = free_port()
    log = tmp_path / f"{name}.log"
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        HTTP_HOST="127.0.0.1",
        HTTP_PORT=str(port),
        KETEN_CLOCK="wall",
        LOG_LEVEL="info",
        **{shutdown_app.NAME_VARIABLE: name, shutdown_app.TOPIC_VARIABLE: topic},
    )
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.kernel.shutdown_app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
            preexec_fn=_killed_with_parent,  # noqa: PLW1509 - a prctl call, no locks
        )
    try:
        yield ServiceProcess(name, process, f"http://127.0.0.1:{port}", log)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


async def stored_commands(database_url: str) -> int:
    """Commands applied: each left one KernelTestHappened event."""
    conn: Any = await asyncpg.connect(database_url)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM keten.events WHERE event_type = 'KernelTestHappened'"
        )
    finally:
        await conn.close()
    return count


async def apply_commands(
    kafka_bootstrap: str, topic: str, database_url: str, counters: range
) -> None:
    """Publishes commands and waits until the service has stored all it was sent so far."""
    await publish(kafka_bootstrap, topic, counters)

    async def stored() -> bool:
        return await stored_commands(database_url) == counters.stop - 1

    await eventually(stored, timeout=60)


async def publish(kafka_bootstrap: str, topic: str, counters: range) -> None:
    await publish_raw(
        kafka_bootstrap,
        topic,
        [(f"s-{i % 3}".encode(), command_json(i, subject=f"s-{i % 3}")) for i in counters],
    )


async def committed_records(kafka_bootstrap: str, group: str, topic: str) -> int:
    """How many of the (fresh) topic's records the group has committed, all partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(max(meta.offset, 0) for tp, meta in offsets.items() if tp.topic == topic)


def via_proxy(database_url: str, port: int) -> str:
    parts = urlsplit(database_url)
    host = f"{parts.username}:{parts.password}@127.0.0.1:{port}"
    return parts._replace(netloc=host).geturl()


async def test_sigterm_stops_an_idle_service(
    kafka_bootstrap: str, scratch_database: str, tmp_path: Path
) -> None:
    await ensure_topic(kafka_bootstrap, TEST_EVENTS_TOPIC)
    topic = await fresh_topic(kafka_bootstrap, "kernel.shutdown")
    async with service_process(tmp_path, scratch_database, kafka_bootstrap, topic) as service:
        await service.wait_ready()
        await apply_commands(kafka_bootstrap, topic, scratch_database, range(1, 4))
        await asyncio.sleep(1)  # idle: nothing in flight
        await service.sigterm_to_exit("idle")


@pytest.mark.parametrize("gone", ["cut", "stalled"])
async def test_sigterm_stops_a_service_whose_database_is_gone(
    gone: str, kafka_bootstrap: str, scratch_database: str, tmp_path: Path
) -> None:
    """`cut`: connections dropped, new ones refused; `stalled`: connections open, no answer."""
    await ensure_topic(kafka_bootstrap, TEST_EVENTS_TOPIC)
    topic = await fresh_topic(kafka_bootstrap, "kernel.shutdown")
    database = urlsplit(scratch_database)
    assert database.hostname is not None
    assert database.port is not None
    async with tcp_proxy(database.hostname, database.port) as proxy:
        url = via_proxy(scratch_database, proxy.port)
        async with service_process(tmp_path, url, kafka_bootstrap, topic) as service:
            await service.wait_ready()
            await apply_commands(kafka_bootstrap, topic, scratch_database, range(1, 4))
            if gone == "cut":
                await proxy.cut()
            else:
                proxy.stall()
            # Three more, which the consumer reads but cannot store: it retries, holding them.
            await publish(kafka_bootstrap, topic, range(4, 7))
            await asyncio.sleep(2)
            await service.sigterm_to_exit(f"database gone ({gone})")
            group = service.group
    # Nothing half-done: only the stored records' offsets are committed.
    assert await stored_commands(scratch_database) == 3
    assert await committed_records(kafka_bootstrap, group, topic) == 3


@pytest.mark.parametrize("gone", ["killed", "frozen"])
async def test_sigterm_stops_a_service_whose_broker_is_gone(
    gone: str, scratch_database: str, tmp_path: Path
) -> None:
    """A broker of its own (a proxy cannot stand in for Kafka, which hands out its own address):
    `killed` with SIGKILL, or `frozen` with SIGSTOP (connections open, no answer)."""
    started = time.monotonic()
    with fresh_kafka(tmp_path / "kafka") as kafka:
        took = time.monotonic() - started
        print(f"\nshutdown [broker gone ({gone})]: a broker of its own in {took:.1f} s")  # noqa: T201
        await ensure_topic(kafka.bootstrap, TEST_EVENTS_TOPIC)
        topic = await fresh_topic(kafka.bootstrap, "kernel.shutdown")
        async with service_process(tmp_path, scratch_database, kafka.bootstrap, topic) as service:
            await service.wait_ready()
            await apply_commands(kafka.bootstrap, topic, scratch_database, range(1, 4))
            try:
                if gone == "killed":
                    kafka.kill()
                else:
                    kafka.freeze()
                await asyncio.sleep(2)
                await service.sigterm_to_exit(f"broker gone ({gone})")
            finally:
                if gone == "frozen":
                    kafka.kill()  # a stopped broker would not heed the SIGTERM of its stop
    assert await stored_commands(scratch_database) == 3


SEEDED_EVENTS = 6000


async def seed_store(database_url: str) -> None:
    """The store's tables and SEEDED_EVENTS events for the counters projection to replay."""
    conn: Any = await asyncpg.connect(database_url)
    when = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    try:
        await schema.setup(conn)
        for stream in range(12):
            subject = f"seed-{stream}"
            per_stream = SEEDED_EVENTS // 12
            await eventstore.append(
                conn,
                f"seeded-{subject}",
                0,
                [
                    NewEvent(KernelTestRecorded(counter=i), subject, when, "tests/shutdown")
                    for i in range(per_stream)
                ],
            )
    finally:
        await conn.close()


async def test_sigterm_stops_a_service_during_a_streaming_rebuild(
    kafka_bootstrap: str, scratch_database: str, tmp_path: Path
) -> None:
    await ensure_topic(kafka_bootstrap, TEST_EVENTS_TOPIC)
    topic = await fresh_topic(kafka_bootstrap, "kernel.shutdown")
    await seed_store(scratch_database)
    observer: Any = await asyncpg.connect(scratch_database)
    try:
        async with service_process(tmp_path, scratch_database, kafka_bootstrap, topic) as service:
            await service.wait_ready()

            async def projected() -> bool:
                found: int | None = await observer.fetchval(
                    "SELECT sum(events) FROM proj_counters.counters"
                )
                return found == SEEDED_EVENTS

            await eventually(projected, timeout=60)
            live = await observer.fetchval(
                "SELECT oid FROM pg_namespace WHERE nspname = 'proj_counters'"
            )
            # The rebuild replays, streaming its progress, then waits for the projection's lock
            # inside its final transaction: it stays open, holding a connection, until stopped.
            await observer.execute("SELECT pg_advisory_lock(hashtext($1))", shutdown_app.PROJECTION)
            lines: list[dict[str, Any]] = []

            async def rebuild() -> None:
                url = f"{service.base_url}/admin/projections/{shutdown_app.PROJECTION}/rebuild"
                async with (
                    httpx.AsyncClient(timeout=60) as client,
                    client.stream("POST", url, params={"swap": "true"}) as response,
                ):
                    async for line in response.aiter_lines():
                        lines.append(orjson.loads(line))  # noqa: PERF401 - read as they come

            reading = asyncio.create_task(rebuild())

            async def waiting_for_the_lock() -> bool:
                waiting = await observer.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                )
                return bool(lines) and waiting > 0

            await eventually(waiting_for_the_lock, timeout=60)
            await service.sigterm_to_exit("rebuild streaming")
            await asyncio.wait([reading], timeout=10)
            assert reading.done(), "the rebuild's response is still open after the exit"
            reading.exception()  # the connection ended without the stream's last line
        assert lines[0]["total"] == SEEDED_EVENTS
        assert not [line for line in lines if "result" in line], lines
        # The rebuild's session, blocked on the lock, learns only now that its client is gone:
        # its transaction ends without a commit.
        await observer.execute("SELECT pg_advisory_unlock(hashtext($1))", shutdown_app.PROJECTION)

        async def sessions_ended() -> bool:
            others: int = await observer.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return others == 0

        await eventually(sessions_ended, timeout=30)
        # Nothing half-done: the live projection is the one from before (no swap), untouched.
        assert (
            await observer.fetchval("SELECT oid FROM pg_namespace WHERE nspname = 'proj_counters'")
            == live
        )
        assert await observer.fetchval("SELECT sum(events) FROM proj_counters.counters") == (
            SEEDED_EVENTS
        )
    finally:
        await observer.close()
