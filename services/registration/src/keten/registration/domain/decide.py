"""What each message decides, given the state it is about: events, nothing, a refusal, or a
wait for a fact registration has not learnt yet (never a refusal for that).

Each function is pure; each reason names its rule and ids, never personal data.
"""

from __future__ import annotations

from datetime import datetime

from keten.contracts.alerts import Alert
from keten.contracts.capacity import LocationOpened
from keten.contracts.civil_time import ENTITLEMENT_TERM
from keten.contracts.registration import (
    ApplicationRejected,
    AssignTrack,
    AsylumApplied,
    PermitGranted,
    PersonalDataRecorded,
    ReceptionEntitlementEnded,
    RecordDecision,
    RegisterApplication,
    TrackAssigned,
)
from keten.contracts.values import is_accelerated
from keten.kernel.decider import Decision
from keten.registration.domain.case import Application, Case
from keten.registration.domain.centre import CentreKind
from keten.registration.domain.entitlement import entitlement_end, entitlement_timer
from keten.registration.streams import case_stream, centre_stream


def register(case: Case, command: RegisterApplication, centre: CentreKind) -> Decision:
    """A case is registered once, at an application centre. The same application again
    (another message id, same content) changes nothing; other content under a registered case
    id is refused. A centre whose opening is not learnt yet is waited for."""
    if case.application is not None:
        if case.application == Application.of(command):
            return Decision()
        return Decision.refuse(f"case {case.case_id} is already registered with other content")
    centre_id = command.application_centre_id
    if centre is None:
        return Decision.wait(centre_stream(centre_id), f"application centre {centre_id}")
    if centre != "application_centre":
        return Decision.refuse(f"location {centre_id} is not an application centre")
    applied = AsylumApplied(
        case_id=command.case_id,
        application_centre_id=centre_id,
        household=command.household,
        nationality=command.nationality,
        ties=command.ties,
    )
    return Decision(
        events=(applied, PersonalDataRecorded(case_id=command.case_id, personal=command.personal))
    )


def assign_track(case: Case, command: AssignTrack) -> Decision:
    """A case gets one track, before its decision. The same track again changes nothing."""
    if not case.registered:
        return _registration_awaited(case)
    if case.decided:
        return Decision.refuse(f"case {case.case_id} is already decided")
    if case.track == command.track:
        return Decision()
    if case.track is not None:
        return Decision.refuse(f"case {case.case_id} already has a track")
    accelerated = is_accelerated(command.track)
    return Decision(
        events=(TrackAssigned(case_id=case.case_id, track=command.track, accelerated=accelerated),)
    )


def record_decision(case: Case, command: RecordDecision, *, decided_at: datetime) -> Decision:
    """A grant or a final rejection decides a case, and a decided case takes no more
    decisions. A final rejection sets the end of reception (see `entitlement_end`) and the
    timer that ends it."""
    if case.application is None:
        return _registration_awaited(case)
    if case.decided:
        return Decision.refuse(f"case {case.case_id} is already decided")
    if command.outcome == "granted":
        household, ties = case.application.household, list(case.application.ties)
        return Decision(
            events=(PermitGranted(case_id=case.case_id, household=household, ties=ties),)
        )
    if not command.final:
        return Decision(events=(ApplicationRejected(case_id=case.case_id, final=False),))
    end = entitlement_end(decided_at)
    rejected = ApplicationRejected(
        case_id=case.case_id, final=True, entitlement_ends_on=end.due_date
    )
    return Decision(events=(rejected,), timers=(entitlement_timer(case.case_id, end),))


def end_entitlement(case: Case) -> Decision:
    """When the 28 days after a final rejection have passed: the entitlement ends, once, and
    people are alerted. The alert names the case id and dates only."""
    if case.entitlement_ends_on is None or case.entitlement_ended:
        return Decision()
    ended_on = case.entitlement_ends_on
    summary = (
        f"Reception entitlement of case {case.case_id} ended on {ended_on.isoformat()}, "
        f"{ENTITLEMENT_TERM.days} days after the final rejection"
    )
    alert = Alert(
        kind="reception_entitlement_ended", subject_id=case.case_id, summary=summary, due=ended_on
    )
    return Decision(
        events=(ReceptionEntitlementEnded(case_id=case.case_id, ended_on=ended_on), alert)
    )


def learn_location(kind: CentreKind, opened: LocationOpened) -> Decision:
    """Capacity's opening of a location, kept once: what waits for it can then run."""
    return Decision() if kind is not None else Decision(events=(opened,))


def _registration_awaited(case: Case) -> Decision:
    """A command for a case not registered yet waits for its registration."""
    return Decision.wait(case_stream(case.case_id), f"case {case.case_id}")
