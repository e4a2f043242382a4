"""Dead letters kept in the service's store: written in the transaction that refused the
record, published to `<topic>.dlq` by the outbox relay, listed and replayed by `keten dlq`.

One row per record position and consumer, so a redelivered record is dead-lettered once. The
value is the original bytes, with any `personal` block sealed with registration's dead-letter
key; reasons name rules and ids, never input values.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import asyncpg
import orjson

from keten.contracts.errors import Stage
from keten.contracts.topics import dead_letter_topic
from keten.kernel.consumer.model import IncomingRecord
from keten.kernel.db import Connection, create_tables
from keten.kernel.producer import OutgoingRecord

SCHEMA_SQL: Final = """
CREATE SCHEMA IF NOT EXISTS keten;
CREATE TABLE IF NOT EXISTS keten.dead_letters (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer      text NOT NULL,
    topic         text NOT NULL,
    partition     integer NOT NULL,
    "offset"      bigint NOT NULL,
    message_id    text,
    message_type  text,
    key           bytea,
    value         bytea NOT NULL,
    headers       jsonb NOT NULL DEFAULT '[]',
    sealed        boolean NOT NULL,
    stage         text NOT NULL,
    error_type    text NOT NULL,
    reason        text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz,
    replays       integer NOT NULL DEFAULT 0,
    replayed_at   timestamptz,
    resolved_at   timestamptz,
    UNIQUE (consumer, topic, partition, "offset")
);
CREATE INDEX IF NOT EXISTS dead_letters_unpublished
    ON keten.dead_letters (id) WHERE published_at IS NULL;
"""

# A dead letter's value on Kafka at most (the producer and broker take 1 MiB a record).
MAX_PUBLISHED_BYTES: Final = 960_000
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TEXT_LIMIT: Final = 500


def safe_text(text: str) -> str:
    """Text a PostgreSQL column and a Kafka header can hold: no control characters, bounded."""
    return _CONTROL.sub("?", text)[:_TEXT_LIMIT]


@dataclass(frozen=True)
class DeadLetter:
    """Why a record was refused: the stage that refused it, the kind of error, the rule."""

    stage: Stage
    error_type: str
    reason: str


@dataclass(frozen=True)
class StoredDeadLetter:
    id: int
    consumer: str
    topic: str
    partition: int
    offset: int
    message_id: str | None
    message_type: str | None
    key: bytes | None
    value: bytes
    headers: list[list[str]]  # the record's own headers, [name, base64 of the value]
    sealed: bool
    stage: str
    error_type: str
    reason: str
    created_at: datetime
    published_at: datetime | None
    replays: int
    resolved_at: datetime | None

    def record(self, value: bytes) -> IncomingRecord:
        """The record as it was consumed, with `value` (the letter's, its seals opened)."""
        headers = tuple((name, base64.b64decode(raw)) for name, raw in self.headers)
        return IncomingRecord(self.topic, self.partition, self.offset, self.key, value, headers)

    def error_headers(self) -> tuple[tuple[str, bytes], ...]:
        return (
            ("error.stage", self.stage.encode()),
            ("error.type", self.error_type.encode()),
            ("error.message", self.reason.encode()),
            ("original.topic", self.topic.encode()),
            ("original.partition", str(self.partition).encode()),
            ("original.offset", str(self.offset).encode()),
            ("original.consumer", self.consumer.encode()),
            ("dead_letter.id", str(self.id).encode()),
            ("dead_letter.sealed", b"true" if self.sealed else b"false"),
        )

    def to_outgoing(self) -> OutgoingRecord:
        """The letter for `<topic>.dlq`; one too large for Kafka (a value near the broker's
        limit, grown by its seal) stands there as a pointer to the row that keeps it whole."""
        value = self.value
        headers = self.error_headers()
        if len(value) > MAX_PUBLISHED_BYTES:
            kept = {"consumer": self.consumer, "id": self.id, "bytes": len(value)}
            value = orjson.dumps({"keten.kept_in_store": kept})
            headers = (*headers, ("dead_letter.kept_in_store", b"true"))
        return OutgoingRecord(dead_letter_topic(self.topic), value, self.key, headers)


async def setup(conn: Connection) -> None:
    await create_tables(conn, SCHEMA_SQL)


_INSERT: Final = """
INSERT INTO keten.dead_letters (consumer, topic, partition, "offset", message_id, message_type,
                                key, value, sealed, stage, error_type, reason, headers)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (consumer, topic, partition, "offset")
"""
_ADD: Final = _INSERT + "DO NOTHING"
_RENEW: Final = (
    _INSERT + "DO UPDATE SET stage = EXCLUDED.stage, error_type = EXCLUDED.error_type,"
    " reason = EXCLUDED.reason"
)


async def add(  # noqa: PLR0913 - the row's parts, named
    conn: Connection,
    consumer: str,
    record: IncomingRecord,
    dead: DeadLetter,
    *,
    value: bytes,
    sealed: bool,
    message_id: str | None,
    message_type: str | None,
    renew: bool = False,
) -> None:
    """Keeps the dead letter; a record already dead-lettered by this consumer stays as it was,
    or with `renew` takes the new stage and reason."""
    await conn.execute(
        _RENEW if renew else _ADD,
        consumer,
        safe_text(record.topic),
        record.partition,
        record.offset,
        None if message_id is None else safe_text(message_id),
        None if message_type is None else safe_text(message_type),
        record.key,
        value,
        sealed,
        dead.stage,
        safe_text(dead.error_type),
        safe_text(dead.reason),
        [[safe_text(name), base64.b64encode(raw).decode()] for name, raw in record.headers],
    )


_COLUMNS: Final = (
    'id, consumer, topic, partition, "offset", message_id, message_type, key, value, headers,'
    " sealed, stage, error_type, reason, created_at, published_at, replays, resolved_at"
)


def _stored(row: asyncpg.Record) -> StoredDeadLetter:
    return StoredDeadLetter(**{name: row[name] for name in row.keys()})  # noqa: SIM118


async def unpublished(conn: Connection, limit: int) -> list[StoredDeadLetter]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM keten.dead_letters"  # noqa: S608 - a constant column list
        " WHERE published_at IS NULL ORDER BY id LIMIT $1",
        limit,
    )
    return [_stored(row) for row in rows]


async def mark_published(conn: Connection, ids: Sequence[int]) -> None:
    await conn.execute(
        "UPDATE keten.dead_letters SET published_at = now() WHERE id = ANY($1::bigint[])", ids
    )


async def listing(
    conn: Connection, *, topic: str | None = None, reason: str | None = None, limit: int = 1000
) -> list[StoredDeadLetter]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM keten.dead_letters"  # noqa: S608 - a constant column list
        " WHERE ($1::text IS NULL OR topic = $1)"
        "   AND ($2::text IS NULL OR reason ILIKE '%' || $2 || '%' OR error_type = $2)"
        " ORDER BY id LIMIT $3",
        topic,
        reason,
        limit,
    )
    return [_stored(row) for row in rows]


async def find(conn: Connection, letter_id: int) -> StoredDeadLetter | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM keten.dead_letters WHERE id = $1",  # noqa: S608
        letter_id,
    )
    return None if row is None else _stored(row)


async def replayed(conn: Connection, letter_id: int, *, resolved: bool) -> None:
    """Counts a replay; a resolved letter has taken effect (its replays are duplicates)."""
    await conn.execute(
        """UPDATE keten.dead_letters
              SET replays = replays + 1, replayed_at = now(),
                  resolved_at = CASE WHEN $2 THEN coalesce(resolved_at, now()) END
            WHERE id = $1""",
        letter_id,
        resolved,
    )
