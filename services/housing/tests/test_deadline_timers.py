"""The deadline's timers, at the domain level, with an in-memory timer table: the warning
and the breach are raised once each per pairing, and never for a household housed in time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from keten.contracts.alerts import Alert
from keten.contracts.housing import (
    HousingDeadlineApproaching,
    HousingDeadlineMissed,
    PairedWithMunicipality,
    RecordHousing,
)
from keten.contracts.messages import Event
from keten.contracts.registration import PermitGranted
from keten.contracts.values import Household, HousingKind
from keten.housing.domain.case import (
    CaseState,
    decide_housing,
    decide_manual_pairing,
    evolve,
)
from keten.housing.domain.deadlines import decide_deadline, decide_transit_limit
from keten.housing.domain.pairing import manual_choice
from keten.housing.domain.timers import APPROACHING, MISSED, TRANSIT, TimerKind
from keten.kernel.decider import Decision, Timer

CET = timezone(timedelta(hours=1))
PERMIT_AT = datetime(2026, 1, 12, 10, 0, tzinfo=CET)
STREAM = "case-case-1"


@dataclass
class FakeTimers:
    """The kernel's timer table in memory: an id fires once, a cancelled one never."""

    pending: dict[str, Timer] = field(default_factory=dict)
    fired: set[str] = field(default_factory=set)

    def apply(self, decision: Decision) -> None:
        for timer_id in decision.cancelled:
            self.pending.pop(timer_id, None)
        for timer in decision.timers:
            if timer.timer_id not in self.fired:
                self.pending[timer.timer_id] = timer

    def take_due(self, now: datetime) -> list[Timer]:
        due = sorted((t for t in self.pending.values() if t.due_at <= now), key=lambda t: t.due_at)
        for timer in due:
            del self.pending[timer.timer_id]
            self.fired.add(timer.timer_id)
        return due


@dataclass
class Case:
    """A case driven through the domain as the handlers would, with its raised events."""

    state: CaseState = field(default_factory=lambda: CaseState("case-1"))
    timers: FakeTimers = field(default_factory=FakeTimers)
    raised: list[tuple[datetime, Event]] = field(default_factory=list)
    housed_at: datetime | None = None

    def record(self, decision: Decision) -> None:
        assert decision.verdict is None
        for event in decision.events:
            self.state = evolve(self.state, event)
        self.timers.apply(decision)

    def permit(self) -> None:
        permit = PermitGranted(case_id="case-1", household=Household(adults=2, minors=1))
        self.state = evolve(self.state, permit)

    def pair(self, at: datetime, code: str = "GM0014") -> None:
        self.record(decide_manual_pairing(self.state, manual_choice(code, {}), at, STREAM))

    def house(self, at: datetime, kind: HousingKind = "regular", code: str = "GM0014") -> None:
        command = RecordHousing(case_id="case-1", municipality_code=code, kind=kind)
        self.record(decide_housing(self.state, command, at, STREAM))
        self.housed_at = at

    def time_passes_until(self, now: datetime) -> None:
        for timer in self.timers.take_due(now):
            number = int(timer.payload["number"])
            if timer.kind == TRANSIT:
                assert self.housed_at is not None
                events = decide_transit_limit(self.state, number, self.housed_at)
            else:
                kind: TimerKind = APPROACHING if timer.kind == APPROACHING else MISSED
                events = decide_deadline(self.state, kind, number)
            for event in events:
                self.raised.append((timer.due_at, event))
                self.state = evolve(self.state, event)

    def raised_types(self) -> list[str]:
        return [
            event.kind if isinstance(event, Alert) else event.type_name()
            for _, event in self.raised
        ]


