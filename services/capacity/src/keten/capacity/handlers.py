"""One small function per command and per placement fact: load the stream, decide, append.

Each runs inside the consumer's transaction. Appending at the version that was read is the
concurrency guard: a command and a placement fact racing on one location conflict, the kernel
runs the loser again on the new state, so each transition into over capacity is seen once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, TypeVar

from keten.capacity.domain.decide import (
    decide_change_capacity,
    decide_close,
    decide_open,
    raised_by_placement,
)
from keten.capacity.domain.location import LocationState, PlacementFact, evolve
from keten.capacity.domain.refusal import Refused
from keten.capacity.domain.targets import decide_set_target, fold_target
from keten.capacity.streams import location_stream, municipality_stream
from keten.contracts.capacity import (
    ChangeCapacity,
    CloseLocation,
    OpenLocation,
    SetReceptionTarget,
)
from keten.contracts.messages import Event, Message
from keten.contracts.placement import (
    AdmittedToApplicationCentre,
    LeftReception,
    TransferredToAZC,
)
from keten.kernel import eventstore
from keten.kernel.consumer import Delivery, Rejected
from keten.kernel.db import Connection
from keten.kernel.eventstore import NewEvent, RecordedEvent
from keten.kernel.eventstore.snapshots import Aggregate
from keten.reference import municipality

SOURCE: Final = "keten/capacity"
M = TypeVar("M", bound=Message)


def _expect(delivery: Delivery, kind: type[M]) -> M:
    message = delivery.message
    if not isinstance(message, kind):
        raise TypeError(f"expected {kind.type_name()}, got {type(message).__name__}")
    return message


def _version(recorded: list[RecordedEvent]) -> int:
    return recorded[-1].version if recorded else 0


async def _append_decided(
    conn: Connection,
    delivery: Delivery,
    stream_id: str,
    subject: str,
    decide: Callable[[list[RecordedEvent]], list[Event]],
) -> None:
    recorded = await eventstore.read_stream(conn, stream_id)
    try:
        events = decide(recorded)
    except Refused as refused:
        raise Rejected(refused.reason) from None
    caused = [delivery.caused(e, subject=subject, source=SOURCE) for e in events]
    await eventstore.append(conn, stream_id, _version(recorded), caused)


# A location's state is kept as a snapshot beside its stream: a busy location has thousands
# of placement facts, and folding them all for every message would slow each one down.
LOCATIONS: Final = Aggregate(LocationState, LocationState, evolve)


async def _decide_location(
    conn: Connection,
    delivery: Delivery,
    location_id: str,
    decide: Callable[[LocationState], list[Event]],
) -> None:
    stream_id = location_stream(location_id)
    loaded = await LOCATIONS.load(conn, stream_id, location_id)
    try:
        events = decide(loaded[0])
    except Refused as refused:
        raise Rejected(refused.reason) from None
    caused = [delivery.caused(e, subject=location_id, source=SOURCE) for e in events]
    await LOCATIONS.append(conn, stream_id, loaded, caused)


async def open_location(conn: Connection, delivery: Delivery) -> None:
    command = _expect(delivery, OpenLocation)
    known = municipality(command.municipality_code)
    province = None if known is None else known.province
    await _decide_location(
        conn, delivery, command.location_id, lambda s: decide_open(command, s, province)
    )


async def change_capacity(conn: Connection, delivery: Delivery) -> None:
    command = _expect(delivery, ChangeCapacity)
    await _decide_location(
        conn, delivery, command.location_id, lambda s: decide_change_capacity(command, s)
    )


async def close_location(conn: Connection, delivery: Delivery) -> None:
    command = _expect(delivery, CloseLocation)
    await _decide_location(conn, delivery, command.location_id, lambda s: decide_close(command, s))


async def set_reception_target(conn: Connection, delivery: Delivery) -> None:
    command = _expect(delivery, SetReceptionTarget)
    code = command.municipality_code
    known = municipality(code) is not None

    def decide(recorded: list[RecordedEvent]) -> list[Event]:
        state = fold_target(code, (r.message() for r in recorded))
        return decide_set_target(command, state, known_municipality=known)

    await _append_decided(conn, delivery, municipality_stream(code), code, decide)


async def _record_placement(
    conn: Connection, delivery: Delivery, fact: PlacementFact, location_id: str
) -> None:
    """Keeps placement's fact in the location's stream (not published again: it is
    placement's) with whatever it raises here."""
    kept = NewEvent(
        message=fact,
        subject=location_id,
        occurred_at=delivery.envelope.time,
        source=delivery.envelope.source,
        correlation_id=delivery.correlation_id,
        causation_id=delivery.envelope.id,
        publish=False,
    )
    stream_id = location_stream(location_id)
    loaded = await LOCATIONS.load(conn, stream_id, location_id)
    raised = [
        delivery.caused(e, subject=location_id, source=SOURCE)
        for e in raised_by_placement(loaded[0], fact)
    ]
    await LOCATIONS.append(conn, stream_id, loaded, [kept, *raised])


async def admitted(conn: Connection, delivery: Delivery) -> None:
    fact = _expect(delivery, AdmittedToApplicationCentre)
    await _record_placement(conn, delivery, fact, fact.location_id)


async def transferred(conn: Connection, delivery: Delivery) -> None:
    """A transfer touches two locations: both streams change in the one transaction."""
    fact = _expect(delivery, TransferredToAZC)
    await _record_placement(conn, delivery, fact, fact.from_location_id)
    if fact.to_location_id != fact.from_location_id:
        await _record_placement(conn, delivery, fact, fact.to_location_id)


async def left(conn: Connection, delivery: Delivery) -> None:
    fact = _expect(delivery, LeftReception)
    await _record_placement(conn, delivery, fact, fact.location_id)
