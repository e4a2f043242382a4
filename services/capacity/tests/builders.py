"""Messages for the capacity ledger's unit tests, with defaults that read as a story."""

from __future__ import annotations

from keten.capacity.domain.location import LocationState, fold
from keten.contracts.capacity import (
    CapacityChanged,
    ChangeCapacity,
    CloseLocation,
    LocationClosed,
    LocationOpened,
    OpenLocation,
)
from keten.contracts.messages import Message
from keten.contracts.placement import (
    AdmittedToApplicationCentre,
    LeftReception,
    TransferredToAZC,
)
from keten.contracts.values import Household, LocationType

LOCATION = "azc-assen"
OTHER = "azc-emmen"
ASSEN = "GM0106"
DRENTHE = "Drenthe"


def open_location(
    capacity: int = 100,
    location_id: str = LOCATION,
    *,
    name: str = "AZC Assen",
    kind: LocationType = "azc",
) -> OpenLocation:
    return OpenLocation(
        location_id=location_id,
        name=name,
        type=kind,
        municipality_code=ASSEN,
        capacity=capacity,
    )


def opened(capacity: int = 100, location_id: str = LOCATION) -> LocationOpened:
    return LocationOpened(
        location_id=location_id,
        name="AZC Assen",
        type="azc",
        municipality_code=ASSEN,
        province=DRENTHE,
        capacity=capacity,
    )


def change_capacity(capacity: int, location_id: str = LOCATION) -> ChangeCapacity:
    return ChangeCapacity(location_id=location_id, capacity=capacity, reason="building works")


def capacity_changed(capacity: int, previous: int) -> CapacityChanged:
    return CapacityChanged(
        location_id=LOCATION, capacity=capacity, previous_capacity=previous, reason="works"
    )


def close(location_id: str = LOCATION) -> CloseLocation:
    return CloseLocation(location_id=location_id)


def closed(location_id: str = LOCATION) -> LocationClosed:
    return LocationClosed(location_id=location_id)


def admitted(
    persons: int, location_id: str = LOCATION, case: str = "c-1"
) -> AdmittedToApplicationCentre:
    return AdmittedToApplicationCentre(
        case_id=case,
        location_id=location_id,
        persons=persons,
        household=Household(adults=1, minors=persons - 1),
    )


def transferred(persons: int, source: str = OTHER, target: str = LOCATION) -> TransferredToAZC:
    return TransferredToAZC(
        case_id="c-2",
        from_location_id=source,
        to_location_id=target,
        to_location_type="azc",
        persons=persons,
        reason="track general",
        manual=False,
        move_count=1,
    )


def left(persons: int, location_id: str = LOCATION) -> LeftReception:
    return LeftReception(case_id="c-1", location_id=location_id, persons=persons, reason="housed")


def given(*events: Message, location_id: str = LOCATION) -> LocationState:
    return fold(location_id, events)
