"""A permit holder's case as housing sees it: where the household stays, its permit, its
pairing with a municipality and its housing. One stream per case; decisions are pure.

Invariants: a case is paired with at most one municipality at a time (a manual pairing
replaces the pairing and its deadline); it is housed only by the municipality it is paired
with; once housed it is not paired again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from keten.contracts.alerts import Alert
from keten.contracts.civil_time import civil_date
from keten.contracts.housing import (
    Housed,
    HousingDeadlineApproaching,
    HousingDeadlineMissed,
    PairedWithMunicipality,
    RecordHousing,
)
from keten.contracts.messages import Message
from keten.contracts.placement import AdmittedToApplicationCentre, TransferredToAZC
from keten.contracts.registration import PermitGranted
from keten.contracts.values import Household, HousingKind, Tie
from keten.housing.domain.calendar import (
    Deadline,
    housing_deadline,
    period_of,
    transit_stay_limit,
)
from keten.housing.domain.decision import (
    APPROACHING,
    MISSED,
    TRANSIT,
    CancelTimer,
    Decision,
    TimerInstruction,
    schedule,
    timer_id,
)
from keten.housing.domain.errors import Refused
from keten.housing.domain.pairing import PairingChoice


@dataclass(frozen=True)
class Fact:
    """A recorded event as the domain folds it."""

    message: Message
    occurred_at: datetime
    event_id: str = ""
    correlation_id: str | None = None


@dataclass(frozen=True)
class Permit:
    household: Household
    ties: tuple[Tie, ...]
    granted_at: datetime


@dataclass(frozen=True)
class Pairing:
    number: int
    municipality_code: str
    persons: int
    deadline: Deadline
    event_id: str
    correlation_id: str | None
    approaching_raised: bool = False
    missed_raised: bool = False


@dataclass(frozen=True)
class Housing:
    number: int
    municipality_code: str
    kind: HousingKind
    housed_at: datetime
    event_id: str
    correlation_id: str | None
    transit_alerted: bool = False


@dataclass(frozen=True)
class CaseState:
    case_id: str
    version: int = 0
    location_id: str | None = None
    permit: Permit | None = None
    pairing: Pairing | None = None
    pairings: int = 0
    housing: Housing | None = None
    housings: int = 0


def fold(case_id: str, facts: Iterable[Fact]) -> CaseState:
    state = CaseState(case_id)
    for fact in facts:
        state = evolve(state, fact)
    return state


def evolve(state: CaseState, fact: Fact) -> CaseState:  # noqa: PLR0911 - one line per event
    state = replace(state, version=state.version + 1)
    match fact.message:
        case AdmittedToApplicationCentre(location_id=location_id):
            return replace(state, location_id=location_id)
        case TransferredToAZC(to_location_id=location_id):
            return replace(state, location_id=location_id)
        case PermitGranted(household=household, ties=ties):
            return replace(state, permit=Permit(household, tuple(ties), fact.occurred_at))
        case PairedWithMunicipality() as paired:
            return _paired(state, paired, fact)
        case HousingDeadlineApproaching() if state.pairing is not None:
            return replace(state, pairing=replace(state.pairing, approaching_raised=True))
        case HousingDeadlineMissed() if state.pairing is not None:
            return replace(state, pairing=replace(state.pairing, missed_raised=True))
        case Housed() as housed:
            return _housed(state, housed, fact)
        case Alert(kind="transit_stay_exceeded") if state.housing is not None:
            return replace(state, housing=replace(state.housing, transit_alerted=True))
    return state


def _paired(state: CaseState, paired: PairedWithMunicipality, fact: Fact) -> CaseState:
    pairing = Pairing(
        number=state.pairings + 1,
        municipality_code=paired.municipality_code,
        persons=paired.persons,
        deadline=housing_deadline(fact.occurred_at),
        event_id=fact.event_id,
        correlation_id=fact.correlation_id,
    )
    return replace(state, pairing=pairing, pairings=pairing.number)


def _housed(state: CaseState, housed: Housed, fact: Fact) -> CaseState:
    housing = Housing(
        number=state.housings + 1,
        municipality_code=housed.municipality_code,
        kind=housed.kind,
        housed_at=fact.occurred_at,
        event_id=fact.event_id,
        correlation_id=fact.correlation_id,
    )
    return replace(state, housing=housing, housings=housing.number)


def accepts_permit(state: CaseState) -> bool:
    """A permit is recorded once; a repeated PermitGranted changes nothing."""
    return state.permit is None


def decide_pairing(
    state: CaseState, choice: PairingChoice, paired_at: datetime, *, manual: bool
) -> Decision:
    """Pairs the household; a pairing by hand replaces the current one and its timers."""
    if state.permit is None:
        raise Refused(f"case {state.case_id} has no permit: there is nothing to pair")
    if state.housing is not None:
        raise Refused(f"case {state.case_id} is already housed: it is not paired again")
    household = state.permit.household
    deadline = housing_deadline(paired_at)
    number = state.pairings + 1
    event = PairedWithMunicipality(
        case_id=state.case_id,
        municipality_code=choice.municipality_code,
        persons=household.persons,
        household=household,
        paired_on=civil_date(paired_at),
        due_on=deadline.due_on,
        manual=manual,
        reason=choice.reason,
    )
    timers: tuple[TimerInstruction, ...] = (
        *_drop_deadline_timers(state),
        schedule(APPROACHING, state.case_id, number, deadline.warn_at),
        schedule(MISSED, state.case_id, number, deadline.breached_at),
    )
    return Decision((event,), timers)


def decide_housing(state: CaseState, command: RecordHousing, housed_at: datetime) -> Decision:
    """Housing in the paired municipality; a household in a transit location may move on to
    regular or intermediate housing there once, which ends its transit stay."""
    pairing = state.pairing
    if pairing is None:
        raise Refused(f"case {state.case_id} is not paired: housing cannot be recorded")
    if command.municipality_code != pairing.municipality_code:
        raise Refused(
            f"case {state.case_id} is paired with {pairing.municipality_code}, "
            f"not with {command.municipality_code}"
        )
    housing = state.housing
    moving_on = housing is not None and housing.kind == "transit" and command.kind != "transit"
    if housing is not None and not moving_on:
        raise Refused(f"case {state.case_id} is already housed")
    event = Housed(
        case_id=state.case_id,
        municipality_code=command.municipality_code,
        kind=command.kind,
        persons=pairing.persons,
        period=period_of(housed_at),
    )
    timers: list[TimerInstruction] = list(_drop_deadline_timers(state))
    if housing is not None:
        timers.append(CancelTimer(timer_id(TRANSIT, state.case_id, housing.number)))
    if command.kind == "transit":
        limit = transit_stay_limit(housed_at)
        timers.append(schedule(TRANSIT, state.case_id, state.housings + 1, limit.breached_at))
    return Decision((event,), tuple(timers))


def _drop_deadline_timers(state: CaseState) -> tuple[CancelTimer, ...]:
    if state.pairing is None:
        return ()
    number = state.pairing.number
    return (
        CancelTimer(timer_id(APPROACHING, state.case_id, number)),
        CancelTimer(timer_id(MISSED, state.case_id, number)),
    )
