"""Capacity ledger: reception locations, their places, and municipalities' reception targets."""

from typing import ClassVar

from keten.contracts.messages import Command, Event
from keten.contracts.topics import CAPACITY_COMMANDS, CAPACITY_EVENTS
from keten.contracts.values import (
    Count,
    LocationId,
    LocationType,
    MunicipalityCode,
    Name,
    Province,
    Reason,
)


class OpenLocation(Command):
    """Open a reception location with a number of places (opvangplekken)."""

    topic: ClassVar[str | None] = CAPACITY_COMMANDS

    location_id: LocationId
    name: Name
    type: LocationType
    municipality_code: MunicipalityCode
    capacity: Count


class ChangeCapacity(Command):
    """Set a location's number of places, up or down."""

    topic: ClassVar[str | None] = CAPACITY_COMMANDS

    location_id: LocationId
    capacity: Count
    reason: Reason


class CloseLocation(Command):
    """Close a reception location."""

    topic: ClassVar[str | None] = CAPACITY_COMMANDS

    location_id: LocationId


class SetReceptionTarget(Command):
    """A municipality's indicative reception task under the Dispersal Act (Spreidingswet)."""

    topic: ClassVar[str | None] = CAPACITY_COMMANDS

    municipality_code: MunicipalityCode
    places: Count


class LocationOpened(Event):
    """A reception location opened, in a municipality and province, with its places."""

    topic: ClassVar[str | None] = CAPACITY_EVENTS

    location_id: LocationId
    name: Name
    type: LocationType
    municipality_code: MunicipalityCode
    province: Province
    capacity: Count


class CapacityChanged(Event):
    """A location's number of places changed."""

    topic: ClassVar[str | None] = CAPACITY_EVENTS

    location_id: LocationId
    capacity: Count
    previous_capacity: Count
    reason: Reason


class LocationClosed(Event):
    """A reception location closed."""

    topic: ClassVar[str | None] = CAPACITY_EVENTS

    location_id: LocationId


class OverCapacity(Event):
    """A location holds more people than it has places, e.g. after a capacity cut."""

    topic: ClassVar[str | None] = CAPACITY_EVENTS

    location_id: LocationId
    capacity: Count
    occupied: Count


class ReceptionTargetSet(Event):
    """A municipality's indicative reception task was set."""

    topic: ClassVar[str | None] = CAPACITY_EVENTS

    municipality_code: MunicipalityCode
    places: Count
