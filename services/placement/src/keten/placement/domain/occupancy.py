"""How a case's events take and free places, and the records kept on a location's stream."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from keten.contracts.messages import Event
from keten.contracts.placement import (
    AdmittedToApplicationCentre,
    LeftReception,
    TransferredToAZC,
)
from keten.contracts.values import CaseId, Count, LocationId, PositiveCount


class PlacesTaken(Event):
    """Placement's own record on a location's stream: a household took places there.

    Kept in placement's store only. Every change of a location's occupancy is appended to its
    stream at the version it was decided on, so two decisions on one state cannot both commit.
    """

    topic: ClassVar[str | None] = None

    location_id: LocationId
    case_id: CaseId
    persons: PositiveCount
    occupied: Count  # after the change


class PlacesFreed(Event):
    """Placement's own record on a location's stream: a household left, freeing its places."""

    topic: ClassVar[str | None] = None

    location_id: LocationId
    case_id: CaseId
    persons: PositiveCount
    occupied: Count  # after the change


@dataclass(frozen=True)
class PlacesChange:
    """Places a case takes (`persons` > 0) or frees (< 0) at a location.

    `must_fit`: a transfer may only take places that are free; an admission at the application
    centre never turns anyone away, even over capacity.
    """

    location_id: str
    case_id: str
    persons: int
    must_fit: bool


def occupancy_changes(events: Iterable[Event]) -> list[PlacesChange]:
    changes: list[PlacesChange] = []
    for event in events:
        match event:
            case AdmittedToApplicationCentre():
                changes.append(
                    PlacesChange(event.location_id, event.case_id, event.persons, must_fit=False)
                )
            case TransferredToAZC():
                changes += [
                    PlacesChange(
                        event.from_location_id, event.case_id, -event.persons, must_fit=False
                    ),
                    PlacesChange(event.to_location_id, event.case_id, event.persons, must_fit=True),
                ]
            case LeftReception():
                changes.append(
                    PlacesChange(event.location_id, event.case_id, -event.persons, must_fit=False)
                )
            case _:
                pass
    return changes
