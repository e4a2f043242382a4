"""Registration against the real broker and database: raw commands in, events and views out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest

from keten.contracts.topics import (
    ALERTS,
    REGISTRATION_COMMANDS,
    REGISTRATION_EVENTS,
    dead_letter_topic,
)
from keten.kernel.db import create_pool
from keten.kernel.projections import RebuildResult, rebuild
from keten.kernel.sealing import open_personal
from keten.registration.projections.cases import CasesProjection
from tests.registration.raw import (
    Applicant,
    body,
    command,
    isolated_spec,
    open_centre,
    records_for,
    registration_data,
    types_of,
    unique,
)
from tests.support.kafka import eventually, header, publish_raw
from tests.support.keys import dead_letter_key
from tests.support.services import running_service

pytestmark = pytest.mark.integration

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DEAD_LETTERS = dead_letter_topic(REGISTRATION_COMMANDS)


async def test_a_case_is_registered_tracked_and_granted_without_personal_data_on_the_topic(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    # given
    case, applicant = unique("case"), Applicant()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    async with running_service(isolated_spec(), scratch_database, kafka_bootstrap) as api:
        centre = await open_centre(kafka_bootstrap, scratch_database)
        # when
        commands = [
            ("RegisterApplication", registration_data(case, centre, applicant), start),
            ("AssignTrack", {"case_id": case, "track": "general"}, start + timedelta(hours=1)),
            ("RecordDecision", {"case_id": case, "outcome": "granted"}, start + timedelta(hours=2)),
        ]
        await publish_raw(
            kafka_bootstrap,
            REGISTRATION_COMMANDS,
            [command(t, case, data, time=at) for t, data, at in commands],
        )

        async def granted() -> bool:
            response = await api.get(f"/cases/{case}")
            return response.status_code == 200 and response.json()["status"] == "granted"

        await eventually(granted)
        view = (await api.get(f"/cases/{case}")).json()
        as_of = (start + timedelta(minutes=30)).isoformat()
        earlier = (await api.get(f"/cases/{case}", params={"as_of": as_of})).json()
        before_it_all = await api.get(
            f"/cases/{case}", params={"as_of": (start - timedelta(days=1)).isoformat()}
        )
        unknown = await api.get(f"/cases/{unique('case')}")
        openapi = (await api.get("/openapi.json")).json()
        asyncapi = str((await api.get("/asyncapi.json")).json())

    # then the view shows the case, its personal data and its history
    assert view["track"] == "general"
    assert view["accelerated"] is False
    assert view["application_centre_id"] == centre
    assert view["household"] == {"adults": 2, "minors": 1}
    assert view["decision"]["outcome"] == "granted"
    assert view["personal"]["family_name"] == applicant.family_name
    assert view["personal"]["v_number"] == applicant.v_number
    assert [h["event_type"] for h in view["history"]] == [
        "AsylumApplied",
        "PersonalDataRecorded",
        "TrackAssigned",
        "PermitGranted",
    ]
    assert datetime.fromisoformat(view["history"][0]["occurred_at"]) == start
    assert earlier["status"] == "registered"
    assert earlier["track"] is None
    assert before_it_all.status_code == 404
    assert unknown.status_code == 404
    assert "as_of" in str(openapi["paths"]["/cases/{case_id}"])
    assert "CaseView" in openapi["components"]["schemas"]
    assert "ReceptionEntitlementEnded" in asyncapi

    # and the events are published, at the commands' times, without personal data
    async def published() -> bool:
        found = await records_for(kafka_bootstrap, REGISTRATION_EVENTS, {case})
        return len(found) >= 3

    await eventually(published)
    records = await records_for(kafka_bootstrap, REGISTRATION_EVENTS, {case})
    assert types_of(records) == ["AsylumApplied", "TrackAssigned", "PermitGranted"]
    applied = body(records[0])
    assert datetime.fromisoformat(applied["time"]) == start
    assert applied["subject"] == case
    assert applied["data"]["household"] == {"adults": 2, "minors": 1}
    for record in records:
        everything = record.value + b"".join(v for _, v in record.headers)
        assert applicant.family_name.encode() not in everything
        assert applicant.v_number.encode() not in everything


async def test_bad_commands_are_dead_lettered_and_the_good_ones_around_them_take_effect(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    # given
    case, applicant = unique("case"), Applicant()
    invalid_case, unknown_case, elsewhere_case = unique("case"), unique("case"), unique("case")
    malformed_key = unique("malformed")
    async with running_service(isolated_spec(), scratch_database, kafka_bootstrap) as api:
        centre = await open_centre(kafka_bootstrap, scratch_database)
        azc = await open_centre(kafka_bootstrap, scratch_database, "azc")
        first = command("RegisterApplication", case, registration_data(case, centre, applicant))
        bad_personal = {**applicant.personal(), "v_number": "V-" + applicant.v_number}
        invalid = {**registration_data(invalid_case, centre, applicant), "personal": bad_personal}
        other_household = registration_data(case, centre, applicant, adults=1)
        elsewhere = registration_data(elsewhere_case, azc, Applicant())
        final_rejection = {"case_id": case, "outcome": "rejected", "final": True}
        unregistered = command(
            "AssignTrack", unknown_case, {"case_id": unknown_case, "track": "dublin"}
        )
        records = [
            first,
            (malformed_key.encode(), b'{"specversion": "1.0", "id": '),
            command("RegisterApplication", invalid_case, invalid),
            command("RegisterApplication", case, other_household),
            # the same content under another message id: a repeat, no effect
            command("RegisterApplication", case, registration_data(case, centre, applicant)),
            first,  # the very same message again: no effect
            # a case not registered (yet): waits, parked, rather than refused
            unregistered,
            command("RegisterApplication", elsewhere_case, elsewhere),
            command("AssignTrack", case, {"case_id": case, "track": "dublin"}),
            command("RecordDecision", case, {"case_id": case, "outcome": "granted"}),
            command("RecordDecision", case, final_rejection),  # a decided case: refused
        ]
        # when
        await publish_raw(kafka_bootstrap, REGISTRATION_COMMANDS, records)
        keys = {case, invalid_case, unknown_case, elsewhere_case, malformed_key}

        async def all_dead_letters() -> bool:
            dead = await records_for(
                kafka_bootstrap, dead_letter_topic(REGISTRATION_COMMANDS), keys
            )
            return len(dead) >= 5

        await eventually(all_dead_letters)

        async def waiting() -> bool:
            parked = (await api.get("/admin/parked")).json()
            return [(p["subject"], p["waits_for"]) for p in parked] == [
                (unknown_case, f"case {unknown_case}")
            ]

        await eventually(waiting)

        async def granted() -> bool:
            response = await api.get(f"/cases/{case}")
            return response.status_code == 200 and response.json()["status"] == "granted"

        await eventually(granted)
        view = (await api.get(f"/cases/{case}")).json()
        await asyncio.sleep(1.0)  # room for a wrongly doubled event or dead letter to show up

    # then each bad command is dead-lettered at its stage, with a reason naming no person
    dead = await records_for(kafka_bootstrap, DEAD_LETTERS, keys)
    stages = sorted((r.key.decode(), header(r, "error.stage")) for r in dead if r.key)
    assert stages == sorted(
        [
            (malformed_key, "decode"),
            (invalid_case, "validate"),
            (case, "business"),
            (case, "business"),
            (elsewhere_case, "business"),
        ]
    )
    reasons = {header(r, "error.message") for r in dead}
    assert f"case {case} is already registered with other content" in reasons
    assert f"case {case} is already decided" in reasons
    assert f"location {azc} is not an application centre" in reasons
    assert "personal.v_number: string_pattern_mismatch" in reasons
    for record in dead:
        assert header(record, "original.topic") == REGISTRATION_COMMANDS
        headers = b"".join(v for _, v in record.headers)
        for personal in (applicant.family_name, applicant.v_number):
            assert personal.encode() not in headers
            assert personal.encode() not in record.value  # sealed
    # and registration's dead-letter key opens the seal of what was refused
    [refused] = [r for r in dead if r.key == invalid_case.encode()]
    opened = orjson.loads(open_personal(dead_letter_key(), refused.value))
    assert opened["data"]["personal"] == bad_personal
    # and the good commands took effect once each
    assert view["track"] == "dublin"
    assert view["accelerated"] is True
    assert view["household"] == {"adults": 2, "minors": 1}
    published = await records_for(kafka_bootstrap, REGISTRATION_EVENTS, keys)
    assert types_of(published) == ["AsylumApplied", "TrackAssigned", "PermitGranted"]


async def test_a_final_rejection_whose_28_days_have_passed_ends_the_entitlement_once(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    # given a case finally rejected 40 days ago
    case, applicant = unique("case"), Applicant()
    rejected_at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=40)
    due_date = rejected_at.astimezone(AMSTERDAM).date() + timedelta(days=28)
    breached_at = datetime.combine(due_date + timedelta(days=1), datetime.min.time(), AMSTERDAM)
    async with running_service(isolated_spec(), scratch_database, kafka_bootstrap) as api:
        centre = await open_centre(kafka_bootstrap, scratch_database)
        registered = command(
            "RegisterApplication",
            case,
            registration_data(case, centre, applicant),
            time=rejected_at - timedelta(days=30),
        )
        decision = {"case_id": case, "outcome": "rejected", "final": True}
        rejected = command("RecordDecision", case, decision, time=rejected_at)
        # when
        await publish_raw(kafka_bootstrap, REGISTRATION_COMMANDS, [registered, rejected])

        # then the timer, due in the past, fires at once
        async def alerted() -> bool:
            return bool(await records_for(kafka_bootstrap, ALERTS, {case}))

        await eventually(alerted, timeout=20)
        await asyncio.sleep(1.5)  # several timer rounds: none may fire it again
        view = (await api.get(f"/cases/{case}")).json()
        rebuilt = await rebuild_cases(scratch_database)

    alerts = await records_for(kafka_bootstrap, ALERTS, {case})
    events = await records_for(kafka_bootstrap, REGISTRATION_EVENTS, {case})
    assert types_of(events) == ["AsylumApplied", "ApplicationRejected", "ReceptionEntitlementEnded"]
    assert body(events[1])["data"]["entitlement_ends_on"] == due_date.isoformat()
    ended = body(events[2])
    assert ended["data"] == {"case_id": case, "ended_on": due_date.isoformat()}
    assert datetime.fromisoformat(ended["time"]) == breached_at
    assert ended["causationid"] == body(events[1])["id"]
    assert len(alerts) == 1
    alert = body(alerts[0])
    assert alert["type"] == "Alert"
    assert alert["data"]["kind"] == "reception_entitlement_ended"
    assert alert["data"]["subject_id"] == case
    assert alert["data"]["due"] == due_date.isoformat()
    assert datetime.fromisoformat(alert["time"]) == breached_at
    assert applicant.family_name.encode() not in alerts[0].value
    assert view["status"] == "entitlement_ended"
    assert view["entitlement_ends_on"] == due_date.isoformat()
    assert view["entitlement_ended_on"] == due_date.isoformat()
    assert rebuilt.equal  # the view depends on the events alone


async def rebuild_cases(database_url: str) -> RebuildResult:
    pool = await create_pool(database_url)
    try:
        return await rebuild(pool, CasesProjection())
    finally:
        await pool.close()
