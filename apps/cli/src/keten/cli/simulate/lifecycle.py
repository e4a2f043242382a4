"""The life of one case in the plan: application, track, decisions and, after a final
rejection, departure (domain.md, "The life of a case"). Housing is planned across all permit
holders at once (`housing.py`), and the few moves to the HTL or IBO after that (`special_move`)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from keten.cli.simulate.parameters import Procedure, Scenario, Spread
from keten.cli.simulate.people import Applicant, personal_data, pick
from keten.cli.simulate.plan import PHASE_HOURS, Intent, Phase, Step
from keten.contracts.placement import RecordDeparture, TransferCase
from keten.contracts.registration import AssignTrack, RecordDecision, RegisterApplication
from keten.contracts.values import HousingKind, Outcome, is_accelerated

COA = "coa/simulator"
IND = "ind/simulator"

Decision = tuple[date, Outcome, bool]


class SpecialPlaces:
    """A location only manual transfers fill (HTL, IBO): the plan admits a household only if
    the location has room on every day of the stay, so no transfer is refused."""

    def __init__(self, location_id: str, capacity: int) -> None:
        self.location_id = location_id
        self.capacity = capacity
        self._occupied: dict[date, int] = {}

    def admit(self, persons: int, first: date, until: date) -> bool:
        stay = [first + timedelta(days=n) for n in range((until - first).days)]
        if any(self._occupied.get(day, 0) + persons > self.capacity for day in stay):
            return False
        for day in stay:
            self._occupied[day] = self._occupied.get(day, 0) + persons
        return True


@dataclass(frozen=True)
class Setting:
    """What every life in a plan shares: the scenario, the days it spans, where to apply."""

    scenario: Scenario
    first_day: date
    end: date
    centres: tuple[tuple[str, float], ...]  # application centre id, share of applications
    htl: SpecialPlaces | None
    ibo: SpecialPlaces | None


@dataclass
class Life:
    """A case's commands and the days that matter for the forecast."""

    case_id: str
    who: Applicant
    arrived: date
    steps: list[Step] = field(default_factory=list)
    track_on: date | None = None
    outcomes: list[Decision] = field(default_factory=list)
    granted: date | None = None
    left: date | None = None  # housed or departed
    housed: list[tuple[date, HousingKind]] = field(default_factory=list)

    @property
    def persons(self) -> int:
        return self.who.persons

    def add(self, rng: random.Random, setting: Setting, day: date, message: Intent) -> bool:
        """Adds the command at a moment in its phase if its day lies within the plan."""
        if day >= setting.end:
            return False
        phase = PHASES[message.type_name()]
        start, stop = PHASE_HOURS[phase]
        minute = rng.randrange(start * 60, stop * 60)
        self.steps.append(Step(day, phase, minute, self.case_id, SOURCES[phase], message))
        return True


PHASES = {
    "RegisterApplication": Phase.CASES,
    "AssignTrack": Phase.CASES,
    "RecordDecision": Phase.CASES,
    "TransferCase": Phase.MOVES,
    "RecordDeparture": Phase.MOVES,
    "RecordHousing": Phase.HOUSING,
}
SOURCES = {Phase.CASES: IND, Phase.MOVES: COA, Phase.HOUSING: "gemeente/simulator"}


