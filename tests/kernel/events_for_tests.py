"""Event types that exist only for the kernel's tests: the kernel knows no service."""

from __future__ import annotations

from datetime import UTC, datetime

from keten.kernel.eventstore import NewEvent
from keten.contracts.messages import Event


class KernelTestHappened(Event):
    """A fact with a counter, published on a topic chosen by each test."""

    counter: int
    note: str = ""


class KernelTestRecorded(Event):
    """A fact kept in the store only (no topic)."""

    counter: int


def happened(counter: int, subject: str = "s-1", when: datetime | None = None) -> NewEvent:
    return NewEvent(
        message=KernelTestHappened(counter=counter),
        subject=subject,
        occurred_at=when or datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        source="tests/kernel",
    )
