"""Placement against the real broker and database: raw CloudEvents in, events and figures out."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import TopicPartition

from keten.contracts.topics import (
    ALERTS,
    CAPACITY_EVENTS,
    HOUSING_EVENTS,
    PLACEMENT_COMMANDS,
    PLACEMENT_EVENTS,
    REGISTRATION_EVENTS,
)
from keten.kernel.db import create_pool
from keten.kernel.projections import rebuild
from keten.placement.projections.residents import ResidentsProjection
from keten.placement.projections.stays import StaysProjection
from keten.placement.streams import case_stream
from tests.placement.wire import (
    T0,
    asylum_applied,
    decoded,
    housed,
    isolated_spec,
    location_opened,
    message_id,
    read_since,
    record_departure,
    topic_ends,
    track_assigned,
    transfer_case,
    unique,
)
from tests.support.kafka import eventually, publish_raw
from tests.support.services import running_service

pytestmark = pytest.mark.integration

# When household a leaves the HTL it moved to at T0 + 24 h: after the HTL's 3 months
# (due 3 June 2026), and yet in the past of the wall clock this test follows.
LEAVES = 100 * 24


async def stay_status(api: httpx.AsyncClient, case_id: str) -> str | None:
    response = await api.get(f"/cases/{case_id}/stay")
    return response.json()["status"] if response.status_code == 200 else None


async def statuses_become(api: httpx.AsyncClient, wanted: dict[str, str]) -> None:
    async def reached() -> bool:
        return all([await stay_status(api, case) == status for case, status in wanted.items()])

    await eventually(reached)


async def locations_known(api: httpx.AsyncClient, *location_ids: str) -> None:
    async def known() -> bool:
        codes = [(await api.get(f"/locations/{i}/residents")).status_code for i in location_ids]
        return codes == [200] * len(location_ids)

    await eventually(known)


async def parked_among(
    api: httpx.AsyncClient, records: list[tuple[bytes, bytes]], count: int
) -> dict[str, dict[str, Any]]:
    """Once `count` of these records are parked, what each waits for, by message id (other
    tests' messages may be parked here too)."""
    ids = {message_id(record) for record in records}
    found: dict[str, dict[str, Any]] = {}

    async def reached() -> bool:
        response = await api.get("/admin/parked")
        response.raise_for_status()
        found.clear()
        found.update({p["message_id"]: p for p in response.json() if p["message_id"] in ids})
        return len(found) == count

    await eventually(reached)
    return found


async def published(
    bootstrap: str, starts: dict[TopicPartition, int], counts: dict[str, int]
) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Per subject, the (type, data) of the events published since `starts`, once `counts` of
    them are there."""
    found: dict[str, list[tuple[str, dict[str, Any]]]] = {}

    async def complete() -> bool:
        found.clear()
        for event in decoded(await read_since(bootstrap, starts), set(counts)):
            found.setdefault(event["subject"], []).append((event["type"], event["data"]))
        return {subject: len(events) for subject, events in found.items()} == counts

    await eventually(complete, interval=0.5)
    return found


async def test_households_are_admitted_transferred_moved_and_leave_with_rebuildable_views(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    names = ("ac", "azc-near", "azc-far", "htl", "fast", "fast-full")
    centre, near, far, htl, fast, fast_full = (unique(p) for p in names)
    a, b, c = unique("case-a"), unique("case-b"), unique("case-c")
    home, elsewhere = unique("province"), unique("province")  # none but this test's locations
    starts = {t: await topic_ends(kafka_bootstrap, t) for t in (PLACEMENT_EVENTS, ALERTS)}
    async with running_service(isolated_spec(), scratch_database, kafka_bootstrap) as api:
        # given an application centre, a small AZC in its province, a big one far away, an HTL,
        # and an accelerated AZC without places
        await publish_raw(
            kafka_bootstrap,
            CAPACITY_EVENTS,
            [
                location_opened(centre, "application_centre", home, 50),
                location_opened(near, "azc", home, 10),
                location_opened(far, "azc", elsewhere, 300),
                location_opened(htl, "htl", home, 50),
                location_opened(fast_full, "accelerated_azc", home, 0),
            ],
        )
        await locations_known(api, centre, near, far, htl, fast_full)
        # when three households apply; b is in the accelerated group, with no such place
        await publish_raw(
            kafka_bootstrap,
            REGISTRATION_EVENTS,
            [
                asylum_applied(a, centre, adults=2, minors=1),
                track_assigned(a, "general"),
                asylum_applied(b, centre, adults=2, minors=2),
                track_assigned(b, "dublin"),
                asylum_applied(c, centre),
                track_assigned(c, "general"),
            ],
        )
        await statuses_become(api, {a: "transferred", b: "awaiting_transfer", c: "transferred"})
        # and then an accelerated AZC opens, a is moved by hand to the HTL and leaves after its
        # 3 months there, c is housed
        opening = location_opened(fast, "accelerated_azc", elsewhere, 20, hours=2)
        await publish_raw(kafka_bootstrap, CAPACITY_EVENTS, [opening])
        await publish_raw(
            kafka_bootstrap,
            PLACEMENT_COMMANDS,
            [transfer_case(a, htl, hours=24), record_departure(a, "voluntary", hours=LEAVES)],
        )
        await publish_raw(kafka_bootstrap, HOUSING_EVENTS, [housed(c, 1, hours=30)])
        await statuses_become(api, {a: "left", b: "transferred", c: "left"})

        # then the figures over HTTP
        a_stay = (await api.get(f"/cases/{a}/stay")).json()
        a_then = (await api.get(f"/cases/{a}/stay", params={"as_of": at(30)})).json()
        b_stay = (await api.get(f"/cases/{b}/stay")).json()
        residents = {
            i: (await api.get(f"/locations/{i}/residents")).json()
            for i in (centre, near, htl, fast)
        }
        missing = [
            (await api.get(path)).status_code
            for path in (f"/cases/{unique('nobody')}/stay", f"/locations/{unique('x')}/residents")
        ]

    assert [
        (s["location_id"], s["move_count"], s["ended_by"], s["limit_on"]) for s in a_stay["stays"]
    ] == [
        (centre, 0, "transferred", None),
        (near, 1, "transferred", None),
        (htl, 2, "voluntary", "2026-06-03"),  # arrived 3 March: 3 calendar months
    ]
    assert (a_stay["persons"], a_stay["move_count"], a_stay["current"]) == (3, 2, None)
    assert (a_then["status"], a_then["current"]["location_id"]) == ("transferred", htl)
    assert {i: r["total"] for i, r in residents.items()} == {centre: 0, near: 0, htl: 0, fast: 4}
    assert residents[fast]["residents"][0]["case_id"] == b
    assert missing == [404, 404]

    # (the relay publishes after the views are updated: wait for it)
    events = await published(kafka_bootstrap, starts[PLACEMENT_EVENTS], {a: 6, b: 3, c: 3})
    # (the HTL stay's limit events come before the departure, whichever clock fired them)
    assert [t for t, _ in events[a]] == [
        "AdmittedToApplicationCentre",
        "TransferredToAZC",
        "TransferredToAZC",
        "StayLimitApproaching",
        "StayLimitExceeded",
        "LeftReception",
    ]
    assert {d["due_on"] for t, d in events[a] if t.startswith("StayLimit")} == {"2026-06-03"}
    moves = [
        (d["to_location_id"], d["manual"], d["move_count"])
        for t, d in events[a]
        if t == "TransferredToAZC"
    ]
    assert moves == [(near, False, 1), (htl, True, 2)]
    departure = events[a][-1][1]
    assert (departure["location_id"], departure["persons"], departure["reason"]) == (
        htl,
        3,
        "voluntary",
    )
    assert [t for t, _ in events[b]] == [
        "AdmittedToApplicationCentre",
        "TransferDeferred",
        "TransferredToAZC",
    ]
    b_moved = events[b][-1][1]
    assert (b_moved["to_location_id"], b_moved["persons"], b_moved["move_count"]) == (fast, 4, 1)
    # the retry happened when the new places came: it carries the opening's time
    assert datetime.fromisoformat(b_stay["current"]["since"]) == T0 + timedelta(hours=2)
    assert [(t, d.get("reason")) for t, d in events[c]][-1] == ("LeftReception", "housed")

    alerts = await published(kafka_bootstrap, starts[ALERTS], {a: 2, b: 1})
    assert [(d["kind"], d["subject_id"]) for _, d in alerts[b]] == [("no_capacity", b)]
    assert [d["kind"] for _, d in alerts[a]] == ["htl_stay_approaching", "htl_stay_exceeded"]

    pool = await create_pool(scratch_database)
    try:
        rebuilt = [await rebuild(pool, p) for p in (StaysProjection(), ResidentsProjection())]
    finally:
        await pool.close()
    assert [(r.projection, r.equal) for r in rebuilt] == [("stays", True), ("residents", True)]


def at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat()


async def test_a_household_housed_before_its_application_arrived_takes_no_places(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    """The two topics are read by separate consumers: under a backlog, housing's `Housed` can
    overtake registration's `AsylumApplied` for the same case."""
    centre, home = unique("ac"), unique("province")
    early, other = unique("case-early"), unique("case-other")
    async with running_service(isolated_spec(), scratch_database, kafka_bootstrap) as api:
        await publish_raw(
            kafka_bootstrap,
            CAPACITY_EVENTS,
            [location_opened(centre, "application_centre", home, 50)],
        )
        await locations_known(api, centre)
        await publish_raw(kafka_bootstrap, HOUSING_EVENTS, [housed(early, 3, hours=1)])
        conn = await asyncpg.connect(scratch_database)
        try:
            await eventually(lambda: _housed_kept(conn, early))
        finally:
            await conn.close()
        await publish_raw(
            kafka_bootstrap,
            REGISTRATION_EVENTS,
            [asylum_applied(early, centre, adults=2, minors=1), asylum_applied(other, centre)],
        )
        await statuses_become(api, {other: "at_application_centre"})
        early_stay = await api.get(f"/cases/{early}/stay")
        residents = (await api.get(f"/locations/{centre}/residents")).json()

    assert early_stay.status_code == 404
    assert [(r["case_id"], residents["total"]) for r in residents["residents"]] == [(other, 1)]


async def _housed_kept(conn: asyncpg.Connection, case_id: str) -> bool:
    found = await conn.fetchval(
        "SELECT count(*) FROM keten.events WHERE stream_id = $1 AND event_type = 'Housed'",
        case_stream(case_id),
    )
    return bool(found)
