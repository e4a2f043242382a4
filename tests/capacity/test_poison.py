"""No single message stalls a consumer: each kind of poison is dead-lettered with its stage, and
a valid command behind it on the same partition takes effect within 10 s. A dead letter whose
cause is mended takes effect once when replayed, however often."""

from __future__ import annotations

import time
from typing import Any

import httpx
import orjson
import pytest

from keten.contracts.topics import CAPACITY_COMMANDS
from keten.kernel.sealing import open_personal
from tests.capacity import wire
from tests.capacity.flow import dead_letters, location, location_reaches, publish
from tests.support.kafka import eventually, header
from tests.support.keys import dead_letter_key

pytestmark = pytest.mark.integration

SENTINEL_SECONDS = 10.0


def _envelope(location_id: str, **changes: Any) -> dict[str, Any]:
    _, value = wire.open_location(location_id, "GM0014", 10)
    envelope: dict[str, Any] = orjson.loads(value)
    envelope.update(changes)
    return envelope


def _raw(document: Any) -> bytes:
    return orjson.dumps(document)


def poisons(key: str) -> dict[str, tuple[bytes, str]]:
    """Each poison kind: its value (published under `key`) and the stage that must refuse it."""
    valid = _envelope(key)
    nul_id = _raw(valid).replace(valid["id"].encode(), b"nul\\u0000id", 1)
    huge = _envelope(key, data={**valid["data"], "capacity": 2**40})
    long_name = _envelope(key, data={**valid["data"], "name": "x" * 900_000})
    nested = b'{"specversion": "1.0", "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    misrouted = _envelope(
        key,
        type="TransferCase",
        data={"case_id": key, "to_location_id": "htl-1", "reason": "to an htl"},
    )
    return {
        "nul in id": (nul_id, "validate"),
        "year 9999": (_raw(_envelope(key, time="9999-12-31T23:00:00-05:00")), "validate"),
        "integer of 2^40": (_raw(huge), "validate"),
        "json array": (b"[1, 2, 3]", "validate"),
        "invalid utf-8": (b'{"specversion": "1.0", "id": "\xff\xfe"}', "decode"),
        "100,000 nested brackets": (nested, "decode"),
        "900 kB string": (_raw(long_name), "validate"),
        "misrouted type": (_raw(misrouted), "validate"),
    }


async def test_each_poison_is_dead_lettered_and_the_valid_command_behind_it_takes_effect(
    capacity_api: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    for kind, (value, stage) in poisons("probe").items():
        key = wire.new_location("poison")
        poison = value.replace(b"probe", key.encode())
        sentinel = wire.open_location(key, "GM0014", 7)
        await publish(kafka_bootstrap, CAPACITY_COMMANDS, (key.encode(), poison), sentinel)
        published = time.monotonic()
        await location_reaches(capacity_api, key, capacity=7)
        took = time.monotonic() - published
        assert took < SENTINEL_SECONDS, f"{kind}: the sentinel took {took:.1f} s"
        [letter] = await dead_letters(kafka_bootstrap, CAPACITY_COMMANDS, key, 1)
        assert header(letter, "error.stage") == stage, kind
        assert open_personal(dead_letter_key(), letter.value) == poison or letter.value == poison


async def test_an_id_reused_with_other_content_is_dead_lettered_and_a_redelivery_is_not(
    capacity_api: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    key = wire.new_location("reused")
    first = wire.open_location(key, "GM0014", 10)
    envelope = orjson.loads(first[1])
    other = _raw({**envelope, "data": {**envelope["data"], "capacity": 11}})
    sentinel = wire.change_capacity(key, 12)
    await publish(kafka_bootstrap, CAPACITY_COMMANDS, first, first, (key.encode(), other), sentinel)

    await location_reaches(capacity_api, key, capacity=12)
    [letter] = await dead_letters(kafka_bootstrap, CAPACITY_COMMANDS, key, 1)
    assert wire.stage_and_message(letter) == ("validate", "id reused with other content")
    assert letter.value == other


async def test_a_key_that_differs_from_the_subject_is_dead_lettered(
    capacity_api: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    key = wire.new_location("key")
    _, value = wire.open_location(key, "GM0014", 10)
    sentinel = wire.open_location(key, "GM0014", 10)
    other_key = wire.new_location("other-key")
    await publish(kafka_bootstrap, CAPACITY_COMMANDS, (other_key.encode(), value))
    await publish(kafka_bootstrap, CAPACITY_COMMANDS, sentinel)

    await location_reaches(capacity_api, key, capacity=10)
    [letter] = await dead_letters(kafka_bootstrap, CAPACITY_COMMANDS, other_key, 1)
    assert wire.stage_and_message(letter) == ("validate", "the Kafka key differs from subject")


async def _letters_of(api: httpx.AsyncClient, message_id: str) -> list[dict[str, Any]]:
    response = await api.get("/admin/dead-letters")
    response.raise_for_status()
    return [d for d in response.json() if d["message_id"] == message_id]


async def test_a_replayed_dead_letter_takes_effect_once_its_cause_is_mended(
    capacity_api: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    # given a capacity change refused because its location was not open yet
    key = wire.new_location("replay")
    change = wire.change_capacity(key, 30)
    change_id = orjson.loads(change[1])["id"]
    await publish(kafka_bootstrap, CAPACITY_COMMANDS, change)
    found: list[dict[str, Any]] = []

    async def refused_once() -> bool:
        found[:] = await _letters_of(capacity_api, change_id)
        return bool(found)

    await eventually(refused_once)
    [refused] = found
    assert (refused["stage"], refused["reason"]) == ("business", f"location {key} is unknown")
    # when the cause is mended and the letter replayed three times
    await publish(kafka_bootstrap, CAPACITY_COMMANDS, wire.open_location(key, "GM0014", 10))
    await location_reaches(capacity_api, key, capacity=10)
    replays = [
        (await capacity_api.post(f"/admin/dead-letters/{refused['id']}/replay")).json()
        for _ in range(3)
    ]
    # then it took effect once
    assert [r["outcome"] for r in replays] == ["applied", "duplicate", "duplicate"]
    found_location = await location(capacity_api, key)
    assert found_location is not None
    assert found_location["capacity"] == 30
    [after] = await _letters_of(capacity_api, change_id)
    assert (after["resolved"], after["replays"]) == (True, 3)
    # and a redelivery of the original record is still a duplicate
    await publish(kafka_bootstrap, CAPACITY_COMMANDS, change, wire.change_capacity(key, 31))
    await location_reaches(capacity_api, key, capacity=31)
    assert len(await _letters_of(capacity_api, change_id)) == 1
