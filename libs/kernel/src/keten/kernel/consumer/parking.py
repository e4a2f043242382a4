"""Parked messages: what had to wait for a fact this service has not recorded yet.

A message whose decision is `NotYet(stream, what)` is kept here, in the transaction that
decided so, with the stream it waits for and the version of it the decision saw. It is ready
once the stream has grown past that version (whichever consumer recorded the fact), and runs
again, in event-time order, through the consumer that parked it. A later message of the same subject
waits behind an earlier parked one (same stream), so a subject's messages keep their order.
What waits longer than the service's limit (wall clock) is dead-lettered: "waited for …".
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import asyncpg

from keten.kernel.consumer.deadletters import safe_text
from keten.kernel.consumer.model import IncomingRecord
from keten.kernel.db import Connection, create_tables
from keten.kernel.verdicts import NotYet

SCHEMA_SQL: Final = """
CREATE SCHEMA IF NOT EXISTS keten;
CREATE TABLE IF NOT EXISTS keten.parked (
    consumer      text NOT NULL,
    message_id    text NOT NULL,
    message_type  text NOT NULL,
    subject       text NOT NULL,
    event_time    timestamptz NOT NULL,
    topic         text NOT NULL,
    partition     integer NOT NULL,
    "offset"      bigint NOT NULL,
    key           bytea,
    value         bytea NOT NULL,
    headers       jsonb NOT NULL DEFAULT '[]',
    sealed        boolean NOT NULL,
    waits_for     text NOT NULL,
    waits_after   integer NOT NULL,
    what          text NOT NULL,
    parked_at     timestamptz NOT NULL DEFAULT now(),
    runs          integer NOT NULL DEFAULT 0,
    PRIMARY KEY (consumer, message_id)
);
CREATE INDEX IF NOT EXISTS parked_subject ON keten.parked (consumer, subject, event_time);
CREATE INDEX IF NOT EXISTS parked_waits_for ON keten.parked (waits_for);
"""


@dataclass(frozen=True)
class Wait:
    """What a parked message waits for: a stream past a version, told as `what`."""

    stream: str
    after_version: int
    what: str


@dataclass(frozen=True)
class ParkedMessage:
    consumer: str
    message_id: str
    message_type: str
    subject: str
    event_time: datetime
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: list[list[str]]
    sealed: bool
    waits_for: str
    waits_after: int
    what: str
    parked_at: datetime
    runs: int

    def record(self, value: bytes) -> IncomingRecord:
        """The record as it was consumed, with `value` (its seals opened)."""
        headers = tuple((name, base64.b64decode(raw)) for name, raw in self.headers)
        return IncomingRecord(self.topic, self.partition, self.offset, self.key, value, headers)

    def summary(self) -> dict[str, object]:
        return {
            "consumer": self.consumer,
            "message_id": self.message_id,
            "message_type": self.message_type,
            "subject": self.subject,
            "event_time": self.event_time.isoformat(),
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "waits_for": self.what,
            "stream": self.waits_for,
            "parked_at": self.parked_at.isoformat(),
            "runs": self.runs,
        }


async def setup(conn: Connection) -> None:
    await create_tables(conn, SCHEMA_SQL)


def wait_for(not_yet: NotYet) -> Wait:
    """The wait for `not_yet`: its stream past the version the decision saw."""
    return Wait(not_yet.stream, not_yet.after_version, safe_text(not_yet.what))


async def wait_again(conn: Connection, parked: ParkedMessage) -> None:
    """A message run again that waits for what it waited for, at the same version, although
    that stream has grown (its decision did not say the version it saw): it waits for the
    stream past its present version, so that it is not run again and again."""
    await conn.execute(
        """UPDATE keten.parked p SET waits_after = greatest(p.waits_after, coalesce(
                  (SELECT max(version) FROM keten.events WHERE stream_id = p.waits_for), 0))
            WHERE consumer = $1 AND message_id = $2 AND waits_for = $3 AND waits_after = $4""",
        parked.consumer,
        parked.message_id,
        parked.waits_for,
        parked.waits_after,
    )


async def subjects_among(conn: Connection, consumer: str, subjects: Sequence[str]) -> set[str]:
    """Which of these subjects have parked messages (one query for a batch)."""
    if not subjects:
        return set()
    rows = await conn.fetch(
        "SELECT DISTINCT subject FROM keten.parked WHERE consumer = $1 AND subject = ANY($2)",
        consumer,
        list(set(subjects)),
    )
    return {row["subject"] for row in rows}


async def earlier(
    conn: Connection, consumer: str, subject: str, event_time: datetime, message_id: str
) -> Wait | None:
    """The wait of the subject's earliest parked message before this one, if there is one."""
    row = await conn.fetchrow(
        """SELECT waits_for, waits_after, what, message_type FROM keten.parked
            WHERE consumer = $1 AND subject = $2 AND message_id <> $4
              AND (event_time, message_id) < ($3, $4)
            ORDER BY event_time, message_id LIMIT 1""",
        consumer,
        subject,
        event_time,
        message_id,
    )
    if row is None:
        return None
    what = f"an earlier {row['message_type']} of {subject}, which waits for {row['what']}"
    return Wait(row["waits_for"], row["waits_after"], safe_text(what))


