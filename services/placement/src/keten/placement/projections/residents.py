"""Who lives at each location now, with the location's places as the capacity ledger said."""

from __future__ import annotations

from typing import Final

from keten.contracts.capacity import CapacityChanged, LocationClosed, LocationOpened
from keten.contracts.placement import (
    AdmittedToApplicationCentre,
    LeftReception,
    TransferredToAZC,
)
from keten.kernel.db import Connection
from keten.kernel.eventstore import RecordedEvent

_TABLES: Final = """
CREATE TABLE IF NOT EXISTS resident_locations (
    location_id  text PRIMARY KEY,
    type         text,
    capacity     integer,
    open         boolean NOT NULL
);
CREATE TABLE IF NOT EXISTS residents (
    location_id  text NOT NULL,
    case_id      text NOT NULL,
    persons      integer NOT NULL,
    since        timestamptz NOT NULL,
    PRIMARY KEY (location_id, case_id)
);
"""
_ARRIVE: Final = """
INSERT INTO residents (location_id, case_id, persons, since) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING
"""
_DEPART: Final = "DELETE FROM residents WHERE location_id = $1 AND case_id = $2"


class ResidentsProjection:
    """Per location: the households there now; for `GET /locations/{id}/residents`."""

    name = "residents"
    handles = frozenset(
        {
            "LocationOpened",
            "CapacityChanged",
            "LocationClosed",
            "AdmittedToApplicationCentre",
            "TransferredToAZC",
            "LeftReception",
        }
    )
    tables = ("resident_locations", "residents")

    async def create(self, conn: Connection) -> None:
        await conn.execute(_TABLES)

    async def apply(self, conn: Connection, event: RecordedEvent) -> None:
        message = event.message()
        match message:
            case LocationOpened() | CapacityChanged() | LocationClosed():
                await _learn(conn, message)
            case AdmittedToApplicationCentre():
                await conn.execute(
                    _ARRIVE,
                    message.location_id,
                    message.case_id,
                    message.persons,
                    event.occurred_at,
                )
            case TransferredToAZC():
                await conn.execute(_DEPART, message.from_location_id, message.case_id)
                await conn.execute(
                    _ARRIVE,
                    message.to_location_id,
                    message.case_id,
                    message.persons,
                    event.occurred_at,
                )
            case LeftReception():
                await conn.execute(_DEPART, message.location_id, message.case_id)
            case _:
                pass


async def _learn(conn: Connection, fact: LocationOpened | CapacityChanged | LocationClosed) -> None:
    match fact:
        case LocationOpened():
            await conn.execute(
                "INSERT INTO resident_locations (location_id, type, capacity, open)"
                " VALUES ($1, $2, $3, true) ON CONFLICT (location_id) DO UPDATE"
                " SET type = EXCLUDED.type, capacity = EXCLUDED.capacity, open = true",
                fact.location_id,
                fact.type,
                fact.capacity,
            )
        case CapacityChanged():
            await conn.execute(
                "INSERT INTO resident_locations (location_id, capacity, open)"
                " VALUES ($1, $2, false)"
                " ON CONFLICT (location_id) DO UPDATE SET capacity = EXCLUDED.capacity",
                fact.location_id,
                fact.capacity,
            )
        case LocationClosed():
            await conn.execute(
                "INSERT INTO resident_locations (location_id, open) VALUES ($1, false)"
                " ON CONFLICT (location_id) DO UPDATE SET open = false",
                fact.location_id,
            )
