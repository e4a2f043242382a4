"""The `occupancy` read model: one row per location and one per municipality's reception
target. Groupings (municipality, province, type, national) are summed from these rows when
read, by the domain's own arithmetic, so there is one way to add figures up."""

from __future__ import annotations

from typing import Final

from keten.capacity.domain.location import add_persons, occupancy_change
from keten.capacity.domain.occupancy import LocationRecord
from keten.capacity.streams import location_of_stream
from keten.contracts.capacity import (
    CapacityChanged,
    LocationClosed,
    LocationOpened,
    ReceptionTargetSet,
)
from keten.contracts.messages import Message
from keten.contracts.placement import (
    AdmittedToApplicationCentre,
    LeftReception,
    TransferredToAZC,
)
from keten.kernel.db import Connection
from keten.kernel.eventstore import RecordedEvent

_CREATE: Final = """
CREATE TABLE IF NOT EXISTS locations (
    location_id        text PRIMARY KEY,
    name               text,
    type               text,
    municipality_code  text,
    province           text,
    capacity           integer NOT NULL DEFAULT 0,
    occupied           integer NOT NULL DEFAULT 0,
    status             text NOT NULL
);
CREATE TABLE IF NOT EXISTS reception_targets (
    municipality_code  text PRIMARY KEY,
    places             integer NOT NULL
);
"""

_OPENED: Final = """
INSERT INTO locations (location_id, name, type, municipality_code, province, capacity, status)
VALUES ($1, $2, $3, $4, $5, $6, 'open')
ON CONFLICT (location_id) DO UPDATE SET
    name = EXCLUDED.name, type = EXCLUDED.type, municipality_code = EXCLUDED.municipality_code,
    province = EXCLUDED.province, capacity = EXCLUDED.capacity, status = 'open'
"""

_OCCUPIED: Final = """
INSERT INTO locations (location_id, occupied, status) VALUES ($1, $2, 'unregistered')
ON CONFLICT (location_id) DO UPDATE SET occupied = EXCLUDED.occupied
"""

_TARGET: Final = """
INSERT INTO reception_targets (municipality_code, places) VALUES ($1, $2)
ON CONFLICT (municipality_code) DO UPDATE SET places = EXCLUDED.places
"""


class OccupancyProjection:
    """Per location: places, persons, type, municipality, province, open or closed; and the
    municipalities' reception targets."""

    name = "occupancy"
    handles = frozenset(
        {
            LocationOpened.type_name(),
            CapacityChanged.type_name(),
            LocationClosed.type_name(),
            ReceptionTargetSet.type_name(),
            AdmittedToApplicationCentre.type_name(),
            TransferredToAZC.type_name(),
            LeftReception.type_name(),
        }
    )
    tables = ("locations", "reception_targets")

    async def create(self, conn: Connection) -> None:
        await conn.execute(_CREATE)

    async def apply(self, conn: Connection, event: RecordedEvent) -> None:
        await _apply_message(conn, event.message(), event.stream_id)


async def _apply_message(conn: Connection, message: Message, stream_id: str) -> None:
    match message:
        case LocationOpened():
            await conn.execute(
                _OPENED,
                message.location_id,
                message.name,
                message.type,
                message.municipality_code,
                message.province,
                message.capacity,
            )
        case CapacityChanged():
            await conn.execute(
                "UPDATE locations SET capacity = $2 WHERE location_id = $1",
                message.location_id,
                message.capacity,
            )
        case LocationClosed():
            await conn.execute(
                "UPDATE locations SET status = 'closed' WHERE location_id = $1",
                message.location_id,
            )
        case ReceptionTargetSet():
            await conn.execute(_TARGET, message.municipality_code, message.places)
        case AdmittedToApplicationCentre() | TransferredToAZC() | LeftReception():
            await _apply_placement(conn, message, stream_id)
        case _:
            pass


async def _apply_placement(
    conn: Connection,
    fact: AdmittedToApplicationCentre | TransferredToAZC | LeftReception,
    stream_id: str,
) -> None:
    """The ledger keeps a transfer in both locations' streams: each copy counts for the
    location whose stream holds it."""
    location_id = location_of_stream(stream_id)
    if location_id is None:
        return
    before = await conn.fetchval(
        "SELECT occupied FROM locations WHERE location_id = $1", location_id
    )
    occupied = add_persons(before or 0, occupancy_change(location_id, fact))
    await conn.execute(_OCCUPIED, location_id, occupied)


async def load_locations(conn: Connection, location_id: str | None = None) -> list[LocationRecord]:
    """Every location (or just one) in the schema the connection reads, by id."""
    rows = await conn.fetch(
        "SELECT * FROM locations WHERE $1::text IS NULL OR location_id = $1 ORDER BY location_id",
        location_id,
    )
    return [
        LocationRecord(
            location_id=row["location_id"],
            status=row["status"],
            registered_capacity=row["capacity"],
            occupied=row["occupied"],
            name=row["name"],
            type=row["type"],
            municipality_code=row["municipality_code"],
            province=row["province"],
        )
        for row in rows
    ]


async def load_targets(conn: Connection) -> dict[str, int]:
    rows = await conn.fetch("SELECT municipality_code, places FROM reception_targets")
    return {row["municipality_code"]: row["places"] for row in rows}
