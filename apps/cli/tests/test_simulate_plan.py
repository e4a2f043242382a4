"""The generator: deterministic for a seed, valid against the contract, in time order."""

from __future__ import annotations

from collections import defaultdict
from functools import cache

from keten.cli.simulate.effects import effects_of
from keten.cli.simulate.generator import generate
from keten.cli.simulate.plan import HousingReport, Plan
from keten.cli.simulate.routing import partition_of
from keten.cli.simulate.scenarios import CRISIS_2022, DEMO
from keten.contracts.envelope import CloudEvent
from keten.contracts.messages import Command, decode_envelope, make_envelope, parse_message


@cache
def demo_plan(seed: int = 1) -> Plan:
    return generate(DEMO, seed)


@cache
def crisis_plan() -> Plan:
    return generate(CRISIS_2022, 1)


def _wire(plan: Plan, sequence: int) -> CloudEvent:
    step = plan.steps[sequence]
    message = step.message
    if isinstance(message, HousingReport):
        message = message.resolve("GM0014")
    return make_envelope(
        message, id=plan.event_id(sequence), source=step.source, subject=step.subject, time=step.at
    )


def test_the_same_seed_gives_the_same_plan() -> None:
    first, second = generate(DEMO, 7), generate(DEMO, 7)
    assert first.steps == second.steps
    assert first.forecast == second.forecast
    assert [first.event_id(n) for n in range(50)] == [second.event_id(n) for n in range(50)]


def test_another_seed_gives_another_plan() -> None:
    assert generate(DEMO, 1).steps != generate(DEMO, 2).steps
    assert generate(DEMO, 1).event_id(0) != generate(DEMO, 2).event_id(0)


def test_every_command_travels_as_a_valid_cloudevent_of_the_contract() -> None:
    for plan in (demo_plan(), crisis_plan()):
        for sequence in range(len(plan.steps)):
            envelope = decode_envelope(_wire(plan, sequence).to_json())
            message = parse_message(envelope)
            assert isinstance(message, Command)
            assert message.topic == plan.steps[sequence].topic
            assert envelope.time.utcoffset() is not None


def test_commands_are_sent_in_simulated_time_order() -> None:
    for plan in (demo_plan(), crisis_plan()):
        moments = [(step.at, step.phase) for step in plan.steps]
        assert moments == sorted(moments)
        assert plan.steps[0].day == plan.first_day
        assert plan.steps[-1].day < plan.end


def test_event_ids_are_unique_and_subjects_carry_the_run_id() -> None:
    plan = demo_plan()
    assert len({plan.event_id(n) for n in range(len(plan.steps))}) == len(plan.steps)
    for step in plan.steps:
        if not step.subject.startswith("GM"):
            assert step.subject.startswith(f"{plan.run_id}-")


def test_case_and_location_ids_land_on_one_partition() -> None:
    plan = demo_plan()
    own = {s.subject for s in plan.steps if s.subject.startswith(plan.run_id)}
    assert {partition_of(subject, 3) for subject in own} == {0}
    on_six = generate(DEMO, 1, partitions=6)
    assert all(
        partition_of(s.subject, 6) == 0 for s in on_six.steps if s.subject.startswith("sim-")
    )


def test_a_case_is_registered_tracked_and_decided_in_that_order() -> None:
    kinds: dict[str, list[str]] = defaultdict(list)
    for step in crisis_plan().steps:
        kinds[step.subject].append(step.message.type_name())
    for subject, sequence in kinds.items():
        if sequence[0] != "RegisterApplication":
            continue
        assert sequence[1:2] in (["AssignTrack"], []), subject
        if "RecordDecision" in sequence:
            assert sequence.index("RecordDecision") > sequence.index("AssignTrack")
        if "RecordHousing" in sequence:
            granted = sequence.index("RecordDecision")
            assert sequence.index("RecordHousing") > granted
            assert "RecordDeparture" not in sequence


def test_locations_open_before_anyone_applies_at_them() -> None:
    plan = demo_plan()
    opened = {s.subject: s.at for s in plan.steps if s.message.type_name() == "OpenLocation"}
    for step in plan.steps:
        message = step.message
        centre = getattr(message, "application_centre_id", None)
        target = getattr(message, "to_location_id", None)
        for location in (centre, target):
            if location is not None:
                assert opened[location] < step.at


def test_every_command_has_events_to_wait_for_and_a_move_on_leaves_no_place() -> None:
    plan = crisis_plan()
    for step in plan.steps:
        assert effects_of(step), step.message.type_name()
    onward = [s for s in plan.steps if isinstance(s.message, HousingReport) and s.message.moving_on]
    assert onward
    assert all(kind != "LeftReception" for s in onward for _, kind, _ in effects_of(s))
