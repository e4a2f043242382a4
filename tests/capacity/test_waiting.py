"""Placement's facts and capacity's commands travel on different topics, so a fact about a
location can arrive before the ledger has opened it. Such a fact waits, parked, for the
opening: occupancy and over capacity come out the same whatever the order of arrival, and
nothing is dead-lettered for it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import orjson
import pytest

from keten.capacity.streams import location_stream
from keten.contracts.topics import (
    ALERTS,
    CAPACITY_COMMANDS,
    CAPACITY_EVENTS,
    PLACEMENT_EVENTS,
    dead_letter_topic,
)
from tests.capacity import wire
from tests.capacity.flow import (
    events_counted,
    events_keyed,
    location,
    location_reaches,
    publish,
    records_keyed,
)
from tests.support.kafka import eventually

pytestmark = pytest.mark.integration

TYNAARLO = "GM1730"


def message_id(record: wire.Record) -> str:
    found: str = orjson.loads(record[1])["id"]
    return found


async def parked(api: httpx.AsyncClient, *ids: str) -> list[dict[str, Any]]:
    """The parked messages among `ids` (other tests' messages may wait here too)."""
    response = await api.get("/admin/parked")
    response.raise_for_status()
    return [p for p in response.json() if p["message_id"] in ids]


async def parked_reaches(api: httpx.AsyncClient, count: int, *ids: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    async def reached() -> bool:
        found[:] = await parked(api, *ids)
        return len(found) == count

    await eventually(reached)
    return found


async def dead_letters_of(api: httpx.AsyncClient, *ids: str) -> list[dict[str, Any]]:
    response = await api.get("/admin/dead-letters")
    response.raise_for_status()
    return [d for d in response.json() if d["message_id"] in ids]


async def test_a_transfer_before_its_location_is_opened_waits_and_then_counts_once(
    capacity_api: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    # Given an application centre holding a household of 4, and an AZC not opened here yet
    centre, azc, case = wire.new_location("ac"), wire.new_location("azc"), wire.new_case()
    opening = wire.open_location(
        centre, TYNAARLO, 10, kind="application_centre", time="2026-03-02T08:00:00+01:00"
    )
    await publish(kafka_bootstrap, CAPACITY_COMMANDS, opening)
    await location_reaches(capacity_api, centre, status="open")
    admission = wire.admitted(centre, 4, case=case, time="2026-03-02T09:00:00+01:00")
    transfer = wire.transferred(centre, azc, 4, case=case, time="2026-03-02T10:00:00+01:00")

    # When placement's transfer to the AZC arrives before the AZC's opening
    await publish(kafka_bootstrap, PLACEMENT_EVENTS, admission, transfer)

    # Then it waits for the AZC, changing neither location meanwhile
    [waiting] = await parked_reaches(capacity_api, 1, message_id(transfer))
    assert (waiting["message_type"], waiting["subject"]) == ("TransferredToAZC", case)
    assert (waiting["waits_for"], waiting["stream"]) == (f"location {azc}", location_stream(azc))
    await location_reaches(capacity_api, centre, occupied=4)
    assert await location(capacity_api, azc) is None

    # When the AZC opens, with fewer places than the household
    opened_later = wire.open_location(azc, TYNAARLO, 3, time="2026-03-02T08:30:00+01:00")
    await publish(kafka_bootstrap, CAPACITY_COMMANDS, opened_later)

    # Then the transfer takes effect once: the household left the centre and fills the AZC
    await location_reaches(capacity_api, azc, occupied=4, capacity=3, free=-1, over_capacity=True)
    await location_reaches(capacity_api, centre, occupied=0, over_capacity=False)
    await parked_reaches(capacity_api, 0, message_id(transfer))
    # and the AZC went over its 3 places with the transfer, at the transfer's time, said once
    events = await events_counted(kafka_bootstrap, CAPACITY_EVENTS, azc, "OverCapacity")
    assert [e["type"] for e in events] == ["LocationOpened", "OverCapacity"]
    assert events[1]["data"] == {"location_id": azc, "capacity": 3, "occupied": 4}
    assert datetime.fromisoformat(events[1]["time"]) == datetime.fromisoformat(
        "2026-03-02T10:00:00+01:00"
    )
    [alert] = await events_counted(kafka_bootstrap, ALERTS, azc, "Alert")
    assert alert["data"]["figures"] == {"capacity": 3, "occupied": 4, "excess": 1, "status": "open"}
    # and nothing was dead-lettered for it
    assert await dead_letters_of(capacity_api, message_id(admission), message_id(transfer)) == []
    dlq = dead_letter_topic(PLACEMENT_EVENTS)
    assert await records_keyed(kafka_bootstrap, dlq, [case]) == []
    assert [e["type"] for e in await events_keyed(kafka_bootstrap, CAPACITY_EVENTS, centre)] == [
        "LocationOpened"
    ]


async def test_occupancy_and_over_capacity_are_the_same_whatever_the_order_of_arrival(
    capacity_api: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    # Given two application centres of 5 places, one opened before placement's facts about
    # it arrive and one after
    first, later = wire.new_location("ac"), wire.new_location("ac")

    def opening(location_id: str) -> wire.Record:
        return wire.open_location(
            location_id, TYNAARLO, 5, kind="application_centre", time="2026-03-02T08:00:00+01:00"
        )

    def facts(location_id: str) -> list[wire.Record]:
        """Households of 6 and 3 admitted, the 3 leaving again, then 1 more: 7 in the end
        (and at no moment before)."""
        staying, passing, last = wire.new_case(), wire.new_case(), wire.new_case()
        return [
            wire.admitted(location_id, 6, case=staying, time="2026-03-02T09:00:00+01:00"),
            wire.admitted(location_id, 3, case=passing, time="2026-03-02T09:10:00+01:00"),
            wire.left(location_id, 3, case=passing, time="2026-03-02T09:20:00+01:00"),
            wire.admitted(location_id, 1, case=last, time="2026-03-02T09:30:00+01:00"),
        ]

    await publish(kafka_bootstrap, CAPACITY_COMMANDS, opening(first))
    await location_reaches(capacity_api, first, status="open")

    # When the same facts arrive for both
    early = facts(later)
    await publish(kafka_bootstrap, PLACEMENT_EVENTS, *facts(first), *early)
    # (the later centre's four wait, the departure behind its own household's admission)
    waiting = await parked_reaches(capacity_api, 4, *map(message_id, early))
    assert {p["stream"] for p in waiting} == {location_stream(later)}
    await publish(kafka_bootstrap, CAPACITY_COMMANDS, opening(later))

    # Then both show the same figures and raised the same over-capacity event, once
    seen = await location_reaches(capacity_api, first, occupied=7)
    assert await location_reaches(capacity_api, later, occupied=7) == {
        **seen,
        "location_id": later,
    }
    assert seen["over_capacity"] is True
    for location_id in (first, later):
        events = await events_counted(kafka_bootstrap, CAPACITY_EVENTS, location_id, "OverCapacity")
        assert [e["type"] for e in events] == ["LocationOpened", "OverCapacity"]
        assert events[1]["data"] == {"location_id": location_id, "capacity": 5, "occupied": 6}
        assert datetime.fromisoformat(events[1]["time"]) == datetime.fromisoformat(
            "2026-03-02T09:00:00+01:00"
        )
    await parked_reaches(capacity_api, 0, *map(message_id, early))
    assert await dead_letters_of(capacity_api, *map(message_id, early)) == []
