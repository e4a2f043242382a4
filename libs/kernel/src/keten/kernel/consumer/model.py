"""What a consumer handler receives, and what becomes of a record."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from keten.contracts.envelope import CloudEvent
from keten.contracts.messages import Event, Message
from keten.kernel.db import Connection
from keten.kernel.eventstore import NewEvent
from keten.kernel.verdicts import Rejected

__all__ = ["Delivery", "Handler", "IncomingRecord", "Outcome", "Rejected"]


@dataclass(frozen=True)
class IncomingRecord:
    """A Kafka record as received, before anything is decoded."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()

    @property
    def position_id(self) -> str:
        return f"{self.topic}/{self.partition}/{self.offset}"


@dataclass(frozen=True)
class Delivery:
    """A decoded, validated message with its envelope and where it came from."""

    envelope: CloudEvent
    message: Message
    record: IncomingRecord

    @property
    def correlation_id(self) -> str:
        return self.envelope.correlationid or self.envelope.id

    def caused(
        self, message: Event, *, subject: str, source: str, publish: bool = True
    ) -> NewEvent:
        """An event derived from this message: same time, correlated, caused by it. Without
        `publish`, a fact of another service kept in this store and not published again."""
        return NewEvent(
            message=message,
            subject=subject,
            occurred_at=self.envelope.time,
            source=source,
            correlation_id=self.correlation_id,
            causation_id=self.envelope.id,
            publish=publish,
        )


Handler = Callable[[Connection, Delivery], Awaitable[None]]


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    DEAD_LETTERED = "dead_lettered"
    PARKED = "parked"
