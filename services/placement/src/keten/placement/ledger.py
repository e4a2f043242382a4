"""Placement's working tables: every location's places and occupancy, and who is waiting.

They live in the schema `placement` of the service's database and change only in the same
transaction as the events that justify them, so they always agree with the event store:
`locations.version` is the version of the location's stream that the row reflects. A row is
locked (`FOR UPDATE`, in id order) before its location's stream is appended to, and the append
names that version; see `moves.py` for why that rules out overbooking.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import asyncpg

from keten.contracts.values import LocationType
from keten.kernel.db import Connection, create_tables
from keten.kernel.eventstore import ConcurrencyError
from keten.placement.domain.locations import Location
from keten.placement.domain.waiting import Waiting

_TABLES: Final = """
CREATE SCHEMA IF NOT EXISTS placement;
CREATE TABLE IF NOT EXISTS placement.locations (
    location_id  text PRIMARY KEY,
    type         text,
    province     text,
    capacity     integer NOT NULL DEFAULT 0 CHECK (capacity >= 0),
    occupied     integer NOT NULL DEFAULT 0 CHECK (occupied >= 0),
    open         boolean NOT NULL DEFAULT false,
    version      integer NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS placement.waiting (
    case_id        text PRIMARY KEY,
    deferral       bigint GENERATED ALWAYS AS IDENTITY,
    wanted         text NOT NULL,
    persons        integer NOT NULL,
    home_province  text
);
CREATE INDEX IF NOT EXISTS waiting_in_order ON placement.waiting (wanted, deferral);
"""
_COLUMNS: Final = "location_id, type, province, capacity, occupied, open, version"
# The two-key form of advisory locks has a key space of its own, apart from the kernel's.
_WAITING_LOCKS: Final = 0x706C6163


async def ensure_tables(conn: Connection) -> None:
    """Creates placement's own tables (locations, waiting households), once at start."""
    await create_tables(conn, _TABLES)


async def known_locations(conn: Connection) -> list[Location]:
    """Every location the capacity ledger told placement of, open or closed, as last committed
    (not locked): the candidates for a transfer are the open ones among them."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM placement.locations WHERE type IS NOT NULL"  # noqa: S608
    )
    return [_location(row) for row in rows]


async def find(conn: Connection, location_id: str) -> Location | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM placement.locations WHERE location_id = $1",  # noqa: S608
        location_id,
    )
    return None if row is None else _location(row)


async def lock(conn: Connection, location_ids: Iterable[str]) -> dict[str, Location]:
    """Locks the locations' rows in id order (so two transactions never wait on each other in a
    circle), creating rows for locations not heard of yet; returns them as last committed."""
    ids = sorted(set(location_ids))
    await conn.execute(
        "INSERT INTO placement.locations (location_id) SELECT unnest($1::text[]) "
        "ON CONFLICT DO NOTHING",
        ids,
    )
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM placement.locations WHERE location_id = ANY($1::text[]) "  # noqa: S608
        "ORDER BY location_id FOR UPDATE",
        ids,
    )
    return {row["location_id"]: _location(row) for row in rows}


async def save(conn: Connection, before: Location, after: Location) -> None:
    """Writes `after` over the row that still reads `before` (same stream version)."""
    status = await conn.execute(
        "UPDATE placement.locations SET type = $3, province = $4, capacity = $5, occupied = $6,"
        " open = $7, version = $8 WHERE location_id = $1 AND version = $2",
        before.location_id,
        before.version,
        after.type,
        after.province,
        after.capacity,
        after.occupied,
        after.open,
        after.version,
    )
    if status != "UPDATE 1":
        raise ConcurrencyError(f"location {before.location_id} moved past {before.version}")


async def lock_waiting(conn: Connection, wanted: Iterable[LocationType]) -> None:
    """Serialises deferring a household with retrying the queue it joins (until commit)."""
    for location_type in sorted(set(wanted)):
        await conn.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))", _WAITING_LOCKS, location_type
        )


async def add_waiting(conn: Connection, household: Waiting) -> None:
    await conn.execute(
        "INSERT INTO placement.waiting (case_id, wanted, persons, home_province)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (case_id) DO NOTHING",
        household.case_id,
        household.wanted,
        household.persons,
        household.home_province,
    )


async def remove_waiting(conn: Connection, case_id: str) -> None:
    await conn.execute("DELETE FROM placement.waiting WHERE case_id = $1", case_id)


async def waiting(conn: Connection, wanted: Iterable[LocationType]) -> list[Waiting]:
    """Households waiting for any of these types, in order of deferral."""
    rows = await conn.fetch(
        "SELECT case_id, persons, wanted, home_province FROM placement.waiting"
        " WHERE wanted = ANY($1::text[]) ORDER BY deferral",
        sorted(set(wanted)),
    )
    return [
        Waiting(row["case_id"], row["persons"], row["wanted"], row["home_province"]) for row in rows
    ]


def _location(row: asyncpg.Record) -> Location:
    return Location(
        location_id=row["location_id"],
        type=row["type"],
        province=row["province"],
        capacity=row["capacity"],
        occupied=row["occupied"],
        open=row["open"],
        version=row["version"],
    )