def live(  # noqa: PLR0913 - a case's facts, named
    rng: random.Random,
    setting: Setting,
    case_id: str,
    who: Applicant,
    applied_on: date,
    *,
    granted_on: date | None = None,
) -> Life:
    """The commands of one case from its application on `applied_on`; `granted_on` forces a
    permit on that day (the permit holders already waiting when the window opens)."""
    life = Life(case_id, who, applied_on)
    registration = RegisterApplication(
        case_id=case_id,
        application_centre_id=pick(rng, setting.centres),
        household=who.household,
        nationality=who.nationality,
        ties=list(who.ties),
        personal=personal_data(rng, applied_on),
    )
    life.add(rng, setting, applied_on, registration)
    track_on = applied_on + timedelta(days=setting.scenario.procedure.track_after.draw(rng))
    if granted_on is not None:
        track_on = min(track_on, granted_on - timedelta(days=1))
    if not life.add(rng, setting, track_on, AssignTrack(case_id=case_id, track=who.track)):
        return life
    life.track_on = track_on
    for day, outcome, final in _decisions(rng, setting.scenario, who, track_on, granted_on):
        decision = RecordDecision(case_id=case_id, outcome=outcome, final=final)
        if not life.add(rng, setting, day, decision):
            break
        life.outcomes.append((day, outcome, final))
        if outcome == "granted":
            life.granted = day
        elif final:
            _departure(rng, setting, life, day)
    return life


def _decisions(
    rng: random.Random, scenario: Scenario, who: Applicant, track_on: date, granted_on: date | None
) -> list[Decision]:
    """The IND's decisions: a grant or a final rejection, or an appealed rejection first."""
    procedure = scenario.procedure
    if granted_on is not None:
        return [(granted_on, "granted", False)]
    if who.joining:
        first = track_on + timedelta(days=scenario.joining.decision.draw(rng))
        return [(first, "granted" if rng.random() < who.grant_rate else "rejected", True)]
    if is_accelerated(who.track):
        spread = _accelerated_delay(procedure, who)
        first = track_on + timedelta(days=spread.draw(rng))
        granted = rng.random() < procedure.accelerated_grant_rate
        return [(first, "granted" if granted else "rejected", not granted)]
    first = track_on + timedelta(days=procedure.general_decision.draw(rng))
    if rng.random() < who.grant_rate:
        return [(first, "granted", False)]
    if rng.random() < procedure.general_final_share:
        return [(first, "rejected", True)]
    appealed = first + timedelta(days=procedure.appeal.draw(rng))
    granted = rng.random() < procedure.appeal_grant_rate
    return [
        (first, "rejected", False),
        (appealed, "granted" if granted else "rejected", not granted),
    ]


def _accelerated_delay(procedure: Procedure, who: Applicant) -> Spread:
    match who.track:
        case "dublin":
            return procedure.dublin_decision
        case "safe_country":
            return procedure.safe_country_decision
        case _:
            return procedure.low_recognition_decision


def _departure(rng: random.Random, setting: Setting, life: Life, rejected_on: date) -> None:
    """After a final rejection the household leaves: on its own, by force, or unseen."""
    departures = setting.scenario.procedure.departures
    reason, _, spread = pick(rng, [(d, d[1]) for d in departures])
    left_on = rejected_on + timedelta(days=spread.draw(rng))
    if life.add(rng, setting, left_on, RecordDeparture(case_id=life.case_id, reason=reason)):
        life.left = left_on


def special_move(rng: random.Random, setting: Setting, life: Life) -> None:
    """A few single adults go to the HTL (safe countries) or the IBO (general track) before
    their first decision, if the location has room until they leave."""
    procedure = setting.scenario.procedure
    who = life.who
    if not who.single or life.track_on is None:
        return
    if who.track == "safe_country" and setting.htl is not None:
        target, share, after = setting.htl, procedure.htl_share, procedure.htl_after
        reason = "manual transfer: enforcement and supervision"
    elif who.track == "general" and not who.joining and setting.ibo is not None:
        target, share, after = setting.ibo, procedure.ibo_share, procedure.ibo_after
        reason = "manual transfer: intensive supervision"
    else:
        return
    if rng.random() >= share:
        return
    moved_on = life.track_on + timedelta(days=after.draw(rng))
    until = life.left or setting.end
    first_decision = life.outcomes[0][0] if life.outcomes else setting.end
    if moved_on >= min(first_decision, until) or not target.admit(who.persons, moved_on, until):
        return
    move = TransferCase(case_id=life.case_id, to_location_id=target.location_id, reason=reason)
    life.add(rng, setting, moved_on, move)
