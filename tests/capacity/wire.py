"""Raw CloudEvents JSON as COA's systems and the placement service put it on Kafka, written by
hand (not through our models) so the tests read what an outside sender really sends."""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from tests.support.kafka import header

MORNING = "2026-03-02T09:00:00+01:00"
Record = tuple[bytes, bytes]


def cloud_event(
    kind: str, subject: str, data: dict[str, Any], *, time: str = MORNING, source: str
) -> Record:
    """(key, value): the key is the subject, as the contract says."""
    value = orjson.dumps(
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": source,
            "type": kind,
            "time": time,
            "subject": subject,
            "datacontenttype": "application/json",
            "data": data,
        }
    )
    return subject.encode(), value


def command(kind: str, subject: str, data: dict[str, Any], *, time: str = MORNING) -> Record:
    return cloud_event(kind, subject, data, time=time, source="coa/capacity-planning")


def open_location(
    location_id: str,
    municipality_code: str,
    capacity: int,
    *,
    kind: str = "azc",
    name: str = "Test location",
    time: str = MORNING,
) -> Record:
    data = {
        "location_id": location_id,
        "name": name,
        "type": kind,
        "municipality_code": municipality_code,
        "capacity": capacity,
    }
    return command("OpenLocation", location_id, data, time=time)


def change_capacity(location_id: str, capacity: Any, *, time: str = MORNING) -> Record:
    data = {"location_id": location_id, "capacity": capacity, "reason": "building works"}
    return command("ChangeCapacity", location_id, data, time=time)


def placement_event(kind: str, case_id: str, data: dict[str, Any], *, time: str) -> Record:
    return cloud_event(
        kind, case_id, {"case_id": case_id, **data}, time=time, source="keten/placement"
    )


def admitted(location_id: str, persons: int, *, case: str = "", time: str = MORNING) -> Record:
    data = {
        "location_id": location_id,
        "persons": persons,
        "household": {"adults": 1, "minors": persons - 1},
    }
    return placement_event("AdmittedToApplicationCentre", case or new_case(), data, time=time)


def transferred(
    source: str, target: str, persons: int, *, case: str = "", time: str = MORNING
) -> Record:
    data = {
        "from_location_id": source,
        "to_location_id": target,
        "to_location_type": "azc",
        "persons": persons,
        "reason": "track general: azc in the same province",
        "manual": False,
        "move_count": 1,
    }
    return placement_event("TransferredToAZC", case or new_case(), data, time=time)


def left(location_id: str, persons: int, *, case: str = "", time: str = MORNING) -> Record:
    data = {"location_id": location_id, "persons": persons, "reason": "housed"}
    return placement_event("LeftReception", case or new_case(), data, time=time)


def deferred(persons: int, *, time: str = MORNING) -> Record:
    data = {"location_type": "azc", "persons": persons, "reason": "no azc has room"}
    return placement_event("TransferDeferred", new_case(), data, time=time)


def new_case() -> str:
    return f"case-{uuid.uuid4().hex[:12]}"


def new_location(prefix: str = "loc") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def body(record: Any) -> dict[str, Any]:
    decoded: dict[str, Any] = orjson.loads(record.value)
    return decoded


def stage_and_message(record: Any) -> tuple[str, str]:
    return header(record, "error.stage"), header(record, "error.message")
