"""What housing cannot apply goes to housing.commands.dlq, with the stage and the reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
import pytest
from aiokafka import ConsumerRecord

from keten.contracts.topics import HOUSING_COMMANDS, REGISTRATION_EVENTS, dead_letter_topic
from keten.housing.app import spec
from tests.housing.support import (
    cloudevent,
    permit_granted,
    publish,
    record_housing,
    set_quota,
    transfer_quota,
)
from tests.support.kafka import eventually, header, read_to_end
from tests.support.services import running_service

pytestmark = pytest.mark.integration

AT = datetime(2031, 2, 3, 9, 0, tzinfo=UTC)


def mine(
    records: list[ConsumerRecord[bytes, bytes]], ours: set[bytes], broken_key: bytes
) -> dict[bytes, ConsumerRecord[bytes, bytes]]:
    """This test's dead letters by key: the topic is shared with other tests and runs."""
    return {
        r.key: r for r in records if r.key is not None and (r.key == broken_key or r.value in ours)
    }


async def test_malformed_and_refused_commands_land_in_the_dead_letter_topic(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    run = uuid.uuid4().hex[:8]
    broken_key = f"broken-{run}".encode()
    incomplete = cloudevent(
        "TransferQuota", f"incomplete-{run}", AT, {"period": "2031-H1", "persons": 3}
    )
    elsewhere = f"elsewhere-{run}"
    tied = permit_granted(elsewhere, 1, 0, AT, ["GM0518"])
    misplaced = record_housing(elsewhere, "GM0363", "regular", AT)
    overdraw = transfer_quota("GM0599", "GM0518", "2031-H1", 51, AT)
    unknown = set_quota("GM9999", "2031-H1", 5, AT)
    async with running_service(spec(), scratch_database, kafka_bootstrap, clock="simulated") as api:
        # given a quota of 50 for Rotterdam, and a household paired with The Hague
        await publish(kafka_bootstrap, HOUSING_COMMANDS, set_quota("GM0599", "2031-H1", 50, AT))
        await publish(kafka_bootstrap, REGISTRATION_EVENTS, tied)
        # when broken, incomplete and refused commands arrive
        await publish(
            kafka_bootstrap,
            HOUSING_COMMANDS,
            (broken_key, b'{"specversion": "1.0", "id": '),
            incomplete,
            misplaced,
            overdraw,
            unknown,
        )
        ours = {value for _, value in (incomplete, misplaced, overdraw, unknown)}

        async def dead_lettered() -> bool:
            records = await read_to_end(kafka_bootstrap, dead_letter_topic(HOUSING_COMMANDS))
            return len(mine(records, ours, broken_key)) == len(ours) + 1

        await eventually(dead_lettered)
        quota = (await api.get("/quota", params={"period": "2031-H1"})).json()

    records = await read_to_end(kafka_bootstrap, dead_letter_topic(HOUSING_COMMANDS))
    by_key = mine(records, ours, broken_key)
    # then each carries its stage and a reason that names rules and ids only
    assert header(by_key[broken_key], "error.stage") == "decode"
    assert header(by_key[incomplete[0]], "error.stage") == "validate"
    assert "to_municipality" in header(by_key[incomplete[0]], "error.message")
    assert header(by_key[misplaced[0]], "error.stage") == "business"
    assert header(by_key[misplaced[0]], "error.message") == (
        f"case {elsewhere} is paired with GM0518, not with GM0363"
    )
    assert "GM0599 has a quota of 50" in header(by_key[overdraw[0]], "error.message")
    assert header(by_key[unknown[0]], "error.message") == "unknown municipality GM9999"
    # and the original bytes are kept
    assert by_key[misplaced[0]].value == misplaced[1]
    assert orjson.loads(by_key[overdraw[0]].value)["data"]["persons"] == 51
    # and the refused transfer changed nothing
    rotterdam = [r for r in quota["rows"] if r["municipality_code"] == "GM0599"]
    assert rotterdam[0]["quota"] == 50
    assert quota["total"]["quota"] == 50
