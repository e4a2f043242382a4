"""The event store: streams with optimistic concurrency, and a gap-free global order."""

from keten.kernel.eventstore.model import (
    START,
    ConcurrencyError,
    GlobalPosition,
    NewEvent,
    RecordedEvent,
)
from keten.kernel.eventstore.store import append, head, read_all, read_stream, setup

__all__ = [
    "START",
    "ConcurrencyError",
    "GlobalPosition",
    "NewEvent",
    "RecordedEvent",
    "append",
    "head",
    "read_all",
    "read_stream",
    "setup",
]
