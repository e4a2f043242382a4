"""Outside systems publish to different topics, so a message can overtake what housing needs
to decide on it: a permit its household's stay, a housing report its permit, a quota transfer
the quota it draws on. Such a message waits, parked (and listed on /admin/parked), and takes
effect in its own event time once housing has recorded what it needed; housing never decides
on less (no national pairing because the stay is not known yet)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, time
from typing import Any

import httpx
import orjson
import pytest

from keten.contracts.civil_time import AMSTERDAM
from keten.contracts.topics import (
    CAPACITY_EVENTS,
    HOUSING_COMMANDS,
    HOUSING_EVENTS,
    PLACEMENT_EVENTS,
    REGISTRATION_EVENTS,
)
from keten.housing.app import spec
from tests.housing.support import (
    Record,
    admitted,
    location_opened,
    of_type,
    permit_granted,
    publish,
    published,
    record_housing,
    set_quota,
    stored_count,
    transfer_quota,
    transferred,
)
from tests.support.kafka import eventually
from tests.support.services import running_service

pytestmark = pytest.mark.integration

SITTARD, AMSTERDAM_CODE, THE_HAGUE, ROTTERDAM = "GM1883", "GM0363", "GM0518", "GM0599"
PERIOD = "2042-H1"


def local(month: int, day: int, hour: int = 10) -> datetime:
    return datetime.combine(date(2042, month, day), time(hour), tzinfo=AMSTERDAM)


def message_id(record: Record) -> str:
    found: str = orjson.loads(record[1])["id"]
    return found


async def parked(api: httpx.AsyncClient, *records: Record) -> dict[str, dict[str, Any]]:
    """Which of `records` wait, by message id, with what each waits for."""
    response = await api.get("/admin/parked")
    response.raise_for_status()
    ours = {message_id(record) for record in records}
    return {p["message_id"]: p for p in response.json() if p["message_id"] in ours}


async def parked_until_seen(api: httpx.AsyncClient, record: Record) -> dict[str, Any]:
    """What `record` waits for, once it is parked."""
    found: dict[str, dict[str, Any]] = {}

    async def waiting() -> bool:
        found.update(await parked(api, record))
        return bool(found)

    await eventually(waiting)
    return found[message_id(record)]


async def housing_events(kafka: str, case: str, count: int) -> list[dict[str, Any]]:
    """The case's events on housing.events, once there are at least `count`."""
    found: list[dict[str, Any]] = []

    async def enough() -> bool:
        found[:] = await published(kafka, HOUSING_EVENTS, [case])
        return len(found) >= count

    await eventually(enough)
    return found


async def given_quotas_and_an_azc_in_sittard(
    api: httpx.AsyncClient, kafka: str, database: str, location: str
) -> None:
    """Room in Sittard-Geleen (Limburg, region south), more room nationally in Amsterdam."""
    await publish(
        kafka,
        HOUSING_COMMANDS,
        set_quota(SITTARD, PERIOD, 5, local(1, 1)),
        set_quota(AMSTERDAM_CODE, PERIOD, 50, local(1, 1)),
    )
    opened = location_opened(location, SITTARD, "Limburg", local(1, 1))
    await publish(kafka, CAPACITY_EVENTS, opened)

    async def known() -> bool:
        quota = (await api.get("/quota", params={"period": PERIOD})).json()
        located = await stored_count(database, [f"location-{location}"])
        return quota["total"]["quota"] == 55 and located == 1

    await eventually(known)


