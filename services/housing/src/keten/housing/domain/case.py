"""A permit holder's case as housing sees it: where the household stays, its permit, its
pairing with a municipality and its housing. One stream per case; decisions are pure.

Invariants: a case is paired with at most one municipality at a time (a manual pairing
replaces the pairing and its deadline); it is housed only by the municipality it is paired
with; once housed it is not paired again. A command about a case whose permit housing has
not learned yet waits for it: the permit, and the pairing made on it, are on their way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

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
from keten.housing.domain.calendar import housing_deadline, period_of, transit_stay_limit
from keten.housing.domain.pairing import PairingChoice
from keten.housing.domain.timers import APPROACHING, MISSED, TRANSIT, schedule, timer_id
from keten.kernel.decider import Decision, Timer
from keten.kernel.verdicts import NotYet


@dataclass(frozen=True)
class Permit:
    household: Household
    ties: tuple[Tie, ...]


@dataclass(frozen=True)
class Pairing:
    number: int
    municipality_code: str
    persons: int
    due_on: date
    approaching_raised: bool = False
    missed_raised: bool = False


@dataclass(frozen=True)
class Housing:
    number: int
    municipality_code: str
    kind: HousingKind
    transit_alerted: bool = False


@dataclass(frozen=True)
class CaseState:
    case_id: str
    location_id: str | None = None
    permit: Permit | None = None
    pairing: Pairing | None = None
    pairings: int = 0
    housing: Housing | None = None
    housings: int = 0


def evolve(state: CaseState, message: Message) -> CaseState:  # noqa: PLR0911 - one per event
    match message:
        case AdmittedToApplicationCentre(location_id=location_id):
            return replace(state, location_id=location_id)
        case TransferredToAZC(to_location_id=location_id):
            return replace(state, location_id=location_id)
        case PermitGranted() as permit:
            return replace(state, permit=_permit(permit))
        case PairedWithMunicipality() as paired:
            return _paired(state, paired)
        case HousingDeadlineApproaching() if state.pairing is not None:
            return replace(state, pairing=replace(state.pairing, approaching_raised=True))
        case HousingDeadlineMissed() if state.pairing is not None:
            return replace(state, pairing=replace(state.pairing, missed_raised=True))
        case Housed() as housed:
            return _housed(state, housed)
        case Alert(kind="transit_stay_exceeded") if state.housing is not None:
            return replace(state, housing=replace(state.housing, transit_alerted=True))
    return state


def _permit(permit: PermitGranted) -> Permit:
    return Permit(permit.household, tuple(permit.ties))


def _paired(state: CaseState, paired: PairedWithMunicipality) -> CaseState:
    pairing = Pairing(
        number=state.pairings + 1,
        municipality_code=paired.municipality_code,
        persons=paired.persons,
        due_on=paired.due_on,
    )
    return replace(state, pairing=pairing, pairings=pairing.number)


def _housed(state: CaseState, housed: Housed) -> CaseState:
    housing = Housing(
        number=state.housings + 1, municipality_code=housed.municipality_code, kind=housed.kind
    )
    return replace(state, housing=housing, housings=housing.number)


def decide_permit(
    state: CaseState, permit: PermitGranted, choice: PairingChoice | NotYet, granted_at: datetime
) -> Decision:
    """Pairs the household on its permit by the pairing rule's `choice`, or waits for what the
    rule needs. A permit is taken once: a repeated PermitGranted changes nothing."""
    if state.permit is not None:
        return Decision()
    if isinstance(choice, NotYet):
        return Decision(verdict=choice)
    held = _permit(permit)
    return _pair(replace(state, permit=held), held, choice, granted_at, manual=False)


def decide_manual_pairing(
    state: CaseState, choice: PairingChoice, paired_at: datetime, stream: str
) -> Decision:
    """A pairing by hand replaces the current one and its timers. `stream` is where the
    case's facts are recorded: without a permit yet, it waits there for it."""
    if state.permit is None:
        return Decision.wait(stream, f"the permit of case {state.case_id}")
    return _pair(state, state.permit, choice, paired_at, manual=True)


def _pair(
    state: CaseState, permit: Permit, choice: PairingChoice, paired_at: datetime, *, manual: bool
) -> Decision:
    if state.housing is not None:
        return Decision.refuse(f"case {state.case_id} is already housed: it is not paired again")
    household = permit.household
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
    timers = (
        schedule(APPROACHING, state.case_id, number, deadline.warn_at),
        schedule(MISSED, state.case_id, number, deadline.breached_at),
    )
    return Decision(events=(event,), timers=timers, cancelled=_deadline_timers(state))


def decide_housing(
    state: CaseState, command: RecordHousing, housed_at: datetime, stream: str
) -> Decision:
    """Housing in the paired municipality; a household in a transit location may move on to
    regular or intermediate housing there once, which ends its transit stay. `stream` is
    where the case's facts are recorded: without a permit yet, it waits there for it (and for
    the pairing made on it)."""
    if state.permit is None:
        return Decision.wait(stream, f"the permit of case {state.case_id}")
    pairing = state.pairing
    if pairing is None:
        return Decision.refuse(f"case {state.case_id} is not paired: housing cannot be recorded")
    if command.municipality_code != pairing.municipality_code:
        return Decision.refuse(
            f"case {state.case_id} is paired with {pairing.municipality_code}, "
            f"not with {command.municipality_code}"
        )
    housing = state.housing
    moving_on = housing is not None and housing.kind == "transit" and command.kind != "transit"
    if housing is not None and not moving_on:
        return Decision.refuse(f"case {state.case_id} is already housed")
    event = Housed(
        case_id=state.case_id,
        municipality_code=command.municipality_code,
        kind=command.kind,
        persons=pairing.persons,
        period=period_of(housed_at),
    )
    cancelled = list(_deadline_timers(state))
    if housing is not None:
        cancelled.append(timer_id(TRANSIT, state.case_id, housing.number))
    timers: tuple[Timer, ...] = ()
    if command.kind == "transit":
        limit = transit_stay_limit(housed_at)
        timers = (schedule(TRANSIT, state.case_id, state.housings + 1, limit.breached_at),)
    return Decision(events=(event,), timers=timers, cancelled=tuple(cancelled))


def _deadline_timers(state: CaseState) -> tuple[str, ...]:
    """The timers of the current pairing's deadline, made moot by a new pairing or housing."""
    if state.pairing is None:
        return ()
    number = state.pairing.number
    return (timer_id(APPROACHING, state.case_id, number), timer_id(MISSED, state.case_id, number))
