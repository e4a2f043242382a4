"""Names of the ledger's streams in its own event store."""

from typing import Final

LOCATION_PREFIX: Final = "location-"
MUNICIPALITY_PREFIX: Final = "municipality-"


def location_stream(location_id: str) -> str:
    return LOCATION_PREFIX + location_id


def location_of_stream(stream_id: str) -> str | None:
    """The location a stream belongs to; None for another aggregate's stream."""
    if not stream_id.startswith(LOCATION_PREFIX):
        return None
    return stream_id.removeprefix(LOCATION_PREFIX)


def municipality_stream(municipality_code: str) -> str:
    return MUNICIPALITY_PREFIX + municipality_code
