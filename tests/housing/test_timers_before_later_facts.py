"""Timers before later facts: a household housed after its 14 weeks ran out gets its
`HousingDeadlineMissed` (with the moment of the breach), then its `Housed`, even when the
housing report is what first tells the service that time has passed."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

import pytest

from keten.contracts.civil_time import AMSTERDAM
from keten.contracts.topics import HOUSING_COMMANDS, HOUSING_EVENTS, REGISTRATION_EVENTS
from keten.housing.app import spec
from tests.housing.support import of_type, permit_granted, publish, published, record_housing
from tests.support.kafka import eventually
from tests.support.services import running_service

pytestmark = pytest.mark.integration


def local(month: int, day: int, hour: int = 10) -> datetime:
    return datetime.combine(date(2026, month, day), time(hour), tzinfo=AMSTERDAM)


async def test_a_household_housed_after_its_deadline_is_missed_first_then_housed(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    # given a household paired on 12 February (due 21 May), under event time
    case = f"late-{uuid.uuid4().hex[:8]}"
    async with running_service(spec(), scratch_database, kafka_bootstrap, clock="simulated"):
        await publish(
            kafka_bootstrap,
            REGISTRATION_EVENTS,
            permit_granted(case, 1, 0, local(2, 12), ["GM0518"]),
        )

        async def paired() -> bool:
            events = await published(kafka_bootstrap, HOUSING_EVENTS, [case])
            return bool(of_type(events, "PairedWithMunicipality"))

        await eventually(paired)
        # when it is reported housed on 30 May, the first message after the deadline
        housed = record_housing(case, "GM0518", "regular", local(5, 30))
        await publish(kafka_bootstrap, HOUSING_COMMANDS, housed)

        async def reported() -> bool:
            events = await published(kafka_bootstrap, HOUSING_EVENTS, [case])
            return bool(of_type(events, "Housed"))

        await eventually(reported)
        events = await published(kafka_bootstrap, HOUSING_EVENTS, [case])
    # then the deadline's events came first, each at its own moment, then the housing
    assert [(e["type"], e["time"]) for e in events] == [
        ("PairedWithMunicipality", "2026-02-12T09:00:00Z"),
        ("HousingDeadlineApproaching", "2026-05-06T22:00:00Z"),
        ("HousingDeadlineMissed", "2026-05-21T22:00:00Z"),
        ("Housed", "2026-05-30T08:00:00Z"),
    ]
