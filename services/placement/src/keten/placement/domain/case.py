"""A case's state as far as placement's rules need it, and how its events change it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from keten.contracts.housing import Housed
from keten.contracts.messages import Message
from keten.contracts.placement import (
    AdmittedToApplicationCentre,
    LeftReception,
    TransferDeferred,
    TransferredToAZC,
)
from keten.contracts.values import Household

CaseStatus = Literal["at_application_centre", "awaiting_transfer", "transferred", "left"]


@dataclass(frozen=True)
class Case:
    """A household in reception. Invariant: it is at exactly one location, `location_id`,
    until it has left (then `location_id` is where it left from)."""

    case_id: str
    household: Household
    centre_id: str
    location_id: str
    status: CaseStatus = "at_application_centre"
    move_count: int = 0

    @property
    def persons(self) -> int:
        return self.household.persons

    @property
    def in_reception(self) -> bool:
        return self.status != "left"

    @classmethod
    def housed_unseen(cls, housed: Housed) -> Case:
        """A household housing reports housed before placement learnt of its application (the
        two topics are read independently): it has left before it came, and is not admitted
        when its application arrives. It never held places."""
        household = Household(adults=1, minors=housed.persons - 1)
        return cls(housed.case_id, household, "", "", status="left")


def evolve(case: Case | None, event: Message) -> Case | None:
    """The case after `event`; facts kept for the record (a track, an alert) leave it as it was."""
    match event:
        case AdmittedToApplicationCentre() if case is None:
            return Case(event.case_id, event.household, event.location_id, event.location_id)
        case TransferDeferred() if case is not None:
            return dataclasses.replace(case, status="awaiting_transfer")
        case TransferredToAZC() if case is not None:
            return dataclasses.replace(
                case,
                location_id=event.to_location_id,
                status="transferred",
                move_count=event.move_count,
            )
        case LeftReception() if case is not None:
            return dataclasses.replace(case, status="left")
        case Housed() if case is None:
            return Case.housed_unseen(event)
        case _:
            return case


def replay(events: Iterable[Message]) -> Case | None:
    case: Case | None = None
    for event in events:
        case = evolve(case, event)
    return case
