"""The four services in this process, each on a fresh database, for one run of a scenario."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import orjson

from keten.capacity.app import spec as capacity
from keten.housing.app import spec as housing
from keten.kernel.service import ServiceSpec
from keten.placement.app import spec as placement
from keten.registration.app import spec as registration
from tests.support.services import running_service

SPECS: dict[str, Callable[[], ServiceSpec]] = {
    "registration": registration,
    "placement": placement,
    "housing": housing,
    "capacity": capacity,
}
SETTLED_POLLS = 10  # polls of 0.3 s without change, nothing parked: the chain has settled


@dataclass(frozen=True)
class Running:
    api: httpx.AsyncClient
    database_url: str


@contextlib.asynccontextmanager
async def database(admin_url: str) -> AsyncIterator[str]:
    name = f"il_{uuid.uuid4().hex[:12]}"
    admin: Any = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()


@contextlib.asynccontextmanager
async def four_services(admin_url: str, bootstrap: str) -> AsyncIterator[dict[str, Running]]:
    """Each under consumer groups of its own, reading only what is published from now on."""
    async with contextlib.AsyncExitStack() as stack:
        running: dict[str, Running] = {}
        for name, spec in SPECS.items():
            url = await stack.enter_async_context(database(admin_url))
            own = dataclasses.replace(spec(), name=f"{name}-{uuid.uuid4().hex[:8]}")
            api = await stack.enter_async_context(running_service(own, url, bootstrap))
            running[name] = Running(api, url)
        yield running


async def _fetch(url: str, query: str) -> list[asyncpg.Record]:
    conn: Any = await asyncpg.connect(url)
    try:
        rows: list[asyncpg.Record] = await conn.fetch(query)
        return rows
    finally:
        await conn.close()


async def _activity(services: dict[str, Running]) -> tuple[tuple[int, int, int], ...]:
    counts = []
    for service in services.values():
        [row] = await _fetch(
            service.database_url,
            "SELECT (SELECT count(*) FROM keten.events) AS events,"
            " (SELECT count(*) FROM keten.inbox) AS inbox,"
            " (SELECT count(*) FROM keten.parked) AS parked",
        )
        counts.append((row["events"], row["inbox"], row["parked"]))
    return tuple(counts)


async def settled(services: dict[str, Running], timeout: float = 120) -> None:
    """Until nothing has changed for SETTLED_POLLS polls and nothing waits."""
    last: tuple[tuple[int, int, int], ...] = ()
    quiet = 0
    async with asyncio.timeout(timeout):
        while quiet < SETTLED_POLLS:
            await asyncio.sleep(0.3)
            now = await _activity(services)
            waiting = any(parked for _, _, parked in now)
            quiet = quiet + 1 if now == last and not waiting else 0
            last = now


def decided(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """An event as decided, without the running totals of a ledger shared by many subjects.

    A location's running occupancy (placement's own `PlacesTaken` / `PlacesFreed` records) and
    the remaining quota a pairing's reason quotes are the ledger as it stood when the message
    arrived: other cases' messages come on other partitions, which Kafka does not order, even
    within one topic. What was decided (who, where, how many) is compared, and the totals are
    compared where they end: in the figures.
    """
    if event_type in ("PlacesTaken", "PlacesFreed"):
        return {k: v for k, v in data.items() if k != "occupied"}
    if event_type == "PairedWithMunicipality":
        reason = dict(data["reason"])
        reason["candidates"] = [
            {k: v for k, v in c.items() if k != "remaining"} for c in reason["candidates"]
        ]
        return {**data, "reason": reason}
    return data


async def events_by_stream(url: str) -> dict[str, list[tuple[str, str, str]]]:
    """Every stream's events as (time, type, data), in event-time order (ids left out)."""
    rows = await _fetch(url, "SELECT stream_id, event_type, data, occurred_at FROM keten.events")
    streams: dict[str, list[tuple[str, str, str]]] = {}
    for row in rows:
        content = decided(row["event_type"], orjson.loads(row["data"]))
        data = orjson.dumps(content, option=orjson.OPT_SORT_KEYS).decode()
        event = (row["occurred_at"].isoformat(), row["event_type"], data)
        streams.setdefault(row["stream_id"], []).append(event)
    return {stream: sorted(events) for stream, events in sorted(streams.items())}


async def dead_letters(url: str) -> list[str]:
    rows = await _fetch(url, "SELECT message_type, reason FROM keten.dead_letters")
    return [f"{row['message_type']}: {row['reason']}" for row in rows]


async def newest_position(url: str) -> str:
    rows = await _fetch(
        url,
        "SELECT transaction_id, position FROM keten.events"
        " ORDER BY transaction_id DESC, position DESC LIMIT 1",
    )
    return f"{rows[0]['transaction_id']}.{rows[0]['position']}" if rows else "0.0"


async def read(service: Running, path: str, **params: str) -> Any:
    """A read from the projection once it has every event of the store."""
    position = await newest_position(service.database_url)
    response = await service.api.get(path, params={**params, "min_position": position})
    response.raise_for_status()
    return response.json()
