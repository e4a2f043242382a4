"""A stay at an HTL lasts at most 3 calendar months from the local date of arrival: placement
raises `StayLimitApproaching` 14 days before the last day and `StayLimitExceeded` from 00:00
Amsterdam on the day after it, each with an alert and with that moment as its time, and
raises nothing for a household that left the HTL before.

The service follows event time (`KETEN_CLOCK=simulated`): its timers fire when the messages it
reads have passed their moment, not at once because the wall clock is later. It reads the
shared topics, so other tests' messages may move its time on sooner; the events asserted here
are the same whenever the timers fire, except where a household must leave first.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from keten.contracts.civil_time import AMSTERDAM
from keten.contracts.topics import (
    ALERTS,
    CAPACITY_EVENTS,
    HOUSING_EVENTS,
    PLACEMENT_COMMANDS,
    PLACEMENT_EVENTS,
    REGISTRATION_EVENTS,
)
from tests.placement.test_placement_flow import locations_known, statuses_become
from tests.placement.wire import (
    asylum_applied,
    decoded,
    events_by_subject,
    housed,
    isolated_spec,
    location_opened,
    read_since,
    record_departure,
    topic_ends,
    transfer_case,
    unique,
)
from tests.support.kafka import eventually, publish_raw
from tests.support.services import running_service

pytestmark = pytest.mark.integration


def local(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime.combine(date(year, month, day), time(hour), tzinfo=AMSTERDAM)


def kinds_and_times(events: list[dict[str, Any]]) -> list[tuple[str, datetime]]:
    return [(e["type"], datetime.fromisoformat(e["time"])) for e in events]


async def at_the_htl(
    api: httpx.AsyncClient, bootstrap: str, cases: list[str], arrival: datetime
) -> tuple[str, str]:
    """Given an application centre and an HTL (opened the day before), these households
    admitted that morning and moved by hand to the HTL at `arrival`; returns both ids."""
    centre, htl, province = unique("ac"), unique("htl"), unique("province")
    day_before = arrival - timedelta(days=1)
    await publish_raw(
        bootstrap,
        CAPACITY_EVENTS,
        [
            location_opened(centre, "application_centre", province, 50, at=day_before),
            location_opened(htl, "htl", province, 50, at=day_before),
        ],
    )
    await locations_known(api, centre, htl)
    morning = arrival.replace(hour=8)
    await publish_raw(
        bootstrap, REGISTRATION_EVENTS, [asylum_applied(c, centre, at=morning) for c in cases]
    )
    await statuses_become(api, dict.fromkeys(cases, "at_application_centre"))
    await publish_raw(
        bootstrap, PLACEMENT_COMMANDS, [transfer_case(c, htl, at=arrival) for c in cases]
    )
    await statuses_become(api, dict.fromkeys(cases, "transferred"))
    return centre, htl


async def time_passes(bootstrap: str, moment: datetime) -> None:
    """The chain's time reaches `moment`: a message of that time that placement reads (the
    opening of a location no household goes to)."""
    elsewhere = unique("ibo")
    await publish_raw(
        bootstrap, CAPACITY_EVENTS, [location_opened(elsewhere, "ibo", unique("p"), 1, at=moment)]
    )


async def current_limit(api: httpx.AsyncClient, case: str) -> str | None:
    stay = (await api.get(f"/cases/{case}/stay")).json()
    limit: str | None = stay["current"]["limit_on"]
    return limit


async def test_a_stay_across_the_change_to_summer_time_is_warned_and_exceeded_at_local_midnight(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    case = unique("case")
    starts = {t: await topic_ends(kafka_bootstrap, t) for t in (PLACEMENT_EVENTS, ALERTS)}
    spec = isolated_spec()
    async with running_service(spec, scratch_database, kafka_bootstrap, clock="simulated") as api:
        # given a household moved to an HTL on 1 March 2027, in winter time
        _, htl = await at_the_htl(api, kafka_bootstrap, [case], local(2027, 3, 1, 10))
        limit = await current_limit(api, case)
        # when the chain's time passes its last day, 1 June, in summer time
        await time_passes(kafka_bootstrap, local(2027, 6, 3, 12))
        events = await events_by_subject(kafka_bootstrap, starts[PLACEMENT_EVENTS], {case: 4})
        alerts = await events_by_subject(kafka_bootstrap, starts[ALERTS], {case: 2})

    # then the stay is shown with its limit, and it was warned of on 18 May and exceeded on
    # 2 June, each at 00:00 Amsterdam summer time
    assert limit == "2027-06-01"
    warned, exceeded = local(2027, 5, 18), local(2027, 6, 2)
    assert warned.utcoffset() == exceeded.utcoffset() != local(2027, 3, 1).utcoffset()
    assert kinds_and_times(events[case])[2:] == [
        ("StayLimitApproaching", warned),
        ("StayLimitExceeded", exceeded),
    ]
    for event in events[case][2:]:
        assert event["data"] == {"case_id": case, "location_id": htl, "due_on": "2027-06-01"}
        assert event["causationid"] == events[case][1]["id"]  # the move to the HTL
    assert [(a["data"]["kind"], a["data"]["due"]) for a in alerts[case]] == [
        ("htl_stay_approaching", "2027-06-01"),
        ("htl_stay_exceeded", "2027-06-01"),
    ]
    assert [datetime.fromisoformat(a["time"]) for a in alerts[case]] == [warned, exceeded]


async def test_a_stay_begun_on_30_november_ends_on_28_february_and_is_exceeded_before_leaving(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    case = unique("case")
    starts = await topic_ends(kafka_bootstrap, PLACEMENT_EVENTS)
    spec = isolated_spec()
    async with running_service(spec, scratch_database, kafka_bootstrap, clock="simulated") as api:
        # given a household moved to an HTL on 30 November 2026
        _, htl = await at_the_htl(api, kafka_bootstrap, [case], local(2026, 11, 30, 15))
        limit = await current_limit(api, case)
        # when its departure on 5 March 2027 is the first message after its limit
        departure = local(2027, 3, 5, 9)
        leaving = record_departure(case, "voluntary", at=departure)
        await publish_raw(kafka_bootstrap, PLACEMENT_COMMANDS, [leaving])
        await statuses_become(api, {case: "left"})
        events = await events_by_subject(kafka_bootstrap, starts, {case: 5})

    # then the limit is clamped to the end of February, and its events come first, each at
    # its own moment, then the departure
    assert limit == "2027-02-28"
    assert kinds_and_times(events[case])[2:] == [
        ("StayLimitApproaching", local(2027, 2, 14)),
        ("StayLimitExceeded", datetime.fromisoformat("2027-03-01T00:00+01:00")),
        ("LeftReception", departure),
    ]
    assert {e["data"].get("due_on") for e in events[case][2:4]} == {"2027-02-28"}
    assert events[case][3]["data"]["location_id"] == htl


async def test_no_limit_is_raised_for_a_household_that_left_the_htl_before(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    left, moved, home, stays = (unique(p) for p in ("left", "moved", "housed", "stays"))
    starts = {t: await topic_ends(kafka_bootstrap, t) for t in (PLACEMENT_EVENTS, ALERTS)}
    spec = isolated_spec()
    async with running_service(spec, scratch_database, kafka_bootstrap, clock="simulated") as api:
        # given four households moved to an HTL on 3 March 2150, and an AZC (far later than
        # other tests' messages: the chain's time must not pass the limit before they leave)
        arrival = local(2150, 3, 3, 10)
        _, htl = await at_the_htl(api, kafka_bootstrap, [left, moved, home, stays], arrival)
        azc = unique("azc")
        opened = location_opened(azc, "azc", unique("p"), 10, at=arrival)
        await publish_raw(kafka_bootstrap, CAPACITY_EVENTS, [opened])
        await locations_known(api, azc)
        # when, a month later, one leaves, one is moved to the AZC and one is housed
        later = local(2150, 4, 3, 10)
        await publish_raw(
            kafka_bootstrap,
            PLACEMENT_COMMANDS,
            [record_departure(left, "forced", at=later), transfer_case(moved, azc, at=later)],
        )
        await publish_raw(kafka_bootstrap, HOUSING_EVENTS, [housed(home, 1, at=later)])
        await statuses_become(api, {left: "left", home: "left"})
        await _moved_to(api, moved, azc)
        # and the chain's time passes the HTL limit of 3 June
        await time_passes(kafka_bootstrap, local(2150, 6, 10, 12))
        # then only the household still at the HTL is warned and exceeded
        counts = {left: 3, moved: 3, home: 3, stays: 4}
        events = await events_by_subject(kafka_bootstrap, starts[PLACEMENT_EVENTS], counts)
        await events_by_subject(kafka_bootstrap, starts[ALERTS], {stays: 2})
        timers = await _timers(scratch_database, [left, moved, home, stays])
    other_alerts = decoded(await read_since(kafka_bootstrap, starts[ALERTS]), {left, moved, home})

    assert [e["type"] for e in events[stays]][2:] == ["StayLimitApproaching", "StayLimitExceeded"]
    assert events[stays][2]["data"]["location_id"] == htl
    assert [e["type"] for e in events[left]][2:] == ["LeftReception"]
    assert [e["type"] for e in events[moved]][2:] == ["TransferredToAZC"]
    assert [e["type"] for e in events[home]][2:] == ["LeftReception"]
    # the others' timers were dropped when they left the HTL: none fired, none is left
    assert timers == {stays: [("htl_stay_approaching", True), ("htl_stay_exceeded", True)]}
    assert other_alerts == []


async def _moved_to(api: httpx.AsyncClient, case: str, location_id: str) -> None:
    async def there() -> bool:
        stay = (await api.get(f"/cases/{case}/stay")).json()
        return bool(stay["current"] and stay["current"]["location_id"] == location_id)

    await eventually(there)


async def _timers(database_url: str, cases: list[str]) -> dict[str, list[tuple[str, bool]]]:
    """Per case, its timers (a fired one is kept, a dropped one is gone): kind, and fired."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT subject, kind, fired_at IS NOT NULL AS fired FROM keten.timers"
            " WHERE subject = ANY($1::text[]) ORDER BY subject, due_at",
            cases,
        )
    finally:
        await conn.close()
    found: dict[str, list[tuple[str, bool]]] = {}
    for row in rows:
        found.setdefault(row["subject"], []).append((row["kind"], row["fired"]))
    return found
