"""Registration's 28-day timer on the chain's clock: under the simulated clock the entitlement
of a case finally rejected on 27 March 2026 ends (25 April 00:00 Amsterdam) once another
service of the chain has seen December, although registration itself saw nothing after
27 March.

The other service is housing, reading its commands only: nothing it publishes reaches
registration, which reads registration's commands and capacity's events."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from keten.contracts.topics import (
    CAPACITY_EVENTS,
    HOUSING_COMMANDS,
    REGISTRATION_COMMANDS,
    REGISTRATION_EVENTS,
)
from keten.housing.app import spec as housing_spec
from keten.kernel.chain_clock import clock_time
from keten.kernel.service import ServiceSpec
from tests.registration.raw import (
    Applicant,
    body,
    centre_known,
    cloud_event,
    command,
    isolated_spec,
    records_for,
    registration_data,
    types_of,
    unique,
)
from tests.support.kafka import eventually, fresh_clock_topic, publish_raw, read_to_end
from tests.support.services import running_service

pytestmark = pytest.mark.integration

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CENTRE_OPENED = datetime(2026, 3, 2, 9, 0, tzinfo=AMSTERDAM)
REGISTERED = datetime(2026, 3, 20, 10, 0, tzinfo=AMSTERDAM)
REJECTED = datetime(2026, 3, 27, 14, 0, tzinfo=AMSTERDAM)
ENDS_ON = date(2026, 4, 24)  # 27 March + 28 days
ENDED_AT = datetime(2026, 4, 25, 0, 0, tzinfo=AMSTERDAM)  # 22:00 UTC on the 24th (CEST)
DECEMBER = datetime(2026, 12, 2, 9, 0, tzinfo=AMSTERDAM)


def housing_on_its_commands() -> ServiceSpec:
    """Housing under a name of its own, reading its commands only: what other tests publish
    to the other services' events does not move its time."""
    service = housing_spec()
    return dataclasses.replace(
        service,
        name=unique("housing"),
        subscriptions=[s for s in service.subscriptions if s.name == "commands"],
    )


def centre_opened(centre: str) -> tuple[bytes, bytes]:
    """Capacity's LocationOpened of an application centre, on 2 March 2026."""
    data = {
        "location_id": centre,
        "name": "Ter Apel",
        "type": "application_centre",
        "municipality_code": "GM1950",
        "province": "Groningen",
        "capacity": 2000,
    }
    return centre.encode(), cloud_event("LocationOpened", centre, data, time=CENTRE_OPENED)


async def case_view(api: httpx.AsyncClient, case: str) -> dict[str, object]:
    response = await api.get(f"/cases/{case}")
    assert response.status_code == 200, response.text
    view: dict[str, object] = response.json()
    return view


async def test_the_entitlement_ends_when_the_chain_has_passed_it_though_registration_saw_nothing(
    kafka_bootstrap: str, scratch_database: str, other_scratch_database: str
) -> None:
    # given registration and housing on one chain's clock
    clock_topic = await fresh_clock_topic(kafka_bootstrap)
    registration, housing = isolated_spec(), housing_on_its_commands()
    case, centre = unique("case"), unique("centre")
    async with (
        running_service(
            registration,
            scratch_database,
            kafka_bootstrap,
            clock="simulated",
            clock_topic=clock_topic,
        ) as api,
        running_service(
            housing,
            other_scratch_database,
            kafka_bootstrap,
            clock="simulated",
            clock_topic=clock_topic,
        ),
    ):
        # and a case registered at a known centre, finally rejected on 27 March 2026
        await publish_raw(kafka_bootstrap, CAPACITY_EVENTS, [centre_opened(centre)])

        async def known() -> bool:
            return await centre_known(scratch_database, centre)

        await eventually(known)
        rejection = {"case_id": case, "outcome": "rejected", "final": True}
        await publish_raw(
            kafka_bootstrap,
            REGISTRATION_COMMANDS,
            [
                command(
                    "RegisterApplication",
                    case,
                    registration_data(case, centre, Applicant()),
                    time=REGISTERED,
                ),
                command("RecordDecision", case, rejection, time=REJECTED),
            ],
        )

        async def rejected() -> bool:
            response = await api.get(f"/cases/{case}")
            return response.status_code == 200 and response.json()["status"] == "rejected"

        await eventually(rejected)
        await asyncio.sleep(1.0)  # several timer rounds: the 28 days have not passed yet
        before = await case_view(api, case)

        # when only housing sees a later message: a quota set on 2 December 2026
        quota = {"municipality_code": "GM0106", "period": "2027-H1", "persons": 120}
        await publish_raw(
            kafka_bootstrap,
            HOUSING_COMMANDS,
            [command("SetHousingQuota", "GM0106", quota, time=DECEMBER)],
        )

        # then registration's timer fires on the chain's time, with its own due time
        async def ended() -> bool:
            return (await case_view(api, case))["entitlement_ended_on"] is not None

        await eventually(ended, timeout=30)
        after = await case_view(api, case)

    assert before["status"] == "rejected"
    assert before["entitlement_ended_on"] is None
    assert after["status"] == "entitlement_ended"
    assert after["entitlement_ended_on"] == ENDS_ON.isoformat()

    async def published() -> bool:
        return len(await records_for(kafka_bootstrap, REGISTRATION_EVENTS, {case})) >= 3

    await eventually(published)
    events = await records_for(kafka_bootstrap, REGISTRATION_EVENTS, {case})
    assert types_of(events) == ["AsylumApplied", "ApplicationRejected", "ReceptionEntitlementEnded"]
    ended_event = body(events[2])
    assert ended_event["data"] == {"case_id": case, "ended_on": ENDS_ON.isoformat()}
    assert datetime.fromisoformat(ended_event["time"]) == ENDED_AT

    # and each service told the chain the newest time it saw itself: registration the
    # rejection (a later time would mean it saw another test's message and proves nothing),
    # housing December
    told = {
        (r.key or b"").decode(): clock_time(r.value)
        for r in await read_to_end(kafka_bootstrap, clock_topic)
    }
    assert told == {registration.name: REJECTED, housing.name: DECEMBER}
