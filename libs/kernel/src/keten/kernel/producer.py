"""Publishing to Kafka: the port, and the idempotent aiokafka producer behind it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from aiokafka import AIOKafkaProducer


@dataclass(frozen=True)
class OutgoingRecord:
    topic: str
    value: bytes
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = field(default=())


class Producer(Protocol):
    async def send_all(self, records: Sequence[OutgoingRecord]) -> None:
        """Returns once every record is written to all in-sync replicas, in the given order."""
        ...


class KafkaProducer:
    """aiokafka with idempotence and acks=all: a retried send is never written twice, and
    records to one partition keep their order."""

    def __init__(self, bootstrap_servers: str, client_id: str) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            enable_idempotence=True,
            acks="all",
            linger_ms=2,
            request_timeout_ms=30000,
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def send_all(self, records: Sequence[OutgoingRecord]) -> None:
        pending = [
            await self._producer.send(r.topic, r.value, key=r.key, headers=list(r.headers) or None)
            for r in records
        ]
        await asyncio.gather(*pending)
