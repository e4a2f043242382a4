"""The 14-week deadline watched in real time by durable timers: raised once at the moment of
the rule, across a restart, and visible in the pairings' statuses."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from keten.contracts.civil_time import AMSTERDAM, civil_date, start_of_day
from keten.contracts.topics import (
    ALERTS,
    HOUSING_COMMANDS,
    HOUSING_EVENTS,
    REGISTRATION_EVENTS,
)
from keten.housing.app import spec
from keten.kernel.clock import WallClock
from tests.housing.support import (
    of_type,
    pair_case,
    permit_granted,
    publish,
    published,
    record_housing,
)
from tests.support.kafka import eventually
from tests.support.services import running_service

pytestmark = pytest.mark.integration


def at_ten(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=AMSTERDAM)


class ShiftedClock(WallClock):
    """Real time, shifted by a fixed offset: its seconds pass as the wall clock's do, so a
    deadline at a chosen local midnight can be reached within seconds of the test."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def test_a_deadline_that_passes_while_the_service_is_stopped_is_raised_once_on_return(
    kafka_bootstrap: str, scratch_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a clock that reaches the local midnight of 1 March 2041 in 8 seconds
    breached_on = date(2041, 3, 1)
    breach = start_of_day(breached_on)
    clock = ShiftedClock(breach - timedelta(seconds=8) - datetime.now(UTC))
    monkeypatch.setattr("keten.kernel.service.make_clock", lambda _settings: clock)
    case = f"rt-{uuid.uuid4().hex[:10]}"
    # and a household with a tie granted a permit 99 days before: due 28 February, breached
    # 1 March
    granted_on = breached_on - timedelta(days=99)
    permit = permit_granted(case, 2, 3, at_ten(granted_on), ["GM0518"])
    async with running_service(spec(), scratch_database, kafka_bootstrap):
        await publish(kafka_bootstrap, REGISTRATION_EVENTS, permit)

        async def paired_and_warned() -> bool:
            events = await published(kafka_bootstrap, HOUSING_EVENTS, [case])
            return bool(of_type(events, "HousingDeadlineApproaching"))

        await eventually(paired_and_warned)
        assert clock.now() < breach - timedelta(seconds=1), "the service started too slowly"
    # when the service is stopped while the breach moment passes
    await asyncio.sleep(max(0.0, (breach - clock.now()).total_seconds()) + 0.5)
    before_return = of_type(
        await published(kafka_bootstrap, HOUSING_EVENTS, [case]), "HousingDeadlineMissed"
    )
    # and it starts again on the same database
    async with running_service(spec(), scratch_database, kafka_bootstrap) as api:

        async def missed() -> bool:
            events = await published(kafka_bootstrap, HOUSING_EVENTS, [case])
            return bool(of_type(events, "HousingDeadlineMissed"))

        await eventually(missed)
        await asyncio.sleep(1.5)  # time for a second one, were there one
        overdue = (await api.get("/pairings", params={"status": "overdue"})).json()
    # then the breach was raised exactly once, at the breach moment, with one alert
    events = await published(kafka_bootstrap, HOUSING_EVENTS, [case])
    alerts = await published(kafka_bootstrap, ALERTS, [case])
    assert before_return == []
    assert [e["type"] for e in events] == [
        "PairedWithMunicipality",
        "HousingDeadlineApproaching",
        "HousingDeadlineMissed",
    ]
    (missed_event,) = of_type(events, "HousingDeadlineMissed")
    assert datetime.fromisoformat(missed_event["time"]) == breach
    assert missed_event["data"]["due_on"] == "2041-02-28"
    assert missed_event["causationid"] == events[0]["id"]
    assert sorted(a["data"]["kind"] for a in alerts) == [
        "housing_deadline_approaching",
        "housing_deadline_missed",
    ]
    assert [p["case_id"] for p in overdue["pairings"] if p["case_id"] == case] == [case]


async def test_statuses_follow_the_deadline_events_and_a_housed_household_raises_none(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    run = uuid.uuid4().hex[:8]
    today = civil_date(datetime.now(UTC))
    # given households granted a permit 110, 90, 20 and 10 days ago
    overdue, approaching, housed, repaired = (f"st-{run}-{n}" for n in ("o", "a", "h", "r"))
    permits = {overdue: 110, approaching: 90, housed: 20, repaired: 10}
    async with running_service(spec(), scratch_database, kafka_bootstrap) as api:
        await publish(
            kafka_bootstrap,
            REGISTRATION_EVENTS,
            *(
                permit_granted(case, 1, 1, at_ten(today - timedelta(days=days)), ["GM0518"])
                for case, days in permits.items()
            ),
        )

        async def all_paired() -> bool:
            events = await published(kafka_bootstrap, HOUSING_EVENTS, permits)
            return len(of_type(events, "PairedWithMunicipality")) == len(permits)

        await eventually(all_paired)
        # when one is housed and one is paired again by hand
        now = datetime.now(UTC)
        await publish(
            kafka_bootstrap,
            HOUSING_COMMANDS,
            record_housing(housed, "GM0518", "regular", now),
            pair_case(repaired, "GM0599", now),
        )

        async def statuses() -> dict[str, dict[str, Any]]:
            found = (await api.get("/pairings")).json()["pairings"]
            return {p["case_id"]: p for p in found if p["case_id"] in permits}

        async def settled() -> bool:
            found = await statuses()
            wanted = {overdue: "overdue", approaching: "approaching", housed: "housed"}
            return (
                all(found.get(case, {}).get("status") == status for case, status in wanted.items())
                and found.get(repaired, {}).get("pairing_number") == 2
            )

        await eventually(settled)
        found = await statuses()
    events = await published(kafka_bootstrap, HOUSING_EVENTS, permits)
    # then each rule was raised once, only for the households it concerns
    raised = sorted(
        (e["subject"], e["type"]) for e in events if e["type"].startswith("HousingDeadline")
    )
    assert raised == [
        (approaching, "HousingDeadlineApproaching"),
        (overdue, "HousingDeadlineApproaching"),
        (overdue, "HousingDeadlineMissed"),
    ]
    # and the pairings show it, a hard tie deciding and the manual pairing replacing
    assert found[repaired]["status"] == "open"
    assert (found[repaired]["municipality_code"], found[repaired]["rule"]) == ("GM0599", "manual")
    assert found[overdue]["rule"] == "hard_tie"
    assert found[housed]["housed_on"] == civil_date(now).isoformat()
