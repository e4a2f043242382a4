"""The PostgreSQL event store: append with an expected version, read a stream, read all."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

import asyncpg

from keten.kernel.db import Connection, create_tables
from keten.kernel.eventstore.model import (
    ConcurrencyError,
    GlobalPosition,
    NewEvent,
    RecordedEvent,
)
from keten.kernel.eventstore.schema import SCHEMA_SQL

_COLUMNS: Final = (
    "transaction_id, position, stream_id, version, event_id, event_type, schema_version,"
    " subject, topic, data, occurred_at, recorded_at, correlation_id, causation_id, source"
)

_APPEND: Final = """
INSERT INTO keten.events (stream_id, version, event_id, event_type, schema_version, subject,
                          topic, data, occurred_at, correlation_id, causation_id, source)
SELECT $1, $2 + n, e.event_id, e.event_type, e.schema_version, e.subject, e.topic,
       e.data::jsonb, e.occurred_at, e.correlation_id, e.causation_id, e.source
  FROM unnest($3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[],
              $9::timestamptz[], $10::text[], $11::text[], $12::text[])
       WITH ORDINALITY AS e(event_id, event_type, schema_version, subject, topic, data,
                            occurred_at, correlation_id, causation_id, source, n)
 ORDER BY n
"""

# Only below the oldest running transaction is the order final: nothing can commit there.
_READ_ALL: Final = f"""
SELECT {_COLUMNS} FROM keten.events
 WHERE (transaction_id, position) > ($1, $2)
   AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
   AND ($4::timestamptz IS NULL OR occurred_at <= $4)
   AND ($5::bigint IS NULL OR (transaction_id, position) <= ($5, $6))
 ORDER BY transaction_id, position
 LIMIT $3
"""  # noqa: S608 - a constant column list


async def setup(conn: Connection) -> None:
    """Creates the event store's tables if absent; safe to run from several processes."""
    await create_tables(conn, SCHEMA_SQL)


async def append(
    conn: Connection, stream_id: str, expected_version: int, events: Sequence[NewEvent]
) -> int:
    """Appends `events` after `expected_version`; returns the stream's new version.

    Raises `ConcurrencyError` when the stream is not at `expected_version`, and
    `asyncpg.SerializationError` when a later transaction extended the stream first (retry).
    """
    if not events:
        return expected_version
    columns: list[list[Any]] = [[] for _ in range(10)]
    for event in events:
        message = event.message
        values = (
            event.event_id,
            message.type_name(),
            message.schema_version,
            event.subject,
            event.topic,
            message.model_dump_json(),
            event.occurred_at,
            event.correlation_id,
            event.causation_id,
            event.source,
        )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    try:
        await conn.execute(_APPEND, stream_id, expected_version, *columns)
    except asyncpg.UniqueViolationError as exc:
        raise ConcurrencyError(f"stream {stream_id} is not at version {expected_version}") from exc
    return expected_version + len(events)


async def read_stream(
    conn: Connection, stream_id: str, after_version: int = 0
) -> list[RecordedEvent]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM keten.events"  # noqa: S608 - a constant column list
        " WHERE stream_id = $1 AND version > $2 ORDER BY version",
        stream_id,
        after_version,
    )
    return [_recorded(row) for row in rows]


async def read_all(
    conn: Connection,
    after: GlobalPosition,
    limit: int = 1000,
    until: datetime | None = None,
    up_to: GlobalPosition | None = None,
) -> list[RecordedEvent]:
    """The next committed events in the global order, none skipped, none twice.

    `until` keeps only events that occurred at or before that time (for as-of replays);
    `up_to` stops at that position (to compare a rebuild with a live projection).
    """
    last_tx, last_position = up_to if up_to is not None else (None, None)
    rows = await conn.fetch(
        _READ_ALL, after.transaction_id, after.position, limit, until, last_tx, last_position
    )
    return [_recorded(row) for row in rows]


async def head(conn: Connection) -> GlobalPosition | None:
    """The last event written (committed or not yet visible to ordered readers), if any."""
    row = await conn.fetchrow(
        "SELECT transaction_id, position FROM keten.events "
        "ORDER BY transaction_id DESC, position DESC LIMIT 1"
    )
    return None if row is None else GlobalPosition(row["transaction_id"], row["position"])


def _recorded(row: asyncpg.Record) -> RecordedEvent:
    return RecordedEvent(
        position=GlobalPosition(row["transaction_id"], row["position"]),
        stream_id=row["stream_id"],
        version=row["version"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        schema_version=row["schema_version"],
        subject=row["subject"],
        topic=row["topic"],
        data=row["data"],
        occurred_at=row["occurred_at"],
        recorded_at=row["recorded_at"],
        correlation_id=row["correlation_id"],
        causation_id=row["causation_id"],
        source=row["source"],
    )
