"""A case's state as far as registration's rules need it, and how its events change it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from keten.contracts.messages import Message
from keten.contracts.registration import (
    ApplicationRejected,
    AsylumApplied,
    PermitGranted,
    PersonalDataRecorded,
    ReceptionEntitlementEnded,
    RegisterApplication,
    TrackAssigned,
)
from keten.contracts.values import Household, PersonalData, Tie, Track


@dataclass(frozen=True)
class Application:
    """What was registered: compared field by field to tell a repeat from a conflict."""

    application_centre_id: str
    household: Household
    nationality: str
    ties: tuple[Tie, ...]
    personal: PersonalData | None = None

    @classmethod
    def of(cls, command: RegisterApplication) -> Application:
        return cls(
            application_centre_id=command.application_centre_id,
            household=command.household,
            nationality=command.nationality,
            ties=tuple(command.ties),
            personal=command.personal,
        )


@dataclass(frozen=True)
class Case:
    """Invariant: `track`, the decision and the entitlement only follow an application."""

    case_id: str
    application: Application | None = None
    track: Track | None = None
    granted: bool = False
    entitlement_ends_on: date | None = None  # set by a final rejection
    entitlement_ended: bool = False

    @property
    def registered(self) -> bool:
        return self.application is not None

    @property
    def decided(self) -> bool:
        """A grant or a final rejection decides a case; a non-final rejection does not."""
        return self.granted or self.entitlement_ends_on is not None


def evolve(case: Case, event: Message) -> Case:  # noqa: PLR0911 - one arm per event type
    """The case after `event`; events that do not change it (an alert) leave it as it was."""
    match event:
        case AsylumApplied():
            application = Application(
                event.application_centre_id, event.household, event.nationality, tuple(event.ties)
            )
            return dataclasses.replace(case, application=application)
        case PersonalDataRecorded() if case.application is not None:
            application = dataclasses.replace(case.application, personal=event.personal)
            return dataclasses.replace(case, application=application)
        case TrackAssigned():
            return dataclasses.replace(case, track=event.track)
        case PermitGranted():
            return dataclasses.replace(case, granted=True)
        case ApplicationRejected(final=True):
            return dataclasses.replace(case, entitlement_ends_on=event.entitlement_ends_on)
        case ReceptionEntitlementEnded():
            return dataclasses.replace(case, entitlement_ended=True)
        case _:
            return case


def replay(case_id: str, events: Iterable[Message]) -> Case:
    case = Case(case_id)
    for event in events:
        case = evolve(case, event)
    return case
