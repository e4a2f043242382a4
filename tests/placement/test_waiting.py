"""Placement reads registration, capacity, housing and its commands from different topics, so a
message can overtake what it needs: an application its centre's opening, a track its
application, a move its target's opening, a departure its household. Such a message waits,
parked, and takes effect in its own event time once placement has learnt what it needed;
no rule is skipped for it (the application centre's province first) and no decision is taken
on less (an emergency location while no location of the wanted type is known yet)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from keten.contracts.topics import (
    CAPACITY_EVENTS,
    PLACEMENT_COMMANDS,
    PLACEMENT_EVENTS,
    REGISTRATION_EVENTS,
)
from keten.placement.streams import case_stream, location_stream, locations_of_type_stream
from tests.placement.test_placement_flow import locations_known, parked_among, statuses_become
from tests.placement.wire import (
    T0,
    asylum_applied,
    events_by_subject,
    isolated_spec,
    location_opened,
    message_id,
    record_departure,
    topic_ends,
    track_assigned,
    transfer_case,
    unique,
)
from tests.support.kafka import publish_raw
from tests.support.services import running_service

pytestmark = pytest.mark.integration

Record = tuple[bytes, bytes]


def waits(parked: dict[str, dict[str, Any]], record: Record) -> tuple[str, str, str]:
    """What a parked message waits for: its type, the fact (told) and the stream."""
    found = parked[message_id(record)]
    return found["message_type"], found["waits_for"], found["stream"]


def time_of(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


async def none_parked(api: httpx.AsyncClient, *records: Record) -> None:
    await parked_among(api, list(records), 0)


async def dead_letters_of(api: httpx.AsyncClient, *records: Record) -> list[dict[str, Any]]:
    ids = {message_id(record) for record in records}
    response = await api.get("/admin/dead-letters")
    response.raise_for_status()
    return [d for d in response.json() if d["message_id"] in ids]


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def times(events: list[dict[str, Any]]) -> list[datetime]:
    return [datetime.fromisoformat(e["time"]) for e in events]


async def test_an_application_before_its_centre_opens_waits_and_keeps_the_province_rule(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    centre, near, far = unique("ac"), unique("azc-near"), unique("azc-far")
    case = unique("case")
    home, elsewhere = unique("province"), unique("province")
    starts = await topic_ends(kafka_bootstrap, PLACEMENT_EVENTS)
    async with running_service(isolated_spec(), scratch_database, kafka_bootstrap) as api:
        # given a small AZC in the centre's province and a big one elsewhere, the centre itself
        # not opened here yet
        await publish_raw(
            kafka_bootstrap,
            CAPACITY_EVENTS,
            [location_opened(near, "azc", home, 5), location_opened(far, "azc", elsewhere, 300)],
        )
        await locations_known(api, near, far)
        # when the household applies there and is given its track
        applied = asylum_applied(case, centre, adults=2, hours=1)
        assigned = track_assigned(case, "general", hours=2)
        await publish_raw(kafka_bootstrap, REGISTRATION_EVENTS, [applied, assigned])
        # then both wait for the centre, the track behind the application
        parked = await parked_among(api, [applied, assigned], 2)
        assert waits(parked, applied) == (
            "AsylumApplied",
            f"application centre {centre}",
            location_stream(centre),
        )
        assert waits(parked, assigned) == (
            "TrackAssigned",
            f"an earlier AsylumApplied of {case}, which waits for application centre {centre}",
            location_stream(centre),
        )
        assert (await api.get(f"/cases/{case}/stay")).status_code == 404
        # when the centre opens
        opening = location_opened(centre, "application_centre", home, 50, hours=3)
        await publish_raw(kafka_bootstrap, CAPACITY_EVENTS, [opening])
        # then the household is admitted and transferred, each at its message's own time,
        # to the AZC in the centre's province although the other has more room
        await statuses_become(api, {case: "transferred"})
        await none_parked(api, applied, assigned)
        dead = await dead_letters_of(api, applied, assigned)

    events = (await events_by_subject(kafka_bootstrap, starts, {case: 2}))[case]
    assert kinds(events) == ["AdmittedToApplicationCentre", "TransferredToAZC"]
    assert times(events) == [time_of(1), time_of(2)]
    moved = events[1]["data"]
    assert (moved["to_location_id"], moved["persons"]) == (near, 2)
    assert "in the application centre's province" in moved["reason"]
    assert dead == []


async def test_a_track_before_its_application_waits_for_the_case(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    centre, azc, case = unique("ac"), unique("azc"), unique("case")
    province = unique("province")
    starts = await topic_ends(kafka_bootstrap, PLACEMENT_EVENTS)
    async with running_service(isolated_spec(), scratch_database, kafka_bootstrap) as api:
        # given a centre and an AZC
        await publish_raw(
            kafka_bootstrap,
            CAPACITY_EVENTS,
            [
                location_opened(centre, "application_centre", province, 10),
                location_opened(azc, "azc", province, 10),
            ],
        )
        await locations_known(api, centre, azc)
        # when a track arrives for a case placement has not seen apply
        assigned = track_assigned(case, "general", hours=2)
        await publish_raw(kafka_bootstrap, REGISTRATION_EVENTS, [assigned])
        # then it waits for the case
        parked = await parked_among(api, [assigned], 1)
        assert waits(parked, assigned) == ("TrackAssigned", f"case {case}", case_stream(case))
        # when the application arrives after it
        applied = asylum_applied(case, centre, hours=1)
        await publish_raw(kafka_bootstrap, REGISTRATION_EVENTS, [applied])
        # then the household is admitted, and then transferred by the waiting track
        await statuses_become(api, {case: "transferred"})
        await none_parked(api, assigned)
        dead = await dead_letters_of(api, assigned, applied)

    events = (await events_by_subject(kafka_bootstrap, starts, {case: 2}))[case]
    assert kinds(events) == ["AdmittedToApplicationCentre", "TransferredToAZC"]
    assert times(events) == [time_of(1), time_of(2)]
    assert events[1]["data"]["to_location_id"] == azc
    assert dead == []


async def test_a_move_to_a_location_not_opened_yet_waits_for_its_opening(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    centre, ibo, case = unique("ac"), unique("ibo"), unique("case")
    province = unique("province")
    starts = await topic_ends(kafka_bootstrap, PLACEMENT_EVENTS)
    async with running_service(isolated_spec(), scratch_database, kafka_bootstrap) as api:
        # given a household at its application centre
        await publish_raw(
            kafka_bootstrap,
            CAPACITY_EVENTS,
            [location_opened(centre, "application_centre", province, 10)],
        )
        await locations_known(api, centre)
        await publish_raw(kafka_bootstrap, REGISTRATION_EVENTS, [asylum_applied(case, centre)])
        await statuses_become(api, {case: "at_application_centre"})
        # when it is moved by hand to an IBO whose opening placement has not read yet
        move = transfer_case(case, ibo, hours=5)
        await publish_raw(kafka_bootstrap, PLACEMENT_COMMANDS, [move])
        # then the move waits for that location
        parked = await parked_among(api, [move], 1)
        assert waits(parked, move) == ("TransferCase", f"location {ibo}", location_stream(ibo))
        # when the IBO opens
        await publish_raw(
            kafka_bootstrap, CAPACITY_EVENTS, [location_opened(ibo, "ibo", province, 4, hours=6)]
        )
        # then the household moves there, at the command's time
        await statuses_become(api, {case: "transferred"})
        stay = (await api.get(f"/cases/{case}/stay")).json()
        dead = await dead_letters_of(api, move)

    assert (stay["current"]["location_id"], stay["current"]["arrival"]) == (
        ibo,
        "transferred_by_hand",
    )
    assert datetime.fromisoformat(stay["current"]["since"]) == time_of(5)
    events = (await events_by_subject(kafka_bootstrap, starts, {case: 2}))[case]
    assert kinds(events) == ["AdmittedToApplicationCentre", "TransferredToAZC"]
    assert (events[1]["data"]["to_location_id"], events[1]["data"]["manual"]) == (ibo, True)
    assert dead == []


async def test_a_departure_of_a_household_not_seen_yet_waits_for_it(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    centre, case, province = unique("ac"), unique("case"), unique("province")
    starts = await topic_ends(kafka_bootstrap, PLACEMENT_EVENTS)
    async with running_service(isolated_spec(), scratch_database, kafka_bootstrap) as api:
        # given a centre
        await publish_raw(
            kafka_bootstrap,
            CAPACITY_EVENTS,
            [location_opened(centre, "application_centre", province, 10)],
        )
        await locations_known(api, centre)
        # when a departure is recorded before placement has read the household's application
        departure = record_departure(case, "voluntary", hours=4)
        await publish_raw(kafka_bootstrap, PLACEMENT_COMMANDS, [departure])
        # then it waits for the case
        parked = await parked_among(api, [departure], 1)
        assert waits(parked, departure) == ("RecordDeparture", f"case {case}", case_stream(case))
        # when the application arrives
        applied = asylum_applied(case, centre, adults=1, minors=2, hours=1)
        await publish_raw(kafka_bootstrap, REGISTRATION_EVENTS, [applied])
        # then the household is admitted, and leaves with the departure's time
        await statuses_become(api, {case: "left"})
        residents = (await api.get(f"/locations/{centre}/residents")).json()
        dead = await dead_letters_of(api, departure)

    events = (await events_by_subject(kafka_bootstrap, starts, {case: 2}))[case]
    assert kinds(events) == ["AdmittedToApplicationCentre", "LeftReception"]
    assert times(events) == [time_of(1), time_of(4)]
    assert (events[1]["data"]["persons"], events[1]["data"]["reason"]) == (3, "voluntary")
    assert residents["total"] == 0
    assert dead == []


async def test_no_location_of_the_wanted_type_known_yet_waits_rather_than_going_elsewhere(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    centre, emergency, azc, fast = unique("ac"), unique("nood"), unique("azc"), unique("fast")
    general, accelerated = unique("case-general"), unique("case-accelerated")
    province = unique("province")
    starts = await topic_ends(kafka_bootstrap, PLACEMENT_EVENTS)
    async with running_service(isolated_spec(), scratch_database, kafka_bootstrap) as api:
        # given a centre and an emergency location with room, and no AZC of either kind known:
        # the capacity ledger has evidently not been read this far
        await publish_raw(
            kafka_bootstrap,
            CAPACITY_EVENTS,
            [
                location_opened(centre, "application_centre", province, 10),
                location_opened(emergency, "emergency", province, 50),
            ],
        )
        await locations_known(api, centre, emergency)
        # when two households are given their tracks, the general one and an accelerated one
        tracks = {
            general: track_assigned(general, "general", hours=2),
            accelerated: track_assigned(accelerated, "safe_country", hours=2),
        }
        applications = [asylum_applied(general, centre), asylum_applied(accelerated, centre)]
        await publish_raw(kafka_bootstrap, REGISTRATION_EVENTS, [*applications, *tracks.values()])
        # then neither goes to the emergency location nor is deferred: each waits for its type
        parked = await parked_among(api, list(tracks.values()), 2)
        assert waits(parked, tracks[general]) == (
            "TrackAssigned",
            "a location of type azc",
            locations_of_type_stream("azc"),
        )
        assert waits(parked, tracks[accelerated]) == (
            "TrackAssigned",
            "a location of type accelerated_azc",
            locations_of_type_stream("accelerated_azc"),
        )
        # when an AZC opens
        opening = location_opened(azc, "azc", province, 10, hours=3)
        await publish_raw(kafka_bootstrap, CAPACITY_EVENTS, [opening])
        # then the general household goes there; the accelerated one waits on
        await statuses_become(api, {general: "transferred", accelerated: "at_application_centre"})
        await parked_among(api, list(tracks.values()), 1)
        # when an accelerated-procedure AZC opens too, without room for anyone
        full = location_opened(fast, "accelerated_azc", province, 0, hours=4)
        await publish_raw(kafka_bootstrap, CAPACITY_EVENTS, [full])
        # then the rule decides on what it knows now: the emergency location
        await statuses_become(api, {accelerated: "transferred"})
        await none_parked(api, *tracks.values())
        dead = await dead_letters_of(api, *tracks.values())

    events = await events_by_subject(kafka_bootstrap, starts, {general: 2, accelerated: 2})
    for case, to in ((general, azc), (accelerated, emergency)):  # neither ever deferred
        assert kinds(events[case]) == ["AdmittedToApplicationCentre", "TransferredToAZC"]
        assert times(events[case]) == [time_of(0), time_of(2)]
        assert events[case][1]["data"]["to_location_id"] == to
    assert dead == []
