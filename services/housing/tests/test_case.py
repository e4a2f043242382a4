"""A case's commands: housing only where it is paired, pairing only with a permit, and a
command about a case whose permit housing has not learned yet waits for it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from keten.contracts.housing import Housed, PairedWithMunicipality, RecordHousing
from keten.contracts.registration import PermitGranted
from keten.contracts.values import Household
from keten.housing.domain.case import (
    CaseState,
    decide_housing,
    decide_manual_pairing,
    decide_permit,
    evolve,
)
from keten.housing.domain.pairing import manual_choice
from keten.kernel.decider import Decision
from keten.kernel.verdicts import NotYet, Refused

CET = timezone(timedelta(hours=1))
AT = datetime(2026, 2, 2, 9, 0, tzinfo=CET)
STREAM = "case-c-7"
PERMIT = PermitGranted(case_id="c-7", household=Household(adults=1, minors=3))


def with_permit() -> CaseState:
    return evolve(CaseState("c-7"), PERMIT)


def taken(state: CaseState, decision: Decision) -> CaseState:
    assert decision.verdict is None
    for event in decision.events:
        state = evolve(state, event)
    return state


def paired(code: str = "GM0014") -> CaseState:
    return taken(
        with_permit(), decide_manual_pairing(with_permit(), manual_choice(code, {}), AT, STREAM)
    )


def housing(code: str, kind: str = "regular") -> RecordHousing:
    return RecordHousing.model_validate({"case_id": "c-7", "municipality_code": code, "kind": kind})


def test_housing_a_case_that_is_not_paired_is_refused() -> None:
    decision = decide_housing(with_permit(), housing("GM0014"), AT, STREAM)
    assert decision.verdict == Refused("case c-7 is not paired: housing cannot be recorded")


def test_housing_in_another_municipality_than_the_paired_one_is_refused() -> None:
    decision = decide_housing(paired("GM0014"), housing("GM0034"), AT, STREAM)
    assert decision.verdict == Refused("case c-7 is paired with GM0014, not with GM0034")
    assert decision.events == ()


def test_housing_counts_the_persons_in_the_period_of_housing() -> None:
    # given a household of four paired in February, when housed on 1 July 2026
    july = datetime(2026, 7, 1, 8, tzinfo=CET)
    decision = decide_housing(paired(), housing("GM0014"), july, STREAM)
    # then
    (event,) = decision.events
    assert isinstance(event, Housed)
    assert (event.persons, event.period) == (4, "2026-H2")
    assert decision.cancelled == (
        "housing_deadline_approaching:c-7:1",
        "housing_deadline_missed:c-7:1",
    )


def test_a_case_housed_once_is_not_housed_again_nor_paired_again() -> None:
    state = taken(paired(), decide_housing(paired(), housing("GM0014"), AT, STREAM))
    again = decide_housing(state, housing("GM0014"), AT, STREAM)
    assert again.verdict == Refused("case c-7 is already housed")
    repaired = decide_manual_pairing(state, manual_choice("GM0034", {}), AT, STREAM)
    assert repaired.verdict == Refused("case c-7 is already housed: it is not paired again")


def test_a_household_in_transit_housing_may_move_on_once_and_that_ends_its_transit_timer() -> None:
    state = paired()
    transit = decide_housing(state, housing("GM0014", "transit"), AT, STREAM)
    assert [t.kind for t in transit.timers] == ["transit_stay_exceeded"]
    state = taken(state, transit)
    moved = decide_housing(state, housing("GM0014", "regular"), AT + timedelta(days=100), STREAM)
    assert moved.verdict is None
    assert moved.cancelled[-1] == "transit_stay_exceeded:c-7:1"


def test_commands_about_a_case_without_a_permit_wait_for_it_in_the_case_stream() -> None:
    # given a case housing has no permit for yet
    unknown = CaseState("c-7")
    # when it is paired by hand or reported housed
    pairing = decide_manual_pairing(unknown, manual_choice("GM0014", {}), AT, STREAM)
    housed = decide_housing(unknown, housing("GM0014"), AT, STREAM)
    # then both wait for the permit, where housing will record it
    assert pairing == Decision.wait(STREAM, "the permit of case c-7")
    assert housed == Decision.wait(STREAM, "the permit of case c-7")


def test_a_permit_pairs_once_and_a_repeated_permit_changes_nothing() -> None:
    choice = manual_choice("GM0014", {})
    decision = decide_permit(CaseState("c-7"), PERMIT, choice, AT)
    (event,) = decision.events
    assert isinstance(event, PairedWithMunicipality)
    assert (event.persons, event.manual) == (4, False)
    assert decide_permit(taken(with_permit(), decision), PERMIT, choice, AT) == Decision()


def test_a_permit_whose_pairing_needs_the_stay_waits_for_it() -> None:
    stay = NotYet(STREAM, "the stay of case c-7")
    assert decide_permit(CaseState("c-7"), PERMIT, stay, AT) == Decision(verdict=stay)
