"""What a projection is: a read model with its own tables, fed by the events it handles."""

from __future__ import annotations

from typing import Protocol

from keten.kernel.db import Connection
from keten.kernel.eventstore import RecordedEvent


class Projection(Protocol):
    """A read model built only from events, so it can be rebuilt from the log at any time.

    Invariants: `create` and `apply` use unqualified table names (the kernel points the
    search path at the schema being built, live or a fresh copy); `apply` depends only on the
    event and the projection's own tables (no clock, no other source), so replaying the same
    events always gives the same rows and the same digest.
    """

    @property
    def name(self) -> str: ...

    @property
    def handles(self) -> frozenset[str]:
        """The event types it applies; others pass it by."""
        ...

    @property
    def tables(self) -> tuple[str, ...]:
        """Its tables, whose rows make up its digest."""
        ...

    async def create(self, conn: Connection) -> None:
        """Creates its tables (IF NOT EXISTS) in the current schema."""
        ...

    async def apply(self, conn: Connection, event: RecordedEvent) -> None: ...


def live_schema(projection_name: str) -> str:
    return f"proj_{projection_name}"
