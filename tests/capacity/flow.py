"""Waiting for the ledger: polling its API and reading its topics, filtered by a test's ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
from aiokafka import ConsumerRecord

from keten.contracts.topics import dead_letter_topic
from tests.capacity.wire import Record, body
from tests.support.kafka import eventually, publish_raw, read_to_end


async def publish(bootstrap: str, topic: str, *records: Record) -> None:
    await publish_raw(bootstrap, topic, list(records))


async def location(
    api: httpx.AsyncClient, location_id: str, as_of: str | None = None
) -> dict[str, Any] | None:
    params = {} if as_of is None else {"as_of": as_of}
    response = await api.get(f"/locations/{location_id}", params=params)
    if response.status_code == 404:
        return None
    response.raise_for_status()
    found: dict[str, Any] = response.json()
    return found


async def location_reaches(
    api: httpx.AsyncClient, location_id: str, **expected: Any
) -> dict[str, Any]:
    """Waits until the location shows every expected figure; returns it."""
    seen: dict[str, Any] = {}

    async def reached() -> bool:
        found = await location(api, location_id)
        seen.update(found or {})
        return found is not None and all(found[k] == v for k, v in expected.items())

    await eventually(reached)
    return seen


async def occupancy(
    api: httpx.AsyncClient, by: str, as_of: str | None = None
) -> list[dict[str, Any]]:
    params = {"by": by} if as_of is None else {"by": by, "as_of": as_of}
    response = await api.get("/occupancy", params=params)
    response.raise_for_status()
    rows: list[dict[str, Any]] = response.json()["rows"]
    return rows


async def records_keyed(
    bootstrap: str, topic: str, keys: Sequence[str]
) -> list[ConsumerRecord[bytes, bytes]]:
    wanted = {k.encode() for k in keys}
    return [r for r in await read_to_end(bootstrap, topic) if r.key in wanted]


async def events_keyed(bootstrap: str, topic: str, key: str) -> list[dict[str, Any]]:
    return [body(r) for r in await records_keyed(bootstrap, topic, [key])]


async def events_counted(
    bootstrap: str, topic: str, key: str, kind: str, count: int = 1
) -> list[dict[str, Any]]:
    """Waits until `count` events of type `kind` were published under `key`; returns all
    events under `key`. A subject's events are published in the order they were stored."""
    found: list[dict[str, Any]] = []

    async def appeared() -> bool:
        found[:] = await events_keyed(bootstrap, topic, key)
        return [e["type"] for e in found].count(kind) >= count

    await eventually(appeared)
    return found


async def dead_letters(
    bootstrap: str, topic: str, key: str, count: int
) -> list[ConsumerRecord[bytes, bytes]]:
    """Waits until `count` records under `key` are in `topic`'s dead-letter topic."""
    found: list[ConsumerRecord[bytes, bytes]] = []

    async def arrived() -> bool:
        found[:] = await records_keyed(bootstrap, dead_letter_topic(topic), [key])
        return len(found) >= count

    await eventually(arrived)
    return found
