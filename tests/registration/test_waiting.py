"""Outside systems publish to different topics, so a command can overtake what it needs: an
application its centre's opening, a track its application. Such a command waits, parked, and
takes effect in its own event time once registration has learnt what it needed; it is
dead-lettered only after waiting longer than the service's limit."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from keten.contracts.topics import (
    CAPACITY_EVENTS,
    REGISTRATION_COMMANDS,
    REGISTRATION_EVENTS,
    dead_letter_topic,
)
from keten.registration.streams import case_stream, centre_stream
from tests.registration.raw import (
    Applicant,
    Record,
    body,
    cloud_event,
    isolated_spec,
    location_opened,
    open_centre,
    records_for,
    registration_data,
    unique,
)
from tests.support.kafka import eventually, header, publish_raw
from tests.support.services import running_service

pytestmark = pytest.mark.integration

DEAD_LETTERS = dead_letter_topic(REGISTRATION_COMMANDS)


class Sent:
    """A command as an outside system publishes it, with the message id it can be found by."""

    def __init__(self, type_name: str, case_id: str, data: dict[str, Any], at: datetime) -> None:
        self.message_id = str(uuid.uuid4())
        self.time = at
        self.record = (
            case_id.encode(),
            cloud_event(type_name, case_id, data, time=at, message_id=self.message_id),
        )


def an_hour_ago() -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


async def send(kafka_bootstrap: str, *commands: Sent) -> None:
    await publish_raw(kafka_bootstrap, REGISTRATION_COMMANDS, [c.record for c in commands])


async def open_location(kafka_bootstrap: str, location_id: str) -> None:
    opened = location_opened(location_id)
    await publish_raw(kafka_bootstrap, CAPACITY_EVENTS, [(location_id.encode(), opened)])


async def parked(api: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """What waits, by message id."""
    response = await api.get("/admin/parked")
    response.raise_for_status()
    return {p["message_id"]: p for p in response.json()}


async def parked_are(api: httpx.AsyncClient, *commands: Sent) -> dict[str, dict[str, Any]]:
    """Waits until exactly these commands are parked; returns what each waits for."""
    found: dict[str, dict[str, Any]] = {}

    async def reached() -> bool:
        found.clear()
        found.update(await parked(api))
        return set(found) == {c.message_id for c in commands}

    await eventually(reached)
    return found


async def case_events(kafka_bootstrap: str, case_id: str, count: int) -> list[Record]:
    """The case's published events, once there are at least `count`."""
    found: list[Record] = []

    async def published() -> bool:
        found[:] = await records_for(kafka_bootstrap, REGISTRATION_EVENTS, {case_id})
        return len(found) >= count

    await eventually(published)
    return found


def moments(records: list[Record]) -> list[tuple[str, datetime]]:
    return [(body(r)["type"], datetime.fromisoformat(body(r)["time"])) for r in records]


