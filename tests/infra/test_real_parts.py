"""The real broker and database answer as the rest of the project expects."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from keten.contracts.topics import all_topics
from tests.conftest import Infra

pytestmark = pytest.mark.integration


async def test_idempotent_producer_writes_and_a_group_consumer_reads_back(
    kafka_bootstrap: str,
) -> None:
    topic = f"smoke.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, enable_idempotence=True, acks="all"
    )
    await producer.start()
    try:
        sent = [f"message-{i}".encode() for i in range(20)]
        for i, value in enumerate(sent):
            await producer.send_and_wait(topic, value, key=f"key-{i % 3}".encode())
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"smoke-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    received: list[bytes] = []
    try:
        async with asyncio.timeout(30):
            while len(received) < len(sent):
                batch = await consumer.getmany(timeout_ms=1000)
                received.extend(r.value for records in batch.values() for r in records)
    finally:
        await consumer.stop()
    assert sorted(received) == sorted(sent)


async def test_the_contract_topics_and_their_dead_letter_twins_exist(kafka_bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
    finally:
        await admin.close()
    assert set(all_topics()) <= existing
    assert "alerts.dlq" in existing


async def test_each_service_role_reaches_its_own_database_only(infra: Infra) -> None:
    services = sorted(infra.service_database_urls)
    assert services == ["capacity", "housing", "placement", "registration"]
    for service, url in infra.service_database_urls.items():
        conn = await asyncpg.connect(url)
        try:
            assert await conn.fetchval("SELECT current_user") == service
        finally:
            await conn.close()
        other = services[(services.index(service) + 1) % len(services)]
        other_url = url.rsplit("/", 1)[0] + "/" + other
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await asyncpg.connect(other_url)
