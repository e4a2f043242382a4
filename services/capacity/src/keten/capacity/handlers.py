"""One small function per command and per placement fact: load the stream, decide, append.

Each runs inside the consumer's transaction. Appending at the version that was read is the
concurrency guard: a command and a placement fact racing on one location conflict, the kernel
runs the loser again on the new state, so each transition into over capacity is seen once.
"""

from __future__ import annotations

from keten.capacity.domain.decide import (
    decide_change_capacity,
    decide_close,
    decide_open,
    decide_placement,
)
from keten.capacity.domain.location import PlacementFact
from keten.capacity.domain.targets import decide_set_target
from keten.capacity.streams import LOCATIONS, TARGETS
from keten.contracts.capacity import (
    ChangeCapacity,
    CloseLocation,
    OpenLocation,
    SetReceptionTarget,
)
from keten.contracts.placement import (
    AdmittedToApplicationCentre,
    LeftReception,
    TransferredToAZC,
)
from keten.kernel.consumer import Delivery
from keten.kernel.db import Connection
from keten.reference import municipality


async def open_location(conn: Connection, delivery: Delivery, command: OpenLocation) -> None:
    known = municipality(command.municipality_code)
    province = None if known is None else known.province
    await LOCATIONS.handle(
        conn, delivery, command.location_id, lambda s: decide_open(command, s, province)
    )


async def change_capacity(conn: Connection, delivery: Delivery, command: ChangeCapacity) -> None:
    await LOCATIONS.handle(
        conn, delivery, command.location_id, lambda s: decide_change_capacity(command, s)
    )


async def close_location(conn: Connection, delivery: Delivery, command: CloseLocation) -> None:
    await LOCATIONS.handle(conn, delivery, command.location_id, lambda s: decide_close(command, s))


async def set_reception_target(
    conn: Connection, delivery: Delivery, command: SetReceptionTarget
) -> None:
    known = municipality(command.municipality_code) is not None
    await TARGETS.handle(
        conn,
        delivery,
        command.municipality_code,
        lambda s: decide_set_target(command, s, known_municipality=known),
    )


async def _placed(
    conn: Connection, delivery: Delivery, fact: PlacementFact, *location_ids: str
) -> None:
    """Keeps placement's fact in the stream of each location it names (not published again:
    it is placement's) with whatever it raises there. A transfer names two: both change in
    the one transaction, and while either is not opened yet the whole fact waits (a wait
    undoes the handler's writes, as a refusal does)."""
    for location_id in dict.fromkeys(location_ids):
        loaded = await LOCATIONS.load(conn, location_id)
        decision = decide_placement(loaded.state, fact)
        own = delivery.caused(
            fact, subject=location_id, source=delivery.envelope.source, publish=False
        )
        raised = [
            delivery.caused(e, subject=location_id, source=LOCATIONS.source)
            for e in decision.events
        ]
        await LOCATIONS.record(conn, location_id, loaded, decision, [own, *raised])


async def admitted(conn: Connection, delivery: Delivery, fact: AdmittedToApplicationCentre) -> None:
    await _placed(conn, delivery, fact, fact.location_id)


async def transferred(conn: Connection, delivery: Delivery, fact: TransferredToAZC) -> None:
    await _placed(conn, delivery, fact, fact.from_location_id, fact.to_location_id)


async def left(conn: Connection, delivery: Delivery, fact: LeftReception) -> None:
    await _placed(conn, delivery, fact, fact.location_id)
