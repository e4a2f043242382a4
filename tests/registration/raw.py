"""Raw CloudEvents JSON, written by hand as an outside system would, and readers of topics."""

from __future__ import annotations

import dataclasses
import random
import uuid
from datetime import UTC, datetime
from typing import Any, TypeAlias

import asyncpg
import orjson
from aiokafka import ConsumerRecord

from keten.contracts.topics import CAPACITY_EVENTS
from keten.kernel.service import ServiceSpec
from keten.registration.app import spec
from keten.registration.streams import centre_stream
from tests.support.kafka import eventually, publish_raw, read_to_end

Record: TypeAlias = "ConsumerRecord[bytes, bytes]"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def isolated_spec() -> ServiceSpec:
    """Registration under consumer group names of its own, so that no other instance of the
    service (another test run, a running chain) shares its partitions."""
    return dataclasses.replace(spec(), name=unique("registration"))


def cloud_event(
    type_name: str,
    subject: str,
    data: dict[str, Any],
    *,
    time: datetime | None = None,
    message_id: str | None = None,
) -> bytes:
    return orjson.dumps(
        {
            "specversion": "1.0",
            "id": message_id or str(uuid.uuid4()),
            "source": "tests/outside",
            "type": type_name,
            "time": (time or datetime.now(UTC)).isoformat(),
            "subject": subject,
            "datacontenttype": "application/json",
            "data": data,
        }
    )


def command(
    type_name: str, case_id: str, data: dict[str, Any], *, time: datetime | None = None
) -> tuple[bytes, bytes]:
    """A command as a (key, value) pair for `publish_raw`, keyed by its case."""
    return case_id.encode(), cloud_event(type_name, case_id, data, time=time)


def location_opened(location_id: str, location_type: str = "application_centre") -> bytes:
    data = {
        "location_id": location_id,
        "name": "Ter Apel",
        "type": location_type,
        "municipality_code": "GM1950",
        "province": "Groningen",
        "capacity": 2000,
    }
    return cloud_event("LocationOpened", location_id, data)


@dataclasses.dataclass(frozen=True)
class Applicant:
    """Personal data unique to a test, so that its absence from a topic means something."""

    family_name: str = dataclasses.field(default_factory=lambda: unique("Haddad"))
    v_number: str = dataclasses.field(
        default_factory=lambda: "".join(random.choices("0123456789", k=10))
    )

    def personal(self) -> dict[str, str]:
        return {
            "v_number": self.v_number,
            "family_name": self.family_name,
            "given_names": "Rana Noor",
            "date_of_birth": "1990-05-01",
        }


def registration_data(
    case_id: str, centre: str, applicant: Applicant, *, adults: int = 2
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "application_centre_id": centre,
        "household": {"adults": adults, "minors": 1},
        "nationality": "SYR",
        "ties": [{"municipality_code": "GM0014", "kind": "family"}],
        "personal": applicant.personal(),
    }


async def centre_known(database_url: str, centre: str) -> bool:
    """Whether the service has learnt the location (so commands naming it take effect)."""
    conn = await asyncpg.connect(database_url)
    try:
        found = await conn.fetchval(
            "SELECT count(*) FROM keten.events WHERE stream_id = $1",
            centre_stream(centre),
        )
    finally:
        await conn.close()
    return bool(found)


async def open_centre(
    kafka_bootstrap: str, database_url: str, location_type: str = "application_centre"
) -> str:
    """Publishes a new location (an application centre unless told otherwise) on
    capacity.events and waits until registration has learnt it."""
    centre = unique("centre")
    opened = location_opened(centre, location_type)
    await publish_raw(kafka_bootstrap, CAPACITY_EVENTS, [(centre.encode(), opened)])

    async def known() -> bool:
        return await centre_known(database_url, centre)

    await eventually(known)
    return centre


async def records_for(bootstrap: str, topic: str, keys: set[str]) -> list[Record]:
    wanted = {key.encode() for key in keys}
    return [r for r in await read_to_end(bootstrap, topic) if r.key in wanted]


def body(record: Record) -> dict[str, Any]:
    value: dict[str, Any] = orjson.loads(record.value)
    return value


def types_of(records: list[Record]) -> list[str]:
    return [str(body(r)["type"]) for r in records]
