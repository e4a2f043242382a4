"""Placement's streams in its own event store, and how a case's stream is loaded.

- `case-<id>`: what placement decided for a household, with the facts of other services it
  keeps there (a track, a housing).
- `location-<id>`: the capacity ledger's facts about a location, and every change of its
  occupancy (`PlacesTaken`, `PlacesFreed`), at the version its ledger row names.
- `locations-of-type-<type>`: one `LocationLearnt` for each location of that type placement
  has learnt of. The transfer rule waits on it while placement knows no location at all of the
  type it aims at: the capacity ledger has evidently not been read yet, and deciding on an
  emergency location or a deferral then would be deciding on less information. Any first
  location of the type appends to it, whichever location that is.
"""

from __future__ import annotations

from typing import Final

from keten.contracts.values import LocationType
from keten.kernel.decider import Decider, Loaded
from keten.placement.domain.case import Case, evolve

SOURCE: Final = "keten/placement"


def case_stream(case_id: str) -> str:
    return f"case-{case_id}"


def location_stream(location_id: str) -> str:
    return f"location-{location_id}"


def locations_of_type_stream(location_type: LocationType) -> str:
    return f"locations-of-type-{location_type}"


# A case's state is None until placement learns of the case (its stream is empty until then).
CASES: Final[Decider[Case | None]] = Decider(
    stream=case_stream, initial=lambda _: None, evolve=evolve, source=SOURCE
)
CaseLoaded = Loaded[Case | None]