async def park(  # noqa: PLR0913 - the row's parts, named
    conn: Connection,
    consumer: str,
    record: IncomingRecord,
    *,
    message_id: str,
    message_type: str,
    subject: str,
    event_time: datetime,
    value: bytes,
    sealed: bool,
    wait: Wait,
) -> None:
    """Parks the message; parked again (a re-run that must wait on), it takes the new wait and
    keeps the moment it was first parked."""
    await conn.execute(
        """INSERT INTO keten.parked (consumer, message_id, message_type, subject, event_time,
                                     topic, partition, "offset", key, value, headers, sealed,
                                     waits_for, waits_after, what)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
           ON CONFLICT (consumer, message_id) DO UPDATE
              SET waits_for = EXCLUDED.waits_for, waits_after = EXCLUDED.waits_after,
                  what = EXCLUDED.what, runs = keten.parked.runs + 1""",
        consumer,
        message_id,
        message_type,
        subject,
        event_time,
        record.topic,
        record.partition,
        record.offset,
        record.key,
        value,
        [[name, base64.b64encode(raw).decode()] for name, raw in record.headers],
        sealed,
        wait.stream,
        wait.after_version,
        wait.what,
    )


async def unpark(conn: Connection, consumer: str, message_id: str) -> bool:
    """Removes the parked message; False if it was not parked (any more)."""
    removed = await conn.fetchval(
        "DELETE FROM keten.parked WHERE consumer = $1 AND message_id = $2 RETURNING 1",
        consumer,
        message_id,
    )
    return removed is not None


_COLUMNS: Final = (
    'consumer, message_id, message_type, subject, event_time, topic, partition, "offset", key,'
    " value, headers, sealed, waits_for, waits_after, what, parked_at, runs"
)


def _parked(row: asyncpg.Record) -> ParkedMessage:
    return ParkedMessage(**{name: row[name] for name in row.keys()})  # noqa: SIM118


async def ready(conn: Connection, consumers: Sequence[str], limit: int) -> list[ParkedMessage]:
    """Parked messages whose stream has grown past their wait, in event-time order."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM keten.parked p"  # noqa: S608 - a constant column list
        " WHERE consumer = ANY($1) AND EXISTS (SELECT 1 FROM keten.events e"
        "       WHERE e.stream_id = p.waits_for AND e.version > p.waits_after)"
        " ORDER BY event_time, message_id LIMIT $2",
        list(consumers),
        limit,
    )
    return [_parked(row) for row in rows]


async def overdue(
    conn: Connection, consumers: Sequence[str], longer_than: timedelta, limit: int
) -> list[ParkedMessage]:
    """Parked messages that have waited longer than `longer_than` of wall clock."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM keten.parked"  # noqa: S608 - a constant column list
        " WHERE consumer = ANY($1) AND parked_at < now() - $2::interval"
        " ORDER BY event_time, message_id LIMIT $3",
        list(consumers),
        longer_than,
        limit,
    )
    return [_parked(row) for row in rows]


async def listing(conn: Connection, *, limit: int = 1000) -> list[ParkedMessage]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM keten.parked"  # noqa: S608 - a constant column list
        " ORDER BY event_time, message_id LIMIT $1",
        limit,
    )
    return [_parked(row) for row in rows]


async def counts(conn: Connection) -> dict[str, int]:
    rows = await conn.fetch("SELECT consumer, count(*) AS n FROM keten.parked GROUP BY consumer")
    return {row["consumer"]: int(row["n"]) for row in rows}
