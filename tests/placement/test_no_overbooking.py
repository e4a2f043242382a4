"""Many households competing for the last places, handled by several consumers at once."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from keten.contracts.topics import (
    CAPACITY_EVENTS,
    PLACEMENT_EVENTS,
    REGISTRATION_EVENTS,
    dead_letter_topic,
)
from tests.placement.test_placement_flow import locations_known
from tests.placement.wire import (
    asylum_applied,
    decoded,
    isolated_spec,
    location_opened,
    more_consumers,
    read_since,
    topic_ends,
    track_assigned,
    unique,
)
from tests.support.kafka import eventually, publish_raw
from tests.support.services import running_service

pytestmark = pytest.mark.integration

HOUSEHOLDS = 200
PLACES = 100
DECISIONS = {"TransferredToAZC", "TransferDeferred"}


async def test_two_hundred_households_competing_for_a_hundred_places_never_overbook(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    centre, azc, province = unique("ac"), unique("azc"), unique("province")
    cases = [unique(f"case-{i}") for i in range(HOUSEHOLDS)]
    starts = await topic_ends(kafka_bootstrap, PLACEMENT_EVENTS)
    dead_starts = await topic_ends(kafka_bootstrap, dead_letter_topic(REGISTRATION_EVENTS))
    spec = isolated_spec()
    decisions: list[dict[str, Any]] = []
    # three consumers of registration.events (one per partition), in three instances on one
    # database, deciding at the same time
    async with (
        running_service(spec, scratch_database, kafka_bootstrap) as api,
        more_consumers(spec, REGISTRATION_EVENTS, 2, scratch_database, kafka_bootstrap),
    ):
        # given one AZC with 100 places
        await publish_raw(
            kafka_bootstrap,
            CAPACITY_EVENTS,
            [
                location_opened(centre, "application_centre", province, HOUSEHOLDS),
                location_opened(azc, "azc", province, PLACES),
            ],
        )
        await locations_known(api, centre, azc)
        # when 200 single-person households on the general track apply, spread over partitions
        records = [
            record
            for case in cases
            for record in (asylum_applied(case, centre), track_assigned(case, "general"))
        ]
        await publish_raw(kafka_bootstrap, REGISTRATION_EVENTS, records)

        async def all_decided() -> bool:
            found = decoded(await read_since(kafka_bootstrap, starts), set(cases))
            decisions[:] = [e for e in found if e["type"] in DECISIONS]
            return len(decisions) >= HOUSEHOLDS

        await eventually(all_decided, timeout=45, interval=0.5)

        async def projected() -> bool:
            residents = (await api.get(f"/locations/{azc}/residents")).json()
            return bool(residents["households"] == PLACES)

        await eventually(projected)
        residents = (await api.get(f"/locations/{azc}/residents")).json()

    # then exactly 100 are transferred to that AZC and 100 deferred, each case decided once
    kinds = Counter(e["type"] for e in decisions)
    assert kinds == {"TransferredToAZC": PLACES, "TransferDeferred": HOUSEHOLDS - PLACES}
    assert {e["data"]["to_location_id"] for e in decisions if e["type"] == "TransferredToAZC"} == {
        azc
    }
    assert sorted(e["subject"] for e in decisions) == sorted(cases)
    assert residents["total"] == PLACES <= residents["capacity"]
    dead = await read_since(kafka_bootstrap, dead_starts)
    assert [r for r in dead if r.key is not None and r.key.decode() in set(cases)] == []
