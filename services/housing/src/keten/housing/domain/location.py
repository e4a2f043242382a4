"""Where a reception location is, as the capacity ledger told housing: its province places
the households staying there in a COA region."""

from __future__ import annotations

from dataclasses import dataclass

from keten.contracts.capacity import LocationOpened
from keten.contracts.messages import Message


@dataclass(frozen=True)
class KnownLocation:
    """`province` is None until housing has learned that the location was opened."""

    location_id: str
    municipality_code: str | None = None
    province: str | None = None


def evolve_location(state: KnownLocation, message: Message) -> KnownLocation:
    if isinstance(message, LocationOpened):
        return KnownLocation(state.location_id, message.municipality_code, message.province)
    return state


def is_news(state: KnownLocation, opened: LocationOpened) -> bool:
    """A LocationOpened is kept if it tells where the location is for the first time, or
    differently; the same again changes nothing."""
    return (state.municipality_code, state.province) != (
        opened.municipality_code,
        opened.province,
    )
