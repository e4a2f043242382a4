"""Commands that cannot be applied go to `capacity.commands.dlq` with the stage that refused
them, and the good commands around them still apply."""

from __future__ import annotations

import httpx
import orjson
import pytest

from keten.contracts.topics import CAPACITY_COMMANDS, CAPACITY_EVENTS
from tests.capacity import wire
from tests.capacity.flow import dead_letters, events_counted, location_reaches, publish
from tests.support.kafka import header
from tests.support.keys import opened

pytestmark = pytest.mark.integration


async def test_malformed_invalid_and_refused_commands_are_dead_lettered_between_good_ones(
    capacity_api: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    azc = wire.new_location("azc")
    elsewhere = wire.new_location("azc")
    key = azc.encode()
    await publish(
        kafka_bootstrap,
        CAPACITY_COMMANDS,
        wire.open_location(azc, "GM0106", 10),
        (key, b'{"specversion": "1.0", "id": '),
        wire.change_capacity(azc, "twenty"),
        wire.open_location(azc, "GM0106", 99),
        wire.change_capacity(azc, 20),
        wire.open_location(elsewhere, "GM9999", 10),
    )

    await location_reaches(capacity_api, azc, capacity=20, province="Drenthe")
    events = await events_counted(kafka_bootstrap, CAPACITY_EVENTS, azc, "CapacityChanged")
    assert [e["type"] for e in events] == ["LocationOpened", "CapacityChanged"]
    assert events[1]["data"]["previous_capacity"] == 10
    refused = await dead_letters(kafka_bootstrap, CAPACITY_COMMANDS, azc, 3)
    assert [wire.stage_and_message(r)[0] for r in refused] == ["decode", "validate", "business"]
    assert header(refused[1], "error.message") == "capacity: int_type"
    assert wire.stage_and_message(refused[2]) == (
        "business",
        f"location {azc} is already open with another capacity",
    )
    assert opened(refused[0].value, sealed=True) == b'{"specversion": "1.0", "id": '
    assert orjson.loads(refused[1].value)["data"]["capacity"] == "twenty"
    assert {header(r, "original.topic") for r in refused} == {CAPACITY_COMMANDS}
    [unknown] = await dead_letters(kafka_bootstrap, CAPACITY_COMMANDS, elsewhere, 1)
    assert wire.stage_and_message(unknown) == (
        "business",
        "municipality GM9999 is not in the reference list",
    )
