"""Reception locations as placement sees them, and the transfer rule (doorplaatsing)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, Final

from keten.contracts.capacity import CapacityChanged, LocationClosed, LocationOpened
from keten.contracts.messages import Event
from keten.contracts.values import LocationId, LocationType, Track, is_accelerated

EMERGENCY: Final[LocationType] = "emergency"
# The location types a household can be waiting for: the types the transfer rule aims at.
WAITING_TYPES: Final[tuple[LocationType, ...]] = ("accelerated_azc", "azc")


@dataclass(frozen=True)
class Location:
    """A location's places and occupancy, at `version` of its stream.

    `type` and `province` are None while the capacity ledger has not told placement about the
    location (its row may exist for the places a household took there before the change that
    waits for it); such a location is never chosen for a transfer.
    """

    location_id: str
    type: LocationType | None = None
    province: str | None = None
    capacity: int = 0
    occupied: int = 0
    open: bool = False
    version: int = 0

    @property
    def free(self) -> int:
        return max(self.capacity - self.occupied, 0)

    def has_room_for(self, persons: int) -> bool:
        """Open, known, and room for the whole household: households are never split."""
        return self.open and self.type is not None and self.free >= persons

    def taken(self, persons: int) -> Location:
        return dataclasses.replace(self, occupied=self.occupied + persons)

    def freed(self, persons: int) -> Location:
        return dataclasses.replace(self, occupied=max(self.occupied - persons, 0))


class LocationLearnt(Event):
    """Placement's own record on the stream of a location type: it learnt of a location of
    that type. Kept in placement's store only; a transfer waiting for the first location of
    the type it aims at waits for this record (see `streams.py`)."""

    topic: ClassVar[str | None] = None

    location_id: LocationId
    type: LocationType


def find(locations: Iterable[Location], location_id: str) -> Location | None:
    return next((loc for loc in locations if loc.location_id == location_id), None)


def wanted_type(track: Track) -> LocationType:
    """The accelerated group goes to an accelerated-procedure AZC, the general track to an AZC."""
    return "accelerated_azc" if is_accelerated(track) else "azc"


def choose_location(
    household_persons: int,
    wanted: LocationType,
    home_province: str | None,
    locations: Iterable[Location],
) -> Location | None:
    """The transfer rule, the one place it is written down.

    A location of the wanted type with room for the whole household; with none anywhere, an
    emergency location with room. Among those: the application centre's province first, then
    the most free places, then the lowest id. None when no location has room.
    """
    candidates = list(locations)
    for location_type in dict.fromkeys((wanted, EMERGENCY)):
        fitting = [
            location
            for location in candidates
            if location.type == location_type and location.has_room_for(household_persons)
        ]
        if fitting:
            return min(
                fitting,
                key=lambda loc: (loc.province != home_province, -loc.free, loc.location_id),
            )
    return None


def waiting_for(location_type: LocationType | None) -> tuple[LocationType, ...]:
    """Which waiting households places of this type can serve: those waiting for this type,
    and, for emergency places (everyone's fallback), all of them."""
    if location_type == EMERGENCY:
        return WAITING_TYPES
    if location_type in WAITING_TYPES:
        return (location_type,)
    return ()


def learn(location: Location, fact: LocationOpened | CapacityChanged | LocationClosed) -> Location:
    """The location after a fact from the capacity ledger; its occupancy stays placement's own."""
    match fact:
        case LocationOpened():
            return dataclasses.replace(
                location,
                type=fact.type,
                province=fact.province,
                capacity=fact.capacity,
                open=True,
            )
        case CapacityChanged():
            return dataclasses.replace(location, capacity=fact.capacity)
        case LocationClosed():
            return dataclasses.replace(location, open=False)


def gained_room(before: Location, after: Location) -> bool:
    """Whether households waiting for places might fit now."""
    return after.open and (not before.open or after.free > before.free)