async def dead_letters(api: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await api.get("/admin/dead-letters")
    response.raise_for_status()
    letters: list[dict[str, Any]] = response.json()
    return letters


async def test_an_application_before_its_centre_waits_and_takes_effect_at_its_own_time(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    # Given a centre that capacity has not opened yet (as far as registration has read)
    case, centre, start = unique("case"), unique("centre"), an_hour_ago()
    application = Sent(
        "RegisterApplication", case, registration_data(case, centre, Applicant()), start
    )
    track = Sent(
        "AssignTrack", case, {"case_id": case, "track": "dublin"}, start + timedelta(minutes=10)
    )
    async with running_service(isolated_spec(), scratch_database, kafka_bootstrap) as api:
        # When the application and then its track arrive
        await send(kafka_bootstrap, application, track)

        # Then the application waits for its centre, and the track waits behind it
        waiting = await parked_are(api, application, track)
        first, behind = waiting[application.message_id], waiting[track.message_id]
        assert (first["message_type"], first["subject"]) == ("RegisterApplication", case)
        assert first["waits_for"] == f"application centre {centre}"
        assert first["stream"] == centre_stream(centre)
        assert behind["waits_for"].startswith(f"an earlier RegisterApplication of {case}")
        assert (await api.get(f"/cases/{case}")).status_code == 404

        # When capacity's opening of the centre is read
        await open_location(kafka_bootstrap, centre)

        # Then both take effect, in order, each at its own time, and nothing waits any more
        events = await case_events(kafka_bootstrap, case, 2)
        await parked_are(api)
        await asyncio.sleep(1.0)  # room for a doubled event or a dead letter to show up
        view = (await api.get(f"/cases/{case}")).json()
        letters = await dead_letters(api)

    assert moments(await records_for(kafka_bootstrap, REGISTRATION_EVENTS, {case})) == [
        ("AsylumApplied", application.time),
        ("TrackAssigned", track.time),
    ]
    assert body(events[0])["causationid"] == application.message_id
    assert view["status"] == "track_assigned"
    assert datetime.fromisoformat(view["registered_at"]) == application.time
    # and nothing was dead-lettered for the wait
    assert letters == []
    assert await records_for(kafka_bootstrap, DEAD_LETTERS, {case}) == []


async def test_a_track_before_its_application_waits_for_the_case_and_follows_it(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    # Given a known application centre
    case, start = unique("case"), an_hour_ago()
    async with running_service(isolated_spec(), scratch_database, kafka_bootstrap) as api:
        centre = await open_centre(kafka_bootstrap, scratch_database)
        application = Sent(
            "RegisterApplication", case, registration_data(case, centre, Applicant()), start
        )
        track = Sent(
            "AssignTrack", case, {"case_id": case, "track": "general"}, start + timedelta(hours=1)
        )

        # When the track overtakes the application
        await send(kafka_bootstrap, track)

        # Then it waits for the case
        waiting = await parked_are(api, track)
        assert waiting[track.message_id]["waits_for"] == f"case {case}"
        assert waiting[track.message_id]["stream"] == case_stream(case)

        # When the application arrives
        await send(kafka_bootstrap, application)

        # Then the case is registered, and the track follows at its own time
        await case_events(kafka_bootstrap, case, 2)
        await parked_are(api)
        await asyncio.sleep(1.0)
        view = (await api.get(f"/cases/{case}")).json()
        letters = await dead_letters(api)

    assert moments(await records_for(kafka_bootstrap, REGISTRATION_EVENTS, {case})) == [
        ("AsylumApplied", application.time),
        ("TrackAssigned", track.time),
    ]
    assert (view["status"], view["track"]) == ("track_assigned", "general")
    assert letters == []


async def test_a_command_that_waits_longer_than_the_limit_is_dead_lettered_with_what_it_waited_for(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    # Given a service that lets a command wait 2 seconds, and a centre that never opens
    case, centre = unique("case"), unique("centre")
    application = Sent(
        "RegisterApplication", case, registration_data(case, centre, Applicant()), an_hour_ago()
    )
    spec = isolated_spec()
    async with running_service(
        spec, scratch_database, kafka_bootstrap, parking_max_wait=timedelta(seconds=2)
    ) as api:
        # When the application arrives
        await send(kafka_bootstrap, application)

        # Then, its time up, it is dead-lettered and waits no more
        async def given_up() -> bool:
            return bool(await records_for(kafka_bootstrap, DEAD_LETTERS, {case}))

        await eventually(given_up, timeout=20)
        still_waiting = await parked(api)
        view = await api.get(f"/cases/{case}")

    [letter] = await records_for(kafka_bootstrap, DEAD_LETTERS, {case})
    assert header(letter, "error.message").startswith("waited for application centre")
    assert header(letter, "error.message") == f"waited for application centre {centre}"
    assert header(letter, "error.stage") == "business"
    assert header(letter, "original.topic") == REGISTRATION_COMMANDS
    assert application.message_id not in still_waiting
    assert view.status_code == 404
    assert await records_for(kafka_bootstrap, REGISTRATION_EVENTS, {case}) == []


async def test_a_parked_command_delivered_again_takes_effect_once(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    # Given an application parked for its centre
    case, centre = unique("case"), unique("centre")
    application = Sent(
        "RegisterApplication", case, registration_data(case, centre, Applicant()), an_hour_ago()
    )
    async with running_service(isolated_spec(), scratch_database, kafka_bootstrap) as api:
        await send(kafka_bootstrap, application)
        await parked_are(api, application)

        # When the very same message is delivered again while it waits
        await send(kafka_bootstrap, application, application)
        await asyncio.sleep(1.0)
        waiting = await parked_are(api, application)

        # and the centre opens, and the message is delivered once more after it took effect
        await open_location(kafka_bootstrap, centre)
        await case_events(kafka_bootstrap, case, 1)
        await send(kafka_bootstrap, application)
        await asyncio.sleep(1.5)  # room for a second effect to show up
        history = (await api.get(f"/cases/{case}")).json()["history"]
        still_waiting = await parked(api)
        letters = await dead_letters(api)

    # Then it waited once and took effect once
    assert waiting[application.message_id]["runs"] == 0
    events = await records_for(kafka_bootstrap, REGISTRATION_EVENTS, {case})
    assert moments(events) == [("AsylumApplied", application.time)]
    assert [h["event_type"] for h in history] == ["AsylumApplied", "PersonalDataRecorded"]
    assert still_waiting == {}
    assert letters == []
