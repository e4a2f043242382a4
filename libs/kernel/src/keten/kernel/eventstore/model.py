"""What goes into the event store and what comes out of it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from keten.contracts.envelope import CloudEvent
from keten.contracts.messages import Event, Message, parse_data


class GlobalPosition(NamedTuple):
    """A place in the global order: events are read by (transaction_id, position)."""

    transaction_id: int
    position: int


START = GlobalPosition(0, 0)


class ConcurrencyError(Exception):
    """The stream is not at the expected version: reload, decide again, retry."""


@dataclass(frozen=True)
class NewEvent:
    """An event to append, with its envelope attributes."""

    message: Event
    subject: str
    occurred_at: datetime
    source: str
    correlation_id: str | None = None
    causation_id: str | None = None
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    # False for a fact learned from another service, kept here but not published again.
    publish: bool = True

    @property
    def topic(self) -> str | None:
        return self.message.topic if self.publish else None


@dataclass(frozen=True)
class RecordedEvent:
    """An event as stored; `message()` reads it as the current schema version."""

    position: GlobalPosition
    stream_id: str
    version: int
    event_id: str
    event_type: str
    schema_version: int
    subject: str
    topic: str | None
    data: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime
    correlation_id: str | None
    causation_id: str | None
    source: str

    def message(self) -> Message:
        return parse_data(self.event_type, self.schema_version, self.data)

    def to_cloudevent(self) -> CloudEvent:
        return CloudEvent(
            specversion="1.0",
            id=self.event_id,
            source=self.source,
            type=self.event_type,
            time=self.occurred_at,
            subject=self.subject,
            correlationid=self.correlation_id or self.event_id,
            causationid=self.causation_id or self.event_id,
            schemaversion=self.schema_version,
            data=self.data,
        )