async def test_a_permit_before_the_stay_waits_and_is_paired_in_the_region_of_the_stay(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    run = uuid.uuid4().hex[:8]
    case, centre, azc = f"wait-{run}", f"ac-{run}", f"azc-{run}"
    async with running_service(spec(), scratch_database, kafka_bootstrap, clock="simulated") as api:
        await given_quotas_and_an_azc_in_sittard(api, kafka_bootstrap, scratch_database, azc)
        # when the permit arrives before housing has read where the household stays
        permit = permit_granted(case, 2, 1, local(3, 2))
        await publish(kafka_bootstrap, REGISTRATION_EVENTS, permit)
        waits = await parked_until_seen(api, permit)
        paired_meanwhile = of_type(
            await published(kafka_bootstrap, HOUSING_EVENTS, [case]), "PairedWithMunicipality"
        )
        # and then its transfer to the AZC in Sittard-Geleen, of a week before
        moved = transferred(case, centre, azc, 3, local(2, 23))
        await publish(kafka_bootstrap, PLACEMENT_EVENTS, moved)
        (pairing,) = await housing_events(kafka_bootstrap, case, 1)
        still_parked = await parked(api, permit)
    # then it waited for the stay, not paired nationally (Amsterdam has the most room)
    assert (waits["waits_for"], waits["stream"]) == (f"the stay of case {case}", f"case-{case}")
    assert paired_meanwhile == []
    # and once the stay was known it was paired in its region, at the permit's time
    assert pairing["type"] == "PairedWithMunicipality"
    assert pairing["data"]["municipality_code"] == SITTARD
    assert (pairing["data"]["reason"]["rule"], pairing["data"]["reason"]["region"]) == (
        "region",
        "south",
    )
    assert pairing["time"] == "2042-03-02T09:00:00Z"
    assert pairing["causationid"] == message_id(permit)
    assert still_parked == {}


async def test_a_permit_for_a_stay_at_a_location_not_yet_known_waits_for_the_location(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    run = uuid.uuid4().hex[:8]
    case, azc, other = f"loc-{run}", f"azc-{run}", f"azc-elsewhere-{run}"
    async with running_service(spec(), scratch_database, kafka_bootstrap, clock="simulated") as api:
        await given_quotas_and_an_azc_in_sittard(api, kafka_bootstrap, scratch_database, other)
        # given a household staying at a second AZC, whose opening housing has not read yet
        await publish(kafka_bootstrap, PLACEMENT_EVENTS, admitted(case, azc, 1, 0, local(2, 1)))

        async def stay_known() -> bool:
            return await stored_count(scratch_database, [f"case-{case}"]) == 1

        await eventually(stay_known)
        # when its permit arrives
        permit = permit_granted(case, 1, 0, local(3, 2))
        await publish(kafka_bootstrap, REGISTRATION_EVENTS, permit)
        waits = await parked_until_seen(api, permit)
        # and then the AZC's opening, in Sittard-Geleen
        opened = location_opened(azc, SITTARD, "Limburg", local(1, 15))
        await publish(kafka_bootstrap, CAPACITY_EVENTS, opened)
        (pairing,) = await housing_events(kafka_bootstrap, case, 1)
    # then it waited for where the location is, and was paired in that region
    assert (waits["waits_for"], waits["stream"]) == (f"where location {azc} is", f"location-{azc}")
    assert (pairing["data"]["municipality_code"], pairing["data"]["reason"]["rule"]) == (
        SITTARD,
        "region",
    )
    assert pairing["time"] == "2042-03-02T09:00:00Z"


async def test_housing_reported_before_the_permit_waits_and_follows_the_pairing(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    case = f"early-{uuid.uuid4().hex[:8]}"
    async with running_service(spec(), scratch_database, kafka_bootstrap, clock="simulated") as api:
        # given a household whose stay housing knows
        await publish(kafka_bootstrap, PLACEMENT_EVENTS, admitted(case, "ac-1", 1, 1, local(1, 5)))

        async def stay_known() -> bool:
            return await stored_count(scratch_database, [f"case-{case}"]) == 1

        await eventually(stay_known)
        # when The Hague reports it housed before housing has read its permit
        housed = record_housing(case, THE_HAGUE, "regular", local(5, 4, 11))
        await publish(kafka_bootstrap, HOUSING_COMMANDS, housed)
        await parked_until_seen(api, housed)
        await asyncio.sleep(1.5)  # the unparker's rounds: it is not run again for nothing
        waits = (await parked(api, housed))[message_id(housed)]
        # and then the permit arrives, with a tie to The Hague
        permit = permit_granted(case, 1, 1, local(3, 2), [THE_HAGUE])
        await publish(kafka_bootstrap, REGISTRATION_EVENTS, permit)
        events = await housing_events(kafka_bootstrap, case, 2)
        still_parked = await parked(api, housed)
    # then the report waited for the permit, and was recorded after the pairing, each at
    # its own time
    assert (waits["waits_for"], waits["stream"]) == (f"the permit of case {case}", f"case-{case}")
    assert waits["runs"] == 0
    assert [(e["type"], e["time"]) for e in events] == [
        ("PairedWithMunicipality", "2042-03-02T09:00:00Z"),
        ("Housed", "2042-05-04T09:00:00Z"),
    ]
    assert events[1]["data"]["municipality_code"] == THE_HAGUE
    assert still_parked == {}


async def test_a_quota_transfer_before_the_quota_it_draws_on_waits_for_it(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    async with running_service(spec(), scratch_database, kafka_bootstrap, clock="simulated") as api:
        # given The Hague's quota
        taker = set_quota(THE_HAGUE, PERIOD, 10, local(1, 2))
        await publish(kafka_bootstrap, HOUSING_COMMANDS, taker)

        async def quotas() -> dict[str, int]:
            rows = (await api.get("/quota", params={"period": PERIOD})).json()["rows"]
            return {r["municipality_code"]: r["quota"] for r in rows}

        async def taker_set() -> bool:
            return (await quotas()).get(THE_HAGUE) == 10

        await eventually(taker_set)
        # when Rotterdam's transfer to The Hague arrives before Rotterdam's quota
        moved = transfer_quota(ROTTERDAM, THE_HAGUE, PERIOD, 4, local(1, 20))
        await publish(kafka_bootstrap, HOUSING_COMMANDS, moved)
        waits = await parked_until_seen(api, moved)
        before = await quotas()
        # and then Rotterdam's quota, set before the transfer
        giver = set_quota(ROTTERDAM, PERIOD, 20, local(1, 2))
        await publish(kafka_bootstrap, HOUSING_COMMANDS, giver)

        async def transferred_after_set() -> bool:
            return (await quotas()) == {ROTTERDAM: 16, THE_HAGUE: 14}

        await eventually(transferred_after_set)
        still_parked = await parked(api, moved)
    ours = {message_id(giver), message_id(moved)}
    rotterdam = await published(kafka_bootstrap, HOUSING_EVENTS, [ROTTERDAM])
    events = [e for e in rotterdam if e.get("causationid") in ours]
    # then the transfer waited for the quota it draws on, and was made after it was set
    assert (waits["waits_for"], waits["stream"]) == (
        f"the quota of {ROTTERDAM} in {PERIOD}",
        f"quota-{PERIOD}",
    )
    assert before == {THE_HAGUE: 10}
    assert [(e["type"], e["time"]) for e in events] == [
        ("HousingQuotaSet", "2042-01-02T09:00:00Z"),
        ("QuotaTransferred", "2042-01-20T09:00:00Z"),
    ]
    assert still_parked == {}
