"""Raw CloudEvents as outside systems publish them, and reading housing's output back.

The JSON is written by hand (orjson over plain dicts), not through the contract's models, so
that the tests check the wire format itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from tests.support.kafka import publish_raw, read_to_end

Record = tuple[bytes, bytes]


def cloudevent(type_: str, subject: str, time: datetime, data: dict[str, Any]) -> Record:
    value = orjson.dumps(
        {
            "specversion": "1.0",
            "id": f"{type_}-{uuid.uuid4().hex}",
            "source": "tests/housing",
            "type": type_,
            "time": time.isoformat(),
            "subject": subject,
            "datacontenttype": "application/json",
            "data": data,
        }
    )
    return subject.encode(), value


def location_opened(location_id: str, code: str, province: str, time: datetime) -> Record:
    data = {
        "location_id": location_id,
        "name": "AZC for tests",
        "type": "azc",
        "municipality_code": code,
        "province": province,
        "capacity": 400,
    }
    return cloudevent("LocationOpened", location_id, time, data)


def admitted(case_id: str, location_id: str, adults: int, minors: int, time: datetime) -> Record:
    data = {
        "case_id": case_id,
        "location_id": location_id,
        "persons": adults + minors,
        "household": {"adults": adults, "minors": minors},
    }
    return cloudevent("AdmittedToApplicationCentre", case_id, time, data)


def transferred(
    case_id: str, from_location: str, to_location: str, persons: int, time: datetime
) -> Record:
    data = {
        "case_id": case_id,
        "from_location_id": from_location,
        "to_location_id": to_location,
        "to_location_type": "azc",
        "persons": persons,
        "reason": "track general",
        "manual": False,
        "move_count": 1,
    }
    return cloudevent("TransferredToAZC", case_id, time, data)


def permit_granted(
    case_id: str, adults: int, minors: int, time: datetime, ties: Sequence[str] = ()
) -> Record:
    data = {
        "case_id": case_id,
        "household": {"adults": adults, "minors": minors},
        "ties": [{"municipality_code": code, "kind": "family"} for code in ties],
    }
    return cloudevent("PermitGranted", case_id, time, data)


def set_quota(code: str, period: str, persons: int, time: datetime) -> Record:
    data = {"municipality_code": code, "period": period, "persons": persons}
    return cloudevent("SetHousingQuota", code, time, data)


def transfer_quota(source: str, target: str, period: str, persons: int, time: datetime) -> Record:
    data = {
        "period": period,
        "from_municipality": source,
        "to_municipality": target,
        "persons": persons,
    }
    return cloudevent("TransferQuota", source, time, data)


def record_housing(case_id: str, code: str, kind: str, time: datetime) -> Record:
    data = {"case_id": case_id, "municipality_code": code, "kind": kind}
    return cloudevent("RecordHousing", case_id, time, data)


def pair_case(case_id: str, code: str, time: datetime) -> Record:
    return cloudevent("PairCase", case_id, time, {"case_id": case_id, "municipality_code": code})


async def publish(kafka: str, topic: str, *records: Record) -> None:
    await publish_raw(kafka, topic, list(records))


async def published(kafka: str, topic: str, subjects: Iterable[str]) -> list[dict[str, Any]]:
    """The CloudEvents on `topic` about `subjects` (topics are shared: filter by our ids)."""
    keys = {subject.encode() for subject in subjects}
    records = await read_to_end(kafka, topic)
    return [orjson.loads(r.value) for r in records if r.key in keys]


def of_type(events: Iterable[dict[str, Any]], type_: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == type_]


async def stored_count(database_url: str, streams: Sequence[str]) -> int:
    """How many of `streams` housing has recorded: a sync point for facts from other topics."""
    conn = await asyncpg.connect(database_url)
    try:
        found: int = await conn.fetchval(
            "SELECT count(DISTINCT stream_id) FROM keten.events WHERE stream_id = ANY($1)",
            list(streams),
        )
    finally:
        await conn.close()
    return found
