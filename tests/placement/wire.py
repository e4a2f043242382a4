"""Raw CloudEvents JSON, written by hand as an outside system would, and topic reading helpers
for placement's integration tests."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from keten.kernel.service import Service, ServiceSpec
from keten.kernel.settings import Settings
from keten.placement.app import spec
from tests.support.kafka import eventually
from tests.support.keys import dead_letter_key_files

T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
Record: TypeAlias = "ConsumerRecord[bytes, bytes]"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def isolated_spec() -> ServiceSpec:
    """Placement under a name of its own: consumer groups no other run shares."""
    return dataclasses.replace(spec(), name=unique("placement-test"))


def cloudevent(
    type_: str, subject: str, data: dict[str, Any], *, hours: float = 0, at: datetime | None = None
) -> bytes:
    """A CloudEvent of time `at`, or else `hours` after T0."""
    return orjson.dumps(
        {
            "specversion": "1.0",
            "id": unique("msg"),
            "source": "tests/placement",
            "type": type_,
            "time": (at or T0 + timedelta(hours=hours)).isoformat(),
            "subject": subject,
            "datacontenttype": "application/json",
            "data": data,
        }
    )


def message_id(record: tuple[bytes, bytes]) -> str:
    found: str = orjson.loads(record[1])["id"]
    return found


def location_opened(
    location_id: str,
    type_: str,
    province: str,
    capacity: int,
    *,
    hours: float = -1,
    at: datetime | None = None,
) -> tuple[bytes, bytes]:
    data = {
        "location_id": location_id,
        "name": f"Location {location_id}",
        "type": type_,
        "municipality_code": "GM0014",
        "province": province,
        "capacity": capacity,
    }
    opened = cloudevent("LocationOpened", location_id, data, hours=hours, at=at)
    return location_id.encode(), opened


def asylum_applied(
    case_id: str,
    centre_id: str,
    adults: int = 1,
    minors: int = 0,
    *,
    hours: float = 0,
    at: datetime | None = None,
) -> tuple[bytes, bytes]:
    data = {
        "case_id": case_id,
        "application_centre_id": centre_id,
        "household": {"adults": adults, "minors": minors},
        "nationality": "SYR",
        "ties": [],
    }
    return case_id.encode(), cloudevent("AsylumApplied", case_id, data, hours=hours, at=at)


def track_assigned(
    case_id: str, track: str, *, hours: float = 1, at: datetime | None = None
) -> tuple[bytes, bytes]:
    data = {"case_id": case_id, "track": track, "accelerated": track != "general"}
    return case_id.encode(), cloudevent("TrackAssigned", case_id, data, hours=hours, at=at)


def transfer_case(
    case_id: str, to: str, *, hours: float = 0, at: datetime | None = None
) -> tuple[bytes, bytes]:
    data = {"case_id": case_id, "to_location_id": to, "reason": "needs supervision"}
    return case_id.encode(), cloudevent("TransferCase", case_id, data, hours=hours, at=at)


def record_departure(
    case_id: str, reason: str, *, hours: float = 0, at: datetime | None = None
) -> tuple[bytes, bytes]:
    data = {"case_id": case_id, "reason": reason}
    return case_id.encode(), cloudevent("RecordDeparture", case_id, data, hours=hours, at=at)


def housed(
    case_id: str, persons: int, *, hours: float = 0, at: datetime | None = None
) -> tuple[bytes, bytes]:
    data = {
        "case_id": case_id,
        "municipality_code": "GM0014",
        "kind": "regular",
        "persons": persons,
        "period": "2026-H1",
    }
    return case_id.encode(), cloudevent("Housed", case_id, data, hours=hours, at=at)


async def topic_ends(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    """Where each partition of `topic` ends now: read from here to see only what follows."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        async with asyncio.timeout(30):
            while not consumer.assignment():  # noqa: ASYNC110 - polls the client
                await asyncio.sleep(0.05)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(list(consumer.assignment()))
    finally:
        await consumer.stop()
    return ends


async def read_since(bootstrap: str, starts: dict[TopicPartition, int]) -> list[Record]:
    """Every record after `starts`, up to each partition's end at the moment of the call."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    received: list[Record] = []
    try:
        consumer.assign(list(starts))
        ends = await consumer.end_offsets(list(starts))
        for partition, offset in starts.items():
            consumer.seek(partition, offset)
        while [p for p in starts if await consumer.position(p) < ends[p]]:
            batch = await consumer.getmany(timeout_ms=500)
            received.extend(r for records in batch.values() for r in records)
    finally:
        await consumer.stop()
    return received


def decoded(records: list[Record], subjects: set[str]) -> list[dict[str, Any]]:
    """The CloudEvents about `subjects`, each once (a relay may publish an event twice)."""
    seen: set[str] = set()
    found: list[dict[str, Any]] = []
    for record in records:
        event: dict[str, Any] = orjson.loads(record.value)
        if event["subject"] in subjects and event["id"] not in seen:
            seen.add(event["id"])
            found.append(event)
    return found


async def events_by_subject(
    bootstrap: str, starts: dict[TopicPartition, int], counts: dict[str, int]
) -> dict[str, list[dict[str, Any]]]:
    """Per subject, its CloudEvents published since `starts`, once exactly `counts` of them are
    there."""
    found: dict[str, list[dict[str, Any]]] = {}

    async def complete() -> bool:
        found.clear()
        for event in decoded(await read_since(bootstrap, starts), set(counts)):
            found.setdefault(event["subject"], []).append(event)
        return {subject: len(events) for subject, events in found.items()} == counts

    await eventually(complete, interval=0.5)
    return found


@contextlib.asynccontextmanager
async def more_consumers(
    service_spec: ServiceSpec, topic: str, count: int, database_url: str, bootstrap: str
) -> AsyncIterator[None]:
    """`count` more instances of the service on the same database, consuming `topic` only: they
    join the same consumer group, so its partitions are shared out and handled concurrently.
    Started together, as each one joining makes the group rebalance."""
    consuming = dataclasses.replace(
        service_spec,
        subscriptions=[s for s in service_spec.subscriptions if topic in s.topics],
        projections=[],
    )
    settings = Settings(
        service=consuming.name,
        kafka_bootstrap_servers=bootstrap,
        database_url=database_url,
        http_host="127.0.0.1",
        http_port=0,
        clock="wall",
        log_level="warning",
        **dead_letter_key_files(consuming.name),
    )
    stop = asyncio.Event()
    started: list[asyncio.Event] = [asyncio.Event() for _ in range(count)]

    async def run(ready: asyncio.Event) -> None:
        async with Service(consuming, settings).running():
            ready.set()
            await stop.wait()

    instances = [asyncio.create_task(run(ready)) for ready in started]
    try:
        async with asyncio.timeout(60):
            for ready, instance in zip(started, instances, strict=True):
                await asyncio.wait(
                    [instance, asyncio.create_task(ready.wait())],
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if instance.done():
                    instance.result()
        yield
    finally:
        stop.set()
        await asyncio.gather(*instances)
