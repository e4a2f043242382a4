"""The consumer's record of what it has processed: one row per message id, written in the same
transaction as the handler's effect. A redelivered message finds its row and is skipped."""

from __future__ import annotations

from typing import Final

from keten.kernel.consumer.model import IncomingRecord, Outcome
from keten.kernel.db import Connection, create_tables

SCHEMA_SQL: Final = """
CREATE SCHEMA IF NOT EXISTS keten;
CREATE TABLE IF NOT EXISTS keten.inbox (
    consumer      text NOT NULL,
    message_id    text NOT NULL,
    topic         text NOT NULL,
    partition     integer NOT NULL,
    "offset"      bigint NOT NULL,
    outcome       text NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);
"""


async def setup(conn: Connection) -> None:
    await create_tables(conn, SCHEMA_SQL)


async def seen(conn: Connection, consumer: str, message_id: str) -> bool:
    found = await conn.fetchval(
        "SELECT 1 FROM keten.inbox WHERE consumer = $1 AND message_id = $2", consumer, message_id
    )
    return found is not None


async def seen_among(conn: Connection, consumer: str, message_ids: list[str]) -> set[str]:
    """Which of these messages were already processed (one query for a whole batch)."""
    if not message_ids:
        return set()
    rows = await conn.fetch(
        "SELECT message_id FROM keten.inbox WHERE consumer = $1 AND message_id = ANY($2)",
        consumer,
        message_ids,
    )
    return {row["message_id"] for row in rows}


async def record(
    conn: Connection, consumer: str, message_id: str, incoming: IncomingRecord, outcome: Outcome
) -> bool:
    """Records the message as processed; False if it already was (a concurrent duplicate)."""
    inserted = await conn.fetchval(
        """INSERT INTO keten.inbox (consumer, message_id, topic, partition, "offset", outcome)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1""",
        consumer,
        message_id,
        incoming.topic,
        incoming.partition,
        incoming.offset,
        outcome.value,
    )
    return inserted is not None
