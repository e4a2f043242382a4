"""A reception location as the ledger knows it: its places, the persons in them, open or closed.

Occupancy is never entered by hand: it follows from placement's facts (admissions, transfers,
departures), which the ledger keeps in the location's own stream.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from keten.contracts.capacity import CapacityChanged, LocationClosed, LocationOpened
from keten.contracts.messages import Message
from keten.contracts.placement import (
    AdmittedToApplicationCentre,
    LeftReception,
    TransferredToAZC,
)

PlacementFact = AdmittedToApplicationCentre | TransferredToAZC | LeftReception


@dataclass(frozen=True)
class LocationState:
    """`opening` is the LocationOpened that registered it; None while it was never opened
    (placement's facts about such an id wait for its opening)."""

    location_id: str
    opening: LocationOpened | None = None
    capacity: int = 0
    occupied: int = 0
    closed: bool = False

    @property
    def opened(self) -> bool:
        return self.opening is not None

    @property
    def is_open(self) -> bool:
        return self.opened and not self.closed


def counted_places(capacity: int, *, is_open: bool) -> int:
    """Only an open location counts its places: a closed or never-opened one has none."""
    return capacity if is_open else 0


def places_of(state: LocationState) -> int:
    return counted_places(state.capacity, is_open=state.is_open)


def is_over_capacity(state: LocationState) -> bool:
    """More persons than counted places: a cut, an admission beyond room, or a closed location."""
    return state.occupied > places_of(state)


def occupancy_change(location_id: str, fact: PlacementFact) -> int:
    """How many persons a placement fact adds to (or takes from) `location_id`."""
    match fact:
        case AdmittedToApplicationCentre():
            return fact.persons if fact.location_id == location_id else 0
        case LeftReception():
            return -fact.persons if fact.location_id == location_id else 0
        case TransferredToAZC():
            arriving = fact.persons if fact.to_location_id == location_id else 0
            leaving = fact.persons if fact.from_location_id == location_id else 0
            return arriving - leaving


def add_persons(occupied: int, change: int) -> int:
    """Occupancy never drops below zero, even for a departure whose arrival the ledger missed."""
    return max(occupied + change, 0)


def evolve(state: LocationState, event: Message) -> LocationState:
    match event:
        case LocationOpened():
            return replace(state, opening=event, capacity=event.capacity, closed=False)
        case CapacityChanged():
            return replace(state, capacity=event.capacity)
        case LocationClosed():
            return replace(state, closed=True)
        case AdmittedToApplicationCentre() | TransferredToAZC() | LeftReception():
            change = occupancy_change(state.location_id, event)
            return replace(state, occupied=add_persons(state.occupied, change))
        case _:
            return state


def fold(location_id: str, events: Iterable[Message]) -> LocationState:
    state = LocationState(location_id)
    for event in events:
        state = evolve(state, event)
    return state
