"""A municipality's reception target: its indicative share of the Dispersal Act's capacity
forecast (the Spreidingswet's task, domain.md "Capacity")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from keten.capacity.domain.refusal import Refused
from keten.contracts.capacity import ReceptionTargetSet, SetReceptionTarget
from keten.contracts.messages import Event, Message


@dataclass(frozen=True)
class TargetState:
    municipality_code: str
    places: int | None = None


def evolve_target(state: TargetState, event: Message) -> TargetState:
    if isinstance(event, ReceptionTargetSet):
        return TargetState(state.municipality_code, event.places)
    return state


def fold_target(municipality_code: str, events: Iterable[Message]) -> TargetState:
    state = TargetState(municipality_code)
    for event in events:
        state = evolve_target(state, event)
    return state


def decide_set_target(
    command: SetReceptionTarget, state: TargetState, *, known_municipality: bool
) -> list[Event]:
    """Sets the target of a known municipality; the same number again is no change."""
    if not known_municipality:
        raise Refused(f"municipality {command.municipality_code} is not in the reference list")
    if state.places == command.places:
        return []
    return [ReceptionTargetSet(municipality_code=command.municipality_code, places=command.places)]
