"""A municipality's reception target: its indicative share of the Dispersal Act's capacity
forecast (the Spreidingswet's task, domain.md "Capacity")."""

from __future__ import annotations

from dataclasses import dataclass

from keten.contracts.capacity import ReceptionTargetSet, SetReceptionTarget
from keten.contracts.messages import Message
from keten.kernel.decider import Decision


@dataclass(frozen=True)
class TargetState:
    municipality_code: str
    places: int | None = None


def evolve_target(state: TargetState, event: Message) -> TargetState:
    if isinstance(event, ReceptionTargetSet):
        return TargetState(state.municipality_code, event.places)
    return state


def decide_set_target(
    command: SetReceptionTarget, state: TargetState, *, known_municipality: bool
) -> Decision:
    """Sets the target of a known municipality; the same number again is no change. The
    municipalities are reference data shipped with the ledger, not facts that may still
    arrive: an unknown code is refused, not waited for."""
    if not known_municipality:
        return Decision.refuse(
            f"municipality {command.municipality_code} is not in the reference list"
        )
    if state.places == command.places:
        return Decision()
    target = ReceptionTargetSet(municipality_code=command.municipality_code, places=command.places)
    return Decision(events=[target])
