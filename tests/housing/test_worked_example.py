"""A worked example over HTTP: four municipalities, a quota, a transfer, twelve households
paired by the rule, housed or not, and the quota table and overdue list that result."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx
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
from keten.housing.ledger import DECISIONS_SCHEMA
from keten.housing.projections.pairings import PairingsProjection
from keten.housing.projections.quota import QuotaProjection
from keten.kernel.db import create_pool
from keten.kernel.projections import digest, live_digest, rebuild
from tests.housing.support import (
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
)
from tests.support.kafka import eventually
from tests.support.services import running_service

pytestmark = pytest.mark.integration

SITTARD, PEEL, EIJSDEN, SCHOUWEN = "GM1883", "GM1894", "GM1903", "GM1676"
FIGURES = ("quota", "backlog", "obligation", "paired", "housed", "awaiting", "remaining")

# (persons as adults + minors, hard tie, staying at the AZC in Sittard-Geleen?)
HOUSEHOLDS: list[tuple[int, int, str | None, bool]] = [
    (2, 1, None, True),  # h01
    (2, 0, None, True),  # h02
    (2, 2, None, True),  # h03
    (1, 0, None, True),  # h04
    (1, 1, SCHOUWEN, True),  # h05: a hard tie outside the region
    (1, 2, None, True),  # h06
    (2, 0, None, True),  # h07
    (2, 2, None, True),  # h08
    (1, 1, None, True),  # h09
    (2, 0, None, True),  # h10
    (2, 1, None, True),  # h11: the region has no room left
    (1, 1, None, True),  # h12: nor for the next
]
EXPECTED_PAIRINGS = [
    (PEEL, "region"),
    (SITTARD, "region"),
    (EIJSDEN, "region"),
    (SITTARD, "region"),
    (SCHOUWEN, "hard_tie"),
    (PEEL, "region"),
    (SITTARD, "region"),
    (EIJSDEN, "region"),
    (SITTARD, "region"),
    (PEEL, "region"),
    (SCHOUWEN, "national"),
    (SCHOUWEN, "national"),
]
# (household, kind, local date of housing); the others are never housed
HOUSINGS = [
    (1, "regular", (2040, 3, 1)),
    (2, "transit", (2040, 4, 10)),
    (3, "regular", (2040, 5, 15)),
    (4, "regular", (2040, 7, 20)),
    (5, "intermediate", (2040, 2, 15)),
    (6, "regular", (2040, 4, 1)),
    (8, "regular", (2040, 8, 3)),
    (9, "regular", (2040, 4, 30)),
    (11, "regular", (2040, 6, 20)),
]


def local(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime.combine(date(year, month, day), time(hour), tzinfo=AMSTERDAM)


def row_figures(table: dict[str, Any], key: str, value: str) -> tuple[int, ...]:
    (row,) = [r for r in table["rows"] if r[key] == value]
    return tuple(row[f] for f in FIGURES)


async def read(api: httpx.AsyncClient, path: str, **params: str) -> dict[str, Any]:
    response = await api.get(path, params=params)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def given_quotas_and_an_azc(
    api: httpx.AsyncClient, kafka: str, database: str, location: str
) -> None:
    """Quotas for 2040-H1 and -H2, then 3 persons of quota moved from Sittard to Eijsden
    (a quota set later would replace it), and an AZC in Sittard-Geleen (Limburg, region
    south)."""
    await publish(
        kafka,
        HOUSING_COMMANDS,
        set_quota(SITTARD, "2040-H1", 10, local(2039, 12, 1)),
        set_quota(PEEL, "2040-H1", 8, local(2039, 12, 1)),
        set_quota(EIJSDEN, "2040-H1", 4, local(2039, 12, 1)),
        set_quota(SCHOUWEN, "2040-H1", 10, local(2039, 12, 1)),
        set_quota(SITTARD, "2040-H2", 6, local(2040, 6, 1)),
        set_quota(PEEL, "2040-H2", 6, local(2040, 6, 1)),
        set_quota(EIJSDEN, "2040-H2", 6, local(2040, 6, 1)),
    )
    opened = location_opened(location, SITTARD, "Limburg", local(2039, 1, 1))
    await publish(kafka, CAPACITY_EVENTS, opened)

    async def quota_of(municipality: str, persons: int) -> bool:
        quota = await read(api, "/quota", period="2040-H1")
        return (
            any(
                r["municipality_code"] == municipality and r["quota"] == persons
                for r in quota["rows"]
            )
            and quota["total"]["quota"] == 32
        )

    async def set_and_located() -> bool:
        located = await stored_count(database, [f"location-{location}"])
        h2 = await read(api, "/quota", period="2040-H2")
        return located == 1 and h2["total"]["quota"] == 18 and await quota_of(EIJSDEN, 4)

    await eventually(set_and_located)
    moved = transfer_quota(SITTARD, EIJSDEN, "2040-H1", 3, local(2039, 12, 15))
    await publish(kafka, HOUSING_COMMANDS, moved)
    await eventually(lambda: quota_of(EIJSDEN, 7))


async def pair_households(
    kafka: str, database: str, cases: list[str], location: str
) -> list[dict[str, Any]]:
    """Publishes the permits one by one (pairing depends on the order), waiting for each."""
    pairings: list[dict[str, Any]] = []
    for n, (case, (adults, minors, tie, at_azc)) in enumerate(zip(cases, HOUSEHOLDS, strict=True)):
        granted_at = local(2040, 1, 9 + n)
        if at_azc:
            arrived_at = granted_at - timedelta(days=60)
            await publish(
                kafka, PLACEMENT_EVENTS, admitted(case, location, adults, minors, arrived_at)
            )

            async def known(case: str = case) -> bool:
                return await stored_count(database, [f"case-{case}"]) == 1

            await eventually(known)
        permit = permit_granted(case, adults, minors, granted_at, [tie] if tie else [])
        await publish(kafka, REGISTRATION_EVENTS, permit)

        async def paired(case: str = case) -> bool:
            found = of_type(
                await published(kafka, HOUSING_EVENTS, [case]), "PairedWithMunicipality"
            )
            pairings.extend(found)
            return bool(found)

        await eventually(paired)
    return pairings


async def house_households(api: httpx.AsyncClient, kafka: str, cases: list[str]) -> str:
    """Publishes the housings; returns the position at which the pairings show them all."""
    await publish(
        kafka,
        HOUSING_COMMANDS,
        *(
            record_housing(cases[n - 1], EXPECTED_PAIRINGS[n - 1][0], kind, local(*day, 11))
            for n, kind, day in HOUSINGS
        ),
    )

    position: list[str] = []

    async def all_housed() -> bool:
        response = await api.get("/pairings", params={"status": "housed"})
        position[:] = [response.headers["Keten-Position"]]
        housed = response.json()["pairings"]
        return len([p for p in housed if p["case_id"] in cases]) == len(HOUSINGS)

    await eventually(all_housed)
    return position[0]


async def projections_rebuild_equal(database: str) -> None:
    """The live projections equal a replay of the log, and so does the decisions' copy."""
    pool = await create_pool(database)
    try:
        for projection in (QuotaProjection(), PairingsProjection()):
            assert (await rebuild(pool, projection)).equal
        async with pool.acquire() as conn:
            inline = await digest(conn, DECISIONS_SCHEMA, QuotaProjection())
        assert inline == await live_digest(pool, QuotaProjection())
    finally:
        await pool.close()


