"""Creates every kernel table of a service's database: events, checkpoints, inbox, dead
letters, parked messages, timers."""

from __future__ import annotations

from keten.kernel import checkpoints, eventstore, timers
from keten.kernel.consumer import deadletters, inbox, parking
from keten.kernel.db import Connection
from keten.kernel.eventstore import snapshots


async def setup(conn: Connection) -> None:
    """Idempotent, and safe from several processes at once (one advisory lock for all)."""
    for module_setup in (
        eventstore.setup,
        snapshots.setup,
        checkpoints.setup,
        inbox.setup,
        deadletters.setup,
        parking.setup,
        timers.setup,
    ):
        await module_setup(conn)
