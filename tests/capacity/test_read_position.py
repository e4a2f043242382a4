"""The query API says how current each read is, and waits for a position it is asked for."""

from __future__ import annotations

import httpx
import pytest

from keten.contracts.topics import CAPACITY_COMMANDS
from tests.capacity import wire
from tests.capacity.flow import location_reaches, publish

pytestmark = pytest.mark.integration


async def test_each_read_carries_its_position_and_a_later_read_can_ask_for_it(
    capacity_api: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    azc = wire.new_location("azc")
    await publish(kafka_bootstrap, CAPACITY_COMMANDS, wire.open_location(azc, "GM0014", 10))
    await location_reaches(capacity_api, azc, capacity=10)

    seen = await capacity_api.get(f"/locations/{azc}")
    position = seen.headers["Keten-Position"]
    national = await capacity_api.get(
        "/occupancy", params={"by": "national", "min_position": position}
    )
    wrong = await capacity_api.get("/occupancy", params={"by": "national", "min_position": "x"})

    assert national.status_code == 200
    transaction, position_in = national.headers["Keten-Position"].split(".")
    assert (int(transaction), int(position_in)) >= tuple(int(p) for p in position.split("."))
    assert wrong.status_code == 422
    assert "min_position" in wrong.json()["detail"]
