"""A case's commands: housing only where it is paired, pairing only with a permit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from keten.contracts.housing import Housed, RecordHousing
from keten.contracts.registration import PermitGranted
from keten.contracts.values import Household
from keten.housing.domain.case import (
    CaseState,
    Fact,
    accepts_permit,
    decide_housing,
    decide_pairing,
    evolve,
)
from keten.housing.domain.decision import ScheduleTimer
from keten.housing.domain.errors import Refused
from keten.housing.domain.pairing import manual_choice

CET = timezone(timedelta(hours=1))
AT = datetime(2026, 2, 2, 9, 0, tzinfo=CET)


def with_permit() -> CaseState:
    permit = PermitGranted(case_id="c-7", household=Household(adults=1, minors=3))
    return evolve(CaseState("c-7"), Fact(permit, AT))


def paired(code: str = "GM0014") -> CaseState:
    state = with_permit()
    for event in decide_pairing(state, manual_choice(code, {}), AT, manual=False).events:
        state = evolve(state, Fact(event, AT))
    return state


def housing(code: str, kind: str = "regular") -> RecordHousing:
    return RecordHousing.model_validate({"case_id": "c-7", "municipality_code": code, "kind": kind})


def test_housing_a_case_that_is_not_paired_is_refused() -> None:
    with pytest.raises(Refused, match="case c-7 is not paired"):
        decide_housing(with_permit(), housing("GM0014"), AT)


def test_housing_in_another_municipality_than_the_paired_one_is_refused() -> None:
    with pytest.raises(Refused, match="paired with GM0014, not with GM0034"):
        decide_housing(paired("GM0014"), housing("GM0034"), AT)


def test_housing_counts_the_persons_in_the_period_of_housing() -> None:
    # given a household of four paired in February, when housed on 1 July 2026
    decision = decide_housing(paired(), housing("GM0014"), datetime(2026, 7, 1, 8, tzinfo=CET))
    # then
    (event,) = decision.events
    assert isinstance(event, Housed)
    assert (event.persons, event.period) == (4, "2026-H2")


def test_a_case_housed_once_is_not_housed_again_nor_paired_again() -> None:
    state = paired()
    for event in decide_housing(state, housing("GM0014"), AT).events:
        state = evolve(state, Fact(event, AT))
    with pytest.raises(Refused, match="already housed"):
        decide_housing(state, housing("GM0014"), AT)
    with pytest.raises(Refused, match="already housed"):
        decide_pairing(state, manual_choice("GM0034", {}), AT, manual=True)


def test_a_household_in_transit_housing_may_move_on_once_and_that_ends_its_transit_timer() -> None:
    state = paired()
    transit = decide_housing(state, housing("GM0014", "transit"), AT)
    assert any(
        isinstance(t, ScheduleTimer) and t.kind == "transit_stay_exceeded" for t in transit.timers
    )
    for event in transit.events:
        state = evolve(state, Fact(event, AT))
    moved = decide_housing(state, housing("GM0014", "regular"), AT + timedelta(days=100))
    assert [t.timer_id for t in moved.timers if not isinstance(t, ScheduleTimer)][-1] == (
        "transit_stay_exceeded:c-7:1"
    )


def test_a_case_without_a_permit_cannot_be_paired_by_hand() -> None:
    with pytest.raises(Refused, match="has no permit"):
        decide_pairing(CaseState("c-7"), manual_choice("GM0014", {}), AT, manual=True)


def test_a_permit_is_taken_once() -> None:
    assert accepts_permit(CaseState("c-7"))
    assert not accepts_permit(with_permit())