async def test_a_worked_example_of_quota_pairing_housing_and_overdue_deadlines(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    run = uuid.uuid4().hex[:8]
    cases = [f"we-{run}-h{n:02}" for n in range(1, 13)]
    location = f"loc-we-{run}"
    async with running_service(spec(), scratch_database, kafka_bootstrap, clock="simulated") as api:
        await given_quotas_and_an_azc(api, kafka_bootstrap, scratch_database, location)
        # when twelve households get their permits, one after another
        pairings = await pair_households(kafka_bootstrap, scratch_database, cases, location)
        # and nine of them are housed
        # (read from the quota once it is where the pairings were seen, not before)
        seen = await house_households(api, kafka_bootstrap, cases)
        h1 = await read(api, "/quota", period="2040-H1", min_position=seen)
        h2 = await read(api, "/quota", period="2040-H2", min_position=seen)
        provinces = await read(api, "/quota", period="2040-H1", by="province", min_position=seen)
        before_transfer = await read(api, "/quota", period="2040-H1", as_of="2039-12-10")
        overdue = await read(api, "/deadlines/overdue", as_of="2040-05-01")
        boundary = await read(api, "/deadlines/overdue", as_of="2040-04-20")
        report = await read(api, "/reports/housing-times", period="2040-H1")
    # then each is paired by the rule, for reasons an auditor can retrace
    assert [
        (p["data"]["municipality_code"], p["data"]["reason"]["rule"]) for p in pairings
    ] == EXPECTED_PAIRINGS
    assert pairings[0]["data"]["reason"]["region"] == "south"
    assert pairings[0]["data"]["reason"]["candidates"][:3] == [
        {"municipality_code": PEEL, "remaining": 8},
        {"municipality_code": SITTARD, "remaining": 7},
        {"municipality_code": EIJSDEN, "remaining": 7},
    ]
    assert pairings[0]["time"] == "2040-01-09T09:00:00Z"  # the permit's time
    # and the quota table of 2040-H1 (quota, backlog, obligation, paired, housed, awaiting,
    # remaining) holds the transfer, the pairings and the housings
    assert row_figures(h1, "municipality_code", SITTARD) == (7, 0, 7, 7, 4, 3, 0)
    assert row_figures(h1, "municipality_code", PEEL) == (8, 0, 8, 8, 6, 2, 0)
    assert row_figures(h1, "municipality_code", EIJSDEN) == (7, 0, 7, 8, 4, 4, -1)
    assert row_figures(h1, "municipality_code", SCHOUWEN) == (10, 0, 10, 7, 5, 2, 3)
    assert row_figures(provinces, "province", "Limburg") == (22, 0, 22, 23, 14, 9, -1)
    # and what was not housed carries into 2040-H2 as backlog
    assert row_figures(h2, "municipality_code", SITTARD) == (6, 3, 9, 0, 1, 2, 6)
    assert row_figures(h2, "municipality_code", PEEL) == (6, 2, 8, 0, 0, 2, 6)
    assert row_figures(h2, "municipality_code", EIJSDEN) == (6, 3, 9, 0, 4, 0, 5)
    assert row_figures(h2, "municipality_code", SCHOUWEN) == (0, 5, 5, 0, 0, 2, 3)
    # and as of 10 December 2039 the transfer had not been made yet
    assert row_figures(before_transfer, "municipality_code", SITTARD)[0] == 10
    assert row_figures(before_transfer, "municipality_code", EIJSDEN)[0] == 4
    # and the overdue list as of 1 May: breached by then and not housed by then
    assert [p["case_id"][-3:] for p in overdue["pairings"]] == [
        "h03", "h04", "h07", "h08", "h10", "h11", "h12",
    ]  # fmt: skip
    assert overdue["pairings"][0]["overdue_since"] == "2040-04-19T00:00:00+02:00"
    assert [p["case_id"][-3:] for p in boundary["pairings"]] == ["h03", "h04"]
    # and the housing times of 2040-H1: 7 households, 4 within 14 weeks of pairing
    assert (report["households"], report["persons"]) == (7, 19)
    assert report["mean_weeks_from_permit"] == pytest.approx(12.985, abs=0.006)
    assert report["p90_weeks_from_permit"] == 21.86
    assert report["share_housed_within_14_weeks_of_pairing"] == round(4 / 7, 4)
    await projections_rebuild_equal(scratch_database)
