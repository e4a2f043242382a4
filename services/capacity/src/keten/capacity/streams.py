"""The ledger's streams in its own event store: their names, and the deciders that load them
and append to them."""

from typing import Final

from keten.capacity.domain.location import LocationState, evolve
from keten.capacity.domain.targets import TargetState, evolve_target
from keten.kernel.decider import Decider

SOURCE: Final = "keten/capacity"
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


# A location's state is kept as a snapshot beside its stream: a busy location has thousands
# of placement facts, and folding them all for every message would slow each one down.
LOCATIONS: Final = Decider(
    stream=location_stream,
    initial=LocationState,
    evolve=evolve,
    source=SOURCE,
    snapshot=LocationState,
)

# A municipality's target changes a few times a year: its stream is folded whole.
TARGETS: Final = Decider(
    stream=municipality_stream, initial=TargetState, evolve=evolve_target, source=SOURCE
)
