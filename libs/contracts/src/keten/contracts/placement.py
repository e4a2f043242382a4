"""Placement: where a household stays, from the application centre to its departure."""

from datetime import date
from typing import ClassVar

from keten.contracts.messages import Command, Event
from keten.contracts.topics import PLACEMENT_COMMANDS, PLACEMENT_EVENTS
from keten.contracts.values import (
    CaseId,
    DepartureReason,
    Flag,
    Household,
    LeaveReason,
    LocationId,
    LocationType,
    PositiveCount,
    Reason,
)


class TransferCase(Command):
    """A manual move of a household to another location, e.g. to an HTL."""

    topic: ClassVar[str | None] = PLACEMENT_COMMANDS

    case_id: CaseId
    to_location_id: LocationId
    reason: Reason


class RecordDeparture(Command):
    """A household left reception on its own, by force, or without notice."""

    topic: ClassVar[str | None] = PLACEMENT_COMMANDS

    case_id: CaseId
    reason: DepartureReason


class AdmittedToApplicationCentre(Event):
    """A household took places at its application centre."""

    topic: ClassVar[str | None] = PLACEMENT_EVENTS

    case_id: CaseId
    location_id: LocationId
    persons: PositiveCount
    household: Household


class TransferredToAZC(Event):
    """A household was transferred (doorplaatsing) to another location, by rule or by hand."""

    topic: ClassVar[str | None] = PLACEMENT_EVENTS

    case_id: CaseId
    from_location_id: LocationId
    to_location_id: LocationId
    to_location_type: LocationType
    persons: PositiveCount
    reason: Reason
    manual: Flag
    move_count: PositiveCount


class TransferDeferred(Event):
    """No location of the wanted type had room for the whole household; retried later."""

    topic: ClassVar[str | None] = PLACEMENT_EVENTS

    case_id: CaseId
    location_type: LocationType
    persons: PositiveCount
    reason: Reason


class LeftReception(Event):
    """A household left its location, which frees its places."""

    topic: ClassVar[str | None] = PLACEMENT_EVENTS

    case_id: CaseId
    location_id: LocationId
    persons: PositiveCount
    reason: LeaveReason


class StayLimitApproaching(Event):
    """Fourteen days remain of a household's stay at an HTL, which lasts at most 3 calendar
    months; the event's time is the moment of the warning."""

    topic: ClassVar[str | None] = PLACEMENT_EVENTS

    case_id: CaseId
    location_id: LocationId
    due_on: date  # the stay's last day


class StayLimitExceeded(Event):
    """A household is still at an HTL after its 3 calendar months; the event's time is the
    moment of the breach (00:00 local on the day after `due_on`)."""

    topic: ClassVar[str | None] = PLACEMENT_EVENTS

    case_id: CaseId
    location_id: LocationId
    due_on: date  # the stay's last day
