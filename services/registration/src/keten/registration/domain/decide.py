"""What each command decides, given the case as it stands: events, nothing, or a refusal.

Each function is pure; each refusal names its rule and the case id, never personal data.
"""

from __future__ import annotations

from datetime import datetime

from keten.contracts.alerts import Alert
from keten.contracts.civil_time import ENTITLEMENT_TERM
from keten.contracts.messages import Event
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
from keten.registration.domain.case import Application, Case
from keten.registration.domain.entitlement import entitlement_end
from keten.registration.domain.refused import Refused


def register(case: Case, command: RegisterApplication, *, centre_known: bool) -> list[Event]:
    """A case is registered once. The same application again (another message id, same
    content) changes nothing; other content under a registered case id is refused."""
    if case.application is not None:
        if case.application == Application.of(command):
            return []
        raise Refused(f"case {case.case_id} is already registered with other content")
    if not centre_known:
        raise Refused(f"application centre {command.application_centre_id} is not known")
    return [
        AsylumApplied(
            case_id=command.case_id,
            application_centre_id=command.application_centre_id,
            household=command.household,
            nationality=command.nationality,
            ties=command.ties,
        ),
        PersonalDataRecorded(case_id=command.case_id, personal=command.personal),
    ]


def assign_track(case: Case, command: AssignTrack) -> list[Event]:
    """A case gets one track, before its decision. The same track again changes nothing."""
    _require_registered(case)
    if case.decided:
        raise Refused(f"case {case.case_id} is already decided")
    if case.track == command.track:
        return []
    if case.track is not None:
        raise Refused(f"case {case.case_id} already has a track")
    return [
        TrackAssigned(
            case_id=case.case_id, track=command.track, accelerated=is_accelerated(command.track)
        )
    ]


def record_decision(case: Case, command: RecordDecision, *, decided_at: datetime) -> list[Event]:
    """A grant or a final rejection decides a case, and a decided case takes no more
    decisions. A final rejection sets the end of reception (see `entitlement_end`)."""
    _require_registered(case)
    if case.decided:
        raise Refused(f"case {case.case_id} is already decided")
    assert case.application is not None
    if command.outcome == "granted":
        application = case.application
        return [
            PermitGranted(
                case_id=case.case_id, household=application.household, ties=list(application.ties)
            )
        ]
    ends_on = entitlement_end(decided_at).due_date if command.final else None
    return [
        ApplicationRejected(case_id=case.case_id, final=command.final, entitlement_ends_on=ends_on)
    ]


def end_entitlement(case: Case) -> list[Event]:
    """When the 28 days after a final rejection have passed: the entitlement ends, once, and
    people are alerted. The alert names the case id and dates only."""
    if case.entitlement_ends_on is None or case.entitlement_ended:
        return []
    ended_on = case.entitlement_ends_on
    days = ENTITLEMENT_TERM.days
    summary = (
        f"Reception entitlement of case {case.case_id} ended on {ended_on.isoformat()}, "
        f"{days} days after the final rejection"
    )
    return [
        ReceptionEntitlementEnded(case_id=case.case_id, ended_on=ended_on),
        Alert(
            kind="reception_entitlement_ended",
            subject_id=case.case_id,
            summary=summary,
            due=ended_on,
        ),
    ]


def _require_registered(case: Case) -> None:
    if not case.registered:
        raise Refused(f"case {case.case_id} is not registered")
