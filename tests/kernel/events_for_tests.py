"""Event types that exist only for the kernel's tests: the kernel knows no service."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from keten.contracts.messages import Command, Event
from keten.kernel.eventstore import NewEvent

TEST_EVENTS_TOPIC = "kernel.test.events"


class KernelTestHappened(Event):
    """A fact with a counter, published by the outbox relay."""

    topic = TEST_EVENTS_TOPIC

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


class KernelTestDo(Command):
    """A command whose effect is one KernelTestHappened on the subject's stream."""

    counter: int
    refuse: bool = False


def command_json(
    counter: int, *, subject: str = "s-1", message_id: str | None = None, refuse: bool = False
) -> bytes:
    """The raw CloudEvents JSON an outside system would publish."""
    return orjson.dumps(
        {
            "specversion": "1.0",
            "id": message_id or f"cmd-{subject}-{counter}",
            "source": "tests/outside",
            "type": "KernelTestDo",
            "time": "2026-03-02T09:30:00+01:00",
            "subject": subject,
            "datacontenttype": "application/json",
            "data": {"counter": counter, "refuse": refuse},
        }
    )
