"""Where a reader of the global order is: written in the same transaction as its effect."""

from __future__ import annotations

from typing import Final

from keten.kernel.db import Connection, create_tables
from keten.kernel.eventstore import START, GlobalPosition

SCHEMA_SQL: Final = """
CREATE SCHEMA IF NOT EXISTS keten;
CREATE TABLE IF NOT EXISTS keten.checkpoints (
    name            text PRIMARY KEY,
    transaction_id  bigint NOT NULL,
    position        bigint NOT NULL
);
"""


async def setup(conn: Connection) -> None:
    await create_tables(conn, SCHEMA_SQL)


async def load(conn: Connection, name: str) -> GlobalPosition:
    row = await conn.fetchrow(
        "SELECT transaction_id, position FROM keten.checkpoints WHERE name = $1", name
    )
    return START if row is None else GlobalPosition(row["transaction_id"], row["position"])


async def save(conn: Connection, name: str, position: GlobalPosition) -> None:
    await conn.execute(
        """INSERT INTO keten.checkpoints (name, transaction_id, position) VALUES ($1, $2, $3)
           ON CONFLICT (name) DO UPDATE
           SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position""",
        name,
        position.transaction_id,
        position.position,
    )


async def remove(conn: Connection, name: str) -> None:
    await conn.execute("DELETE FROM keten.checkpoints WHERE name = $1", name)
