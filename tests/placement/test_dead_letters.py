"""Commands placement cannot apply go to `placement.commands.dlq`; the good ones still apply,
and one about a case placement does not know yet waits for it instead."""

from __future__ import annotations

import pytest

from keten.contracts.topics import CAPACITY_EVENTS, PLACEMENT_COMMANDS, REGISTRATION_EVENTS
from keten.contracts.topics import dead_letter_topic as dlq
from keten.placement.streams import case_stream
from tests.placement.test_placement_flow import locations_known, parked_among, statuses_become
from tests.placement.wire import (
    asylum_applied,
    cloudevent,
    isolated_spec,
    location_opened,
    read_since,
    record_departure,
    topic_ends,
    track_assigned,
    transfer_case,
    unique,
)
from tests.support.kafka import eventually, header, publish_raw
from tests.support.services import running_service

pytestmark = pytest.mark.integration


async def test_bad_commands_are_dead_lettered_with_their_stage_while_good_ones_apply(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    centre, azc, full_htl = unique("ac"), unique("azc"), unique("htl")
    case, nobody, province = unique("case"), unique("case-unknown"), unique("province")
    keys = {stage: unique(stage) for stage in ("decode", "missing", "enum", "type")}
    starts = await topic_ends(kafka_bootstrap, dlq(PLACEMENT_COMMANDS))
    async with running_service(isolated_spec(), scratch_database, kafka_bootstrap) as api:
        # given a household transferred to an AZC, and an HTL without places
        await publish_raw(
            kafka_bootstrap,
            CAPACITY_EVENTS,
            [
                location_opened(centre, "application_centre", province, 10),
                location_opened(azc, "azc", province, 10),
                location_opened(full_htl, "htl", province, 0),
            ],
        )
        await locations_known(api, centre, azc, full_htl)
        await publish_raw(
            kafka_bootstrap,
            REGISTRATION_EVENTS,
            [asylum_applied(case, centre), track_assigned(case, "general")],
        )
        await statuses_become(api, {case: "transferred"})
        # when bad and good commands arrive
        unknown_case = record_departure(nobody, "voluntary", hours=5)
        no_target = {"case_id": case, "reason": "note-7d1f"}
        bad_reason = {"case_id": case, "reason": "bored"}
        await publish_raw(
            kafka_bootstrap,
            PLACEMENT_COMMANDS,
            [
                (keys["decode"].encode(), b'{"specversion": "1.0", "id": '),
                (keys["missing"].encode(), cloudevent("TransferCase", keys["missing"], no_target)),
                (keys["enum"].encode(), cloudevent("RecordDeparture", keys["enum"], bad_reason)),
                (keys["type"].encode(), cloudevent("BookHotel", keys["type"], {"case_id": case})),
                unknown_case,
                transfer_case(case, full_htl, hours=6),
                record_departure(case, "forced", hours=7),
            ],
        )
        # then the good one applies, and the one about a case not known yet waits for it
        await statuses_become(api, {case: "left"})
        stay = (await api.get(f"/cases/{case}/stay")).json()

        waiting = await parked_among(api, [unknown_case], 1)

    assert stay["left_reason"] == "forced"
    assert stay["move_count"] == 1
    [departure] = waiting.values()
    assert (departure["message_type"], departure["waits_for"], departure["stream"]) == (
        "RecordDeparture",
        f"case {nobody}",
        case_stream(nobody),
    )
    expected = {*keys.values(), case}
    dead: dict[str, tuple[str, str]] = {}

    async def all_dead_lettered() -> bool:
        # partitions are consumed independently: the good command may apply before the others
        dead.update(
            (r.key.decode(), (header(r, "error.stage"), header(r, "error.message")))
            for r in await read_since(kafka_bootstrap, starts)
            if r.key is not None and r.key.decode() in expected
        )
        return set(dead) == expected

    await eventually(all_dead_lettered, interval=0.5)
    assert {key: stage for key, (stage, _) in dead.items()} == {
        keys["decode"]: "decode",
        keys["missing"]: "validate",
        keys["enum"]: "validate",
        keys["type"]: "validate",
        case: "business",
    }
    assert dead[case][1] == f"location {full_htl} has 0 free places, the household needs 1"
    assert "to_location_id" in dead[keys["missing"]][1]
    assert all("note-7d1f" not in message for _, message in dead.values())  # no input quoted
