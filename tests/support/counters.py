"""A projection for the kernel's tests and benchmarks: per subject, how many events of one type
and the sum of their `counter`; one upsert per event."""

from __future__ import annotations

from keten.kernel.db import Connection
from keten.kernel.eventstore import RecordedEvent


class Counters:
    tables = ("counters",)

    def __init__(self, name: str, event_type: str) -> None:
        self.name = name
        self.handles = frozenset({event_type})

    async def create(self, conn: Connection) -> None:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS counters "
            "(subject text PRIMARY KEY, events int NOT NULL, total bigint NOT NULL)"
        )

    async def apply(self, conn: Connection, event: RecordedEvent) -> None:
        await conn.execute(
            """INSERT INTO counters (subject, events, total) VALUES ($1, 1, $2)
               ON CONFLICT (subject) DO UPDATE
               SET events = counters.events + 1, total = counters.total + EXCLUDED.total""",
            event.subject,
            event.data["counter"],
        )
