"""The fuzzer's links to a running chain: a Kafka producer that tells where each record went,
the services' query APIs, and their `/ready`, watched for as long as the run lasts."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Self

import httpx
from aiokafka import AIOKafkaProducer

from tests.fuzz.records import Wire

READY_EVERY: Final = 2.0


class Publisher:
    """Publishes records as an outside system would (idempotent, acks=all)."""

    def __init__(self, bootstrap: str) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            enable_idempotence=True,
            acks="all",
            linger_ms=5,
            max_request_size=1_048_576,
            request_timeout_ms=60_000,
        )

    async def __aenter__(self) -> Self:
        await self._producer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._producer.stop()

    async def publish(self, topic: str, wires: Sequence[Wire]) -> list[tuple[int, int]]:
        """Sends `wires` in order; returns each one's (partition, offset)."""
        pending = [
            await self._producer.send(topic, w.value, key=w.key, headers=list(w.headers) or None)
            for w in wires
        ]
        sent = await asyncio.gather(*pending)
        return [(meta.partition, meta.offset) for meta in sent]


class Api:
    """The four query APIs; a transport error reads as no answer."""

    def __init__(self, urls: Mapping[str, str]) -> None:
        self._clients = {s: httpx.AsyncClient(base_url=u, timeout=10) for s, u in urls.items()}

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()

    async def get(self, service: str, path: str, **params: str) -> tuple[int, Any]:
        try:
            response = await self._clients[service].get(path, params=params)
        except httpx.HTTPError:
            return 0, None
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(self._clients)


@dataclass
class Readiness:
    """Every `/ready` answer but 200, by service, with the problems it named."""

    polls: int = 0
    not_ready: Counter[str] = field(default_factory=Counter)
    problems: dict[str, set[str]] = field(default_factory=dict)

    async def poll(self, api: Api) -> None:
        self.polls += 1
        for service in api.services:
            status, body = await api.get(service, "/ready")
            if status != 200:
                self.not_ready[service] += 1
                named = body.get("problems", {}) if isinstance(body, dict) else {}
                found = [f"{k}: {v}" for k, v in named.items()] or [f"HTTP {status}"]
                self.problems.setdefault(service, set()).update(found)

    @contextlib.asynccontextmanager
    async def watching(self, api: Api) -> Any:
        async def watch() -> None:
            while True:
                await self.poll(api)
                await asyncio.sleep(READY_EVERY)

        task = asyncio.create_task(watch())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
