"""Registration: applications, tracks and IND decisions."""

from datetime import date
from typing import ClassVar, Self

from pydantic import ConfigDict, Field, model_validator

from keten.contracts.messages import Command, Event
from keten.contracts.topics import REGISTRATION_COMMANDS, REGISTRATION_EVENTS
from keten.contracts.values import (
    CaseId,
    Flag,
    Household,
    LocationId,
    Nationality,
    Outcome,
    PersonalData,
    Tie,
    Track,
    is_accelerated,
)

MAX_TIES = 20


class RegisterApplication(Command):
    """An asylum application (aanmelding) at an application centre, with the applicant's data."""

    model_config = ConfigDict(hide_input_in_errors=True)
    topic: ClassVar[str | None] = REGISTRATION_COMMANDS

    case_id: CaseId
    application_centre_id: LocationId
    household: Household
    nationality: Nationality
    ties: list[Tie] = Field(default_factory=list, max_length=MAX_TIES)
    personal: PersonalData


class AssignTrack(Command):
    """The track (spoor) chosen for a case at the end of screening."""

    topic: ClassVar[str | None] = REGISTRATION_COMMANDS

    case_id: CaseId
    track: Track


class RecordDecision(Command):
    """The IND's decision on a case; `final` applies to a rejection."""

    topic: ClassVar[str | None] = REGISTRATION_COMMANDS

    case_id: CaseId
    outcome: Outcome
    final: Flag = False


class AsylumApplied(Event):
    """A case was registered at an application centre; carries no personal data."""

    topic: ClassVar[str | None] = REGISTRATION_EVENTS

    case_id: CaseId
    application_centre_id: LocationId
    household: Household
    nationality: Nationality
    ties: list[Tie] = Field(default_factory=list, max_length=MAX_TIES)


class PersonalDataRecorded(Event):
    """The applicant's personal data, kept in the registration store only and never published."""

    model_config = ConfigDict(hide_input_in_errors=True)
    topic: ClassVar[str | None] = None

    case_id: CaseId
    personal: PersonalData


class TrackAssigned(Event):
    """A case was given its track; `accelerated` for dublin, safe_country and low_recognition."""

    topic: ClassVar[str | None] = REGISTRATION_EVENTS

    case_id: CaseId
    track: Track
    accelerated: Flag

    @model_validator(mode="after")
    def _accelerated_matches_track(self) -> Self:
        if self.accelerated != is_accelerated(self.track):
            raise ValueError("accelerated does not match the track")
        return self


class PermitGranted(Event):
    """The IND granted a permit: the household are now permit holders (statushouders)."""

    topic: ClassVar[str | None] = REGISTRATION_EVENTS

    case_id: CaseId
    household: Household
    ties: list[Tie] = Field(default_factory=list, max_length=MAX_TIES)


class ApplicationRejected(Event):
    """The IND rejected the application; a final rejection ends reception 28 days later."""

    topic: ClassVar[str | None] = REGISTRATION_EVENTS

    case_id: CaseId
    final: Flag
    entitlement_ends_on: date | None = None

    @model_validator(mode="after")
    def _end_date_only_when_final(self) -> Self:
        if self.final != (self.entitlement_ends_on is not None):
            raise ValueError("entitlement_ends_on is set exactly when the rejection is final")
        return self


class ReceptionEntitlementEnded(Event):
    """The right to reception ended, 28 days after a final rejection."""

    topic: ClassVar[str | None] = REGISTRATION_EVENTS

    case_id: CaseId
    ended_on: date
