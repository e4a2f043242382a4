"""A stream's folded state, kept beside the stream in the same transaction as each append.

Loading a long stream (a location with thousands of admissions) event by event on every message
would make each message slower than the last. A snapshot holds the state at a version; loading
reads it and folds only the events after it. Because it is written in the transaction that
appends, it is never ahead of or behind what committed; and it is derived data: deleting every
snapshot only makes the next load fold from the start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, Generic, TypeVar

from pydantic import TypeAdapter

from keten.contracts.messages import Message
from keten.kernel.db import Connection, create_tables
from keten.kernel.eventstore.model import NewEvent
from keten.kernel.eventstore.store import append, read_stream

S = TypeVar("S")

SCHEMA_SQL: Final = """
CREATE SCHEMA IF NOT EXISTS keten;
CREATE TABLE IF NOT EXISTS keten.snapshots (
    stream_id  text PRIMARY KEY,
    version    integer NOT NULL,
    state      jsonb NOT NULL
);
"""


async def setup(conn: Connection) -> None:
    await create_tables(conn, SCHEMA_SQL)


class Aggregate(Generic[S]):
    """Loads and appends to streams whose state is `S`, folded by `evolve` from `initial`."""

    def __init__(
        self,
        state_type: type[S],
        initial: Callable[[str], S],
        evolve: Callable[[S, Message], S],
    ) -> None:
        self._adapter: TypeAdapter[S] = TypeAdapter(state_type)
        self._initial = initial
        self._evolve = evolve

    async def load(self, conn: Connection, stream_id: str, subject: str) -> tuple[S, int]:
        """The state and version of the stream, as committed (plus this transaction's writes)."""
        row = await conn.fetchrow(
            "SELECT version, state FROM keten.snapshots WHERE stream_id = $1", stream_id
        )
        if row is None:
            state, version = self._initial(subject), 0
        else:
            state, version = self._adapter.validate_python(row["state"]), row["version"]
        for event in await read_stream(conn, stream_id, after_version=version):
            state, version = self._evolve(state, event.message()), event.version
        return state, version

    async def append(
        self,
        conn: Connection,
        stream_id: str,
        loaded: tuple[S, int],
        events: Sequence[NewEvent],
    ) -> S:
        """Appends at the loaded version (a conflict is retried by the caller) and keeps the
        new state as the stream's snapshot; returns it."""
        state, version = loaded
        if not events:
            return state
        new_version = await append(conn, stream_id, version, events)
        for event in events:
            state = self._evolve(state, event.message)
        await conn.execute(
            """INSERT INTO keten.snapshots (stream_id, version, state) VALUES ($1, $2, $3)
               ON CONFLICT (stream_id) DO UPDATE
               SET version = EXCLUDED.version, state = EXCLUDED.state""",
            stream_id,
            new_version,
            self._adapter.dump_python(state, mode="json"),
        )
        return state
