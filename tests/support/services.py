"""Runs a service in-process against the real broker and a database of its own, for tests."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import uvicorn
from aiokafka import AIOKafkaConsumer, TopicPartition

from keten.contracts.topics import CLOCK
from keten.kernel.service import Service, ServiceSpec, http_app
from keten.kernel.settings import PARKING_MAX_WAIT, Settings
from tests.support.kafka import fresh_clock_topic
from tests.support.keys import dead_letter_key_files


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def start_groups_at_end(spec: ServiceSpec, kafka_bootstrap: str) -> None:
    """Commits the current end of every topic for the service's consumer groups, so a test's
    service reads only what is published after this call, not earlier tests' messages."""
    for sub in spec.subscriptions:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=kafka_bootstrap,
            group_id=f"{spec.name}.{sub.name}",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            await consumer._client.force_metadata_update()  # learn every topic
            partitions = [
                TopicPartition(topic, p)
                for topic in sub.topics
                for p in sorted(consumer.partitions_for_topic(topic) or ())
            ]
            if partitions:
                consumer.assign(partitions)
                await consumer.commit(await consumer.end_offsets(partitions))
        finally:
            await consumer.stop()


@contextlib.asynccontextmanager
async def running_service(
    spec: ServiceSpec,
    database_url: str,
    kafka_bootstrap: str,
    *,
    clock: str = "wall",
    clock_topic: str | None = None,
    parking_max_wait: timedelta = PARKING_MAX_WAIT,
) -> AsyncIterator[httpx.AsyncClient]:
    """The service with its HTTP API on a free port; yields a client for that API.

    Its consumer groups start at the current end of their topics: publish after entering.
    Under the simulated clock it shares its time through `clock_topic`, by default a topic of
    its own: services of one test given one topic form a chain, apart from other tests'.
    """
    await start_groups_at_end(spec, kafka_bootstrap)
    if clock == "simulated" and clock_topic is None:
        clock_topic = await fresh_clock_topic(kafka_bootstrap)
    port = free_port()
    settings = Settings(
        service=spec.name,
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=database_url,
        http_host="127.0.0.1",
        http_port=port,
        clock=clock,
        log_level="warning",
        **dead_letter_key_files(spec.name),
        clock_topic=clock_topic or CLOCK,
        parking_max_wait=parking_max_wait,
    )
    service = Service(spec, settings)
    server = uvicorn.Server(
        uvicorn.Config(
            http_app(service),
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
            lifespan="on",
        )
    )
    task = asyncio.create_task(server.serve())
    base_url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        try:
            async with asyncio.timeout(60):
                while True:
                    if task.done():
                        task.result()
                        raise RuntimeError(f"{spec.name} stopped during start")
                    with contextlib.suppress(httpx.TransportError):
                        if (await client.get("/ready")).status_code == 200:
                            break
                    await asyncio.sleep(0.1)
            yield client
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, 30)
