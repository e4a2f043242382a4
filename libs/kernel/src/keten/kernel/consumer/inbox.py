"""The consumer's record of what it has processed: one row per message id, written in the same
transaction as the handler's effect. A redelivered message finds its row and is skipped; the
row keeps a hash of the message's content, so that an id reused for other content is told
apart from a redelivery. A message dead-lettered and then replayed finds its row marked
`dead_lettered` and may take effect once; the row is then marked `applied`. A parked
message's row is marked `parked` until it runs again."""

from __future__ import annotations

from dataclasses import dataclass
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
    content_hash  bytea,
    PRIMARY KEY (consumer, message_id)
);
ALTER TABLE keten.inbox ADD COLUMN IF NOT EXISTS content_hash bytea;
"""


@dataclass(frozen=True)
class Seen:
    """A message id already processed: how it ended, and a hash of its content."""

    outcome: Outcome
    content_hash: bytes | None

    def same_content(self, content_hash: bytes) -> bool:
        return self.content_hash is None or self.content_hash == content_hash


async def setup(conn: Connection) -> None:
    await create_tables(conn, SCHEMA_SQL)


async def seen(conn: Connection, consumer: str, message_id: str) -> bool:
    found = await conn.fetchval(
        "SELECT 1 FROM keten.inbox WHERE consumer = $1 AND message_id = $2", consumer, message_id
    )
    return found is not None


async def seen_among(conn: Connection, consumer: str, message_ids: list[str]) -> dict[str, Seen]:
    """Which of these messages were already processed (one query for a whole batch)."""
    if not message_ids:
        return {}
    rows = await conn.fetch(
        "SELECT message_id, outcome, content_hash FROM keten.inbox"
        " WHERE consumer = $1 AND message_id = ANY($2)",
        consumer,
        message_ids,
    )
    return {row["message_id"]: Seen(Outcome(row["outcome"]), row["content_hash"]) for row in rows}


async def record(  # noqa: PLR0913 - the row's parts, named
    conn: Connection,
    consumer: str,
    message_id: str,
    incoming: IncomingRecord,
    outcome: Outcome,
    *,
    content_hash: bytes,
) -> bool:
    """Records the message as processed; False if it already was (a concurrent duplicate)."""
    inserted = await conn.fetchval(
        """INSERT INTO keten.inbox
                  (consumer, message_id, topic, partition, "offset", outcome, content_hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING 1""",
        consumer,
        message_id,
        incoming.topic,
        incoming.partition,
        incoming.offset,
        outcome.value,
        content_hash,
    )
    return inserted is not None


async def resumed(
    conn: Connection, consumer: str, message_id: str, *, was: Outcome, now: Outcome
) -> bool:
    """Moves a dead-lettered (replayed) or parked (run again) message to its new outcome;
    False if it was not `was` (any more): a concurrent run took effect first."""
    updated = await conn.fetchval(
        """UPDATE keten.inbox SET outcome = $4, processed_at = now()
            WHERE consumer = $1 AND message_id = $2 AND outcome = $3
           RETURNING 1""",
        consumer,
        message_id,
        was.value,
        now.value,
    )
    return updated is not None
