"""The figures pairing decides on, kept in the deciding transaction.

The live `quota` projection lags the event store by design, so a pairing cannot decide on it.
The decisions therefore keep their own copy of the same projection (`QuotaProjection`, same
tables, same `apply`) in the schema `housing_decisions`, applied to every ledger event in the
transaction that appends it (an inline projection). Every writer of ledger events first takes
one transaction-scoped advisory lock, so ledger decisions are serialized: a pairing sees every
pairing, housing and quota change committed before it, and none can slip in while it decides.

The copy is a cache of the log: if its schema is missing (first start, or dropped by an
operator) or older than its tables, it is made and filled from the event store under the same
lock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Final

from keten.housing.domain.figures import QuotaFigures
from keten.housing.projections.quota import QuotaProjection, read_figures
from keten.kernel import eventstore
from keten.kernel.db import Connection
from keten.kernel.eventstore import RecordedEvent
from keten.kernel.projections import schemas

DECISIONS_SCHEMA: Final = "housing_decisions"
_LOCK: Final = "keten.housing.ledger"
_PROJECTION: Final = QuotaProjection()
# The copy's newest table: a copy made before it existed is made again from the log.
_NEWEST_TABLE: Final = f"{DECISIONS_SCHEMA}.pairing_totals"


def touches_ledger(event_type: str) -> bool:
    return event_type in _PROJECTION.handles


async def lock(conn: Connection) -> None:
    """Serializes ledger decisions until the transaction ends; re-entrant in a transaction."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", _LOCK)
    if await conn.fetchval("SELECT to_regclass($1)", _NEWEST_TABLE) is None:
        await _create_from_log(conn)


async def figures(conn: Connection, period: str) -> dict[str, QuotaFigures]:
    await lock(conn)
    async with _decisions_schema(conn):
        return await read_figures(conn, period)


async def remaining(conn: Connection, period: str) -> dict[str, int]:
    """Each municipality's remaining obligation in `period` (absent: no activity, zero)."""
    return {code: f.remaining for code, f in (await figures(conn, period)).items()}


async def apply(conn: Connection, events: Sequence[RecordedEvent]) -> None:
    """Applies the ledger events among `events` to the decisions' copy."""
    ledger_events = [e for e in events if touches_ledger(e.event_type)]
    if not ledger_events:
        return
    await lock(conn)
    async with _decisions_schema(conn):
        for event in ledger_events:
            await _PROJECTION.apply(conn, event)


async def _create_from_log(conn: Connection) -> None:
    # Each ledger row is written by one stream only (a period's quota stream, or a case's
    # stream), so replaying stream by stream gives the same rows as the global order.
    await schemas.drop_schema(conn, DECISIONS_SCHEMA)
    await schemas.create_schema(conn, DECISIONS_SCHEMA, _PROJECTION)
    rows = await conn.fetch(
        "SELECT DISTINCT stream_id FROM keten.events WHERE event_type = ANY($1::text[])",
        sorted(_PROJECTION.handles),
    )
    async with _decisions_schema(conn):
        for row in rows:
            for event in await eventstore.read_stream(conn, row["stream_id"]):
                if touches_ledger(event.event_type):
                    await _PROJECTION.apply(conn, event)


@asynccontextmanager
async def _decisions_schema(conn: Connection) -> AsyncIterator[None]:
    # No `finally`: after an error the transaction is rolled back, and the setting with it.
    await schemas.use_schema(conn, DECISIONS_SCHEMA)
    yield
    await conn.execute("SET LOCAL search_path TO DEFAULT")
