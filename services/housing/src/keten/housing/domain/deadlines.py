"""What a durable timer raises when its moment comes: the housing deadline's warning and
breach, and a transit stay over its year. Each is raised at most once per pairing (or stay),
and never for a household that was housed (in time, or moved out of transit)."""

from __future__ import annotations

from datetime import datetime

from keten.contracts.alerts import Alert
from keten.contracts.civil_time import DEADLINE_WARNING
from keten.contracts.housing import HousingDeadlineApproaching, HousingDeadlineMissed
from keten.contracts.messages import Event
from keten.housing.domain.calendar import transit_stay_limit
from keten.housing.domain.case import CaseState, Pairing
from keten.housing.domain.timers import APPROACHING, MISSED, TimerKind


def decide_deadline(state: CaseState, kind: TimerKind, number: int) -> tuple[Event, ...]:
    """The events for the deadline timer `kind` of pairing `number`, if still due."""
    pairing = state.pairing
    if pairing is None or pairing.number != number or state.housing is not None:
        return ()
    if kind == APPROACHING and not pairing.approaching_raised:
        return _approaching(state.case_id, pairing)
    if kind == MISSED and not pairing.missed_raised:
        return _missed(state.case_id, pairing)
    return ()


def decide_transit_limit(state: CaseState, number: int, housed_at: datetime) -> tuple[Event, ...]:
    """The alert for a transit stay (housing `number`, from `housed_at`) that is still going
    after a year."""
    housing = state.housing
    if (
        housing is None
        or housing.number != number
        or housing.kind != "transit"
        or housing.transit_alerted
    ):
        return ()
    due_on = transit_stay_limit(housed_at).due_on
    alert = Alert(
        kind="transit_stay_exceeded",
        subject_id=state.case_id,
        summary=(
            f"case {state.case_id}: the stay in a transit location in "
            f"{housing.municipality_code} exceeded one year (until {due_on.isoformat()})"
        ),
        due=due_on,
        figures={"municipality_code": housing.municipality_code},
    )
    return (alert,)


def _approaching(case_id: str, pairing: Pairing) -> tuple[Event, ...]:
    due_on = pairing.due_on
    event = HousingDeadlineApproaching(
        case_id=case_id, municipality_code=pairing.municipality_code, due_on=due_on
    )
    alert = Alert(
        kind="housing_deadline_approaching",
        subject_id=case_id,
        summary=(
            f"case {case_id}: {DEADLINE_WARNING.days} days left to house {pairing.persons} "
            f"persons in {pairing.municipality_code} (due {due_on.isoformat()})"
        ),
        due=due_on,
        figures=_figures(pairing),
    )
    return (event, alert)


def _missed(case_id: str, pairing: Pairing) -> tuple[Event, ...]:
    due_on = pairing.due_on
    event = HousingDeadlineMissed(
        case_id=case_id, municipality_code=pairing.municipality_code, due_on=due_on
    )
    alert = Alert(
        kind="housing_deadline_missed",
        subject_id=case_id,
        summary=(
            f"case {case_id}: {pairing.persons} persons not housed in "
            f"{pairing.municipality_code} within 14 weeks of pairing (due {due_on.isoformat()})"
        ),
        due=due_on,
        figures=_figures(pairing),
    )
    return (event, alert)


def _figures(pairing: Pairing) -> dict[str, int | str]:
    return {
        "municipality_code": pairing.municipality_code,
        "persons": pairing.persons,
        "pairing": pairing.number,
    }
