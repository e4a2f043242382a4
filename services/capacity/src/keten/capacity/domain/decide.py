"""What the ledger decides for each command and each placement fact about one location.

Every decision ends with the over-capacity watch: a location that goes from within its places
to over them raises `OverCapacity` and an alert once; while it stays over, nothing more.
"""

from __future__ import annotations

from keten.capacity.domain.location import (
    LocationState,
    PlacementFact,
    evolve,
    is_over_capacity,
    places_of,
)
from keten.capacity.domain.refusal import Refused
from keten.contracts.alerts import Alert
from keten.contracts.capacity import (
    CapacityChanged,
    ChangeCapacity,
    CloseLocation,
    LocationClosed,
    LocationOpened,
    OpenLocation,
    OverCapacity,
)
from keten.contracts.messages import Event

OPENING_TERMS = ("name", "type", "municipality_code", "capacity")


def decide_open(command: OpenLocation, state: LocationState, province: str | None) -> list[Event]:
    """Opens a location in a known municipality. The same opening again has no effect; an id
    already open on other terms, or closed, is refused (location ids are not reused)."""
    if province is None:
        raise Refused(f"municipality {command.municipality_code} is not in the reference list")
    opened = LocationOpened(
        location_id=command.location_id,
        name=command.name,
        type=command.type,
        municipality_code=command.municipality_code,
        province=province,
        capacity=command.capacity,
    )
    if state.opening is None:
        return _watched(state, [opened])
    if state.closed:
        raise Refused(
            f"location {command.location_id} is closed: a closed location is not reopened"
        )
    differing = [t for t in OPENING_TERMS if getattr(state.opening, t) != getattr(opened, t)]
    if differing:
        raise Refused(
            f"location {command.location_id} is already open with another {', '.join(differing)}"
        )
    return []


def decide_change_capacity(command: ChangeCapacity, state: LocationState) -> list[Event]:
    """Sets an open location's places; the same number again is no change."""
    _require_open(state)
    if command.capacity == state.capacity:
        return []
    changed = CapacityChanged(
        location_id=command.location_id,
        capacity=command.capacity,
        previous_capacity=state.capacity,
        reason=command.reason,
    )
    return _watched(state, [changed])


def decide_close(command: CloseLocation, state: LocationState) -> list[Event]:
    """Closes an empty location; an occupied one is refused, a closed one stays closed."""
    _require_known(state)
    if state.closed:
        return []
    if state.occupied > 0:
        raise Refused(
            f"location {command.location_id} still holds {state.occupied} persons: "
            "only an empty location is closed"
        )
    return _watched(state, [LocationClosed(location_id=command.location_id)])


def raised_by_placement(state: LocationState, fact: PlacementFact) -> list[Event]:
    """What a fact reported by placement raises here: the fact is never refused (it happened),
    but it may take the location over capacity."""
    return over_capacity_raised(state, evolve(state, fact))


def over_capacity_raised(before: LocationState, after: LocationState) -> list[Event]:
    """`OverCapacity` and its alert on the transition into over capacity, else nothing."""
    if is_over_capacity(before) or not is_over_capacity(after):
        return []
    places = places_of(after)
    location_id = after.location_id
    return [
        OverCapacity(location_id=location_id, capacity=places, occupied=after.occupied),
        Alert(
            kind="over_capacity",
            subject_id=location_id,
            summary=f"location {location_id} holds {after.occupied} persons in {places} places",
            figures={
                "capacity": places,
                "occupied": after.occupied,
                "excess": after.occupied - places,
                "status": "open" if after.is_open else "closed or not opened",
            },
        ),
    ]


def _watched(state: LocationState, events: list[Event]) -> list[Event]:
    after = state
    for event in events:
        after = evolve(after, event)
    return [*events, *over_capacity_raised(state, after)]


def _require_known(state: LocationState) -> None:
    if not state.opened:
        raise Refused(f"location {state.location_id} is unknown")


def _require_open(state: LocationState) -> None:
    _require_known(state)
    if state.closed:
        raise Refused(f"location {state.location_id} is closed")
