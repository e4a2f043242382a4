"""What the ledger decides for each command and each placement fact about one location.

Every decision ends with the over-capacity watch: a location that goes from within its places
to over them raises `OverCapacity` and an alert once; while it stays over, nothing more.

A command for a location not opened yet is refused, not waited for: `OpenLocation`,
`ChangeCapacity` and `CloseLocation` all have the location id as subject, hence as Kafka key,
so they share a partition of `capacity.commands` and are taken in the order they were sent.
One that finds its location unknown was sent before any opening of it, a sender's mistake (its
dead letter can be replayed once the location is opened). A placement fact comes on another
topic and may overtake the opening: it waits for it.
"""

from __future__ import annotations

from keten.capacity.domain.location import (
    LocationState,
    PlacementFact,
    evolve,
    is_over_capacity,
    places_of,
)
from keten.capacity.streams import location_stream
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
from keten.kernel.decider import Decision

OPENING_TERMS = ("name", "type", "municipality_code", "capacity")


def decide_open(command: OpenLocation, state: LocationState, province: str | None) -> Decision:
    """Opens a location in a known municipality. The same opening again has no effect; an id
    already open on other terms, or closed, is refused (location ids are not reused)."""
    if province is None:
        return Decision.refuse(
            f"municipality {command.municipality_code} is not in the reference list"
        )
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
        return Decision.refuse(
            f"location {command.location_id} is closed: a closed location is not reopened"
        )
    differing = [t for t in OPENING_TERMS if getattr(state.opening, t) != getattr(opened, t)]
    if differing:
        return Decision.refuse(
            f"location {command.location_id} is already open with another {', '.join(differing)}"
        )
    return Decision()


def decide_change_capacity(command: ChangeCapacity, state: LocationState) -> Decision:
    """Sets an open location's places; the same number again is no change."""
    if not state.opened:
        return _unknown(state)
    if state.closed:
        return Decision.refuse(f"location {state.location_id} is closed")
    if command.capacity == state.capacity:
        return Decision()
    changed = CapacityChanged(
        location_id=command.location_id,
        capacity=command.capacity,
        previous_capacity=state.capacity,
        reason=command.reason,
    )
    return _watched(state, [changed])


def decide_close(command: CloseLocation, state: LocationState) -> Decision:
    """Closes an empty location; an occupied one is refused, a closed one stays closed."""
    if not state.opened:
        return _unknown(state)
    if state.closed:
        return Decision()
    if state.occupied > 0:
        return Decision.refuse(
            f"location {command.location_id} still holds {state.occupied} persons: "
            "only an empty location is closed"
        )
    return _watched(state, [LocationClosed(location_id=command.location_id)])


def decide_placement(state: LocationState, fact: PlacementFact) -> Decision:
    """What a fact reported by placement raises here: the fact is never refused (it happened),
    but it may take the location over capacity. About a location not opened yet it waits for
    the opening, so that the persons are counted against the location's places, and over
    capacity is judged, the same way whichever of the two arrived first."""
    if not state.opened:
        return Decision.wait(location_stream(state.location_id), f"location {state.location_id}")
    return Decision(events=over_capacity_raised(state, evolve(state, fact)))


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


def _watched(state: LocationState, events: list[Event]) -> Decision:
    after = state
    for event in events:
        after = evolve(after, event)
    return Decision(events=[*events, *over_capacity_raised(state, after)])


def _unknown(state: LocationState) -> Decision:
    return Decision.refuse(f"location {state.location_id} is unknown")
