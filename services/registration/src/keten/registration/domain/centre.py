"""What registration knows of a location: nothing yet, or the type capacity opened it with."""

from __future__ import annotations

from keten.contracts.capacity import LocationOpened
from keten.contracts.messages import Message
from keten.contracts.values import LocationType

CentreKind = LocationType | None  # None: its opening not learnt yet


def unknown(location_id: str) -> CentreKind:  # noqa: ARG001 - every location starts unknown
    return None


def evolve(kind: CentreKind, event: Message) -> CentreKind:
    """A location is learnt once, from its first opening."""
    if kind is None and isinstance(event, LocationOpened):
        return event.type
    return kind