def test_an_unhoused_household_raises_the_warning_and_the_breach_once_each() -> None:
    # given a household paired on 12 January 2026, due on 20 April
    case = Case()
    case.permit()
    case.pair(PERMIT_AT)
    # when time passes well beyond the due date, in several steps
    for days in (50, 84, 90, 99, 120, 400):
        case.time_passes_until(PERMIT_AT + timedelta(days=days))
    # then each was raised once, with an alert, at the moment the rule was reached
    assert case.raised_types() == [
        "HousingDeadlineApproaching",
        "housing_deadline_approaching",
        "HousingDeadlineMissed",
        "housing_deadline_missed",
    ]
    moments = [moment for moment, _ in case.raised]
    assert moments[0] == datetime(2026, 4, 6, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    assert moments[2] == datetime(2026, 4, 21, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    missed = case.raised[2][1]
    assert isinstance(missed, HousingDeadlineMissed)
    assert missed.due_on == date(2026, 4, 20)


def test_a_timer_that_fires_again_raises_nothing_more() -> None:
    # given a breach already raised
    case = Case()
    case.permit()
    case.pair(PERMIT_AT)
    case.time_passes_until(PERMIT_AT + timedelta(days=200))
    # when the same timers are delivered again (a redelivery)
    again = decide_deadline(case.state, "housing_deadline_missed", 1)
    warned_again = decide_deadline(case.state, "housing_deadline_approaching", 1)
    # then
    assert again == ()
    assert warned_again == ()


def test_a_household_housed_in_time_raises_neither_warning_nor_breach() -> None:
    # given a paired household, housed ten weeks later
    case = Case()
    case.permit()
    case.pair(PERMIT_AT)
    case.house(PERMIT_AT + timedelta(weeks=10))
    # when the deadline passes
    case.time_passes_until(PERMIT_AT + timedelta(days=365))
    # then
    assert case.raised == []
    assert case.timers.pending == {}
    # and a timer that slipped through would raise nothing either
    assert decide_deadline(case.state, "housing_deadline_missed", 1) == ()


def test_a_household_housed_after_the_warning_raises_no_breach() -> None:
    case = Case()
    case.permit()
    case.pair(PERMIT_AT)
    case.time_passes_until(PERMIT_AT + timedelta(days=90))
    case.house(PERMIT_AT + timedelta(days=92))
    case.time_passes_until(PERMIT_AT + timedelta(days=365))
    assert case.raised_types() == ["HousingDeadlineApproaching", "housing_deadline_approaching"]


def test_a_pairing_by_hand_replaces_the_deadline_and_its_timers() -> None:
    # given a pairing, and a new pairing by hand 30 days later
    case = Case()
    case.permit()
    case.pair(PERMIT_AT)
    case.pair(PERMIT_AT + timedelta(days=30), code="GM0034")
    # when the first deadline passes, and the second is 9 days away
    case.time_passes_until(PERMIT_AT + timedelta(days=120))
    # then only the new pairing's warning was raised, for the new municipality
    assert case.raised_types() == ["HousingDeadlineApproaching", "housing_deadline_approaching"]
    warning = case.raised[0][1]
    assert isinstance(warning, HousingDeadlineApproaching)
    assert warning.municipality_code == "GM0034"
    assert warning.due_on == date(2026, 5, 20)
    # and a stale timer of the first pairing raises nothing
    assert decide_deadline(case.state, "housing_deadline_missed", 1) == ()


def test_a_transit_stay_over_a_year_raises_one_alert_and_moving_on_prevents_it() -> None:
    # given two households housed in transit locations, one of which moves on after 8 months
    staying, moving = Case(), Case()
    for case in (staying, moving):
        case.permit()
        case.pair(PERMIT_AT)
        case.house(PERMIT_AT + timedelta(weeks=6), kind="transit")
    moving.house(PERMIT_AT + timedelta(days=240), kind="regular")
    # when more than a year passes
    for case in (staying, moving):
        case.time_passes_until(PERMIT_AT + timedelta(days=800))
    # then
    assert staying.raised_types() == ["transit_stay_exceeded"]
    assert moving.raised_types() == []


def test_the_pairing_event_carries_the_household_and_its_due_date() -> None:
    case = Case()
    case.permit()
    decision = decide_manual_pairing(
        case.state, manual_choice("GM0014", {"GM0014": 7}), PERMIT_AT, STREAM
    )
    paired = decision.events[0]
    assert isinstance(paired, PairedWithMunicipality)
    assert (paired.persons, paired.paired_on, paired.due_on) == (
        3,
        date(2026, 1, 12),
        date(2026, 4, 20),
    )
    assert paired.reason.candidates[0].remaining == 7
