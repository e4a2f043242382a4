"""One shape for every service: handlers by message type, and decisions as data.

A service registers one handler per message type with its payload's class (`On`); the kernel
checks the type before the handler runs. A handler loads what it decides on through a
`Decider` (`initial`, `evolve`, optionally a snapshot), asks a pure function for a `Decision`
and lets the decider append it: its events (derived from the message: same time, correlated,
caused by it), its timers, and its verdict: done, `Refused(reason)` (a dead letter) or
`NotYet(stream, what)` (parked until the stream has the fact).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Generic, TypeVar

from keten.contracts.messages import Event, Message
from keten.kernel import timers
from keten.kernel.consumer.model import Delivery, Handler
from keten.kernel.db import Connection
from keten.kernel.eventstore import NewEvent, append, read_stream
from keten.kernel.eventstore.snapshots import Aggregate
from keten.kernel.verdicts import NotYet, Refused, Verdict, settle

S = TypeVar("S")
M = TypeVar("M", bound=Message)

__all__ = ["Decider", "Decision", "Loaded", "NotYet", "On", "Refused", "Timer", "handlers"]


@dataclass(frozen=True)
class On(Generic[M]):
    """The handler of one message type; it receives the message as its own class."""

    kind: type[M]
    handle: Callable[[Connection, Delivery, M], Awaitable[None]]

    async def __call__(self, conn: Connection, delivery: Delivery) -> None:
        message = delivery.message
        if not isinstance(message, self.kind):
            raise TypeError(f"expected {self.kind.type_name()}, got {message.type_name()}")
        await self.handle(conn, delivery, message)


def handlers(*ons: On[Any]) -> dict[str, Handler]:
    """The handlers of a consumer, by message type (each type once)."""
    table: dict[str, Handler] = {}
    for on in ons:
        name = on.kind.type_name()
        if name in table:
            raise ValueError(f"two handlers for {name}")
        table[name] = on
    return table


@dataclass(frozen=True)
class Timer:
    """A timer a decision sets: it fires at `due_at` (on the service's clock) for `subject`."""

    timer_id: str
    kind: str
    due_at: datetime
    subject: str
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """What a decision comes to; without a verdict it is done."""

    events: Sequence[Event] = ()
    timers: Sequence[Timer] = ()
    cancelled: Sequence[str] = ()  # ids of timers it makes moot
    verdict: Verdict | None = None

    @classmethod
    def refuse(cls, reason: str) -> Decision:
        return cls(verdict=Refused(reason))

    @classmethod
    def wait(cls, stream: str, what: str, after_version: int = 0) -> Decision:
        """Parked until `stream` grows past `after_version` (the version the decision saw)."""
        return cls(verdict=NotYet(stream, what, after_version))


@dataclass(frozen=True)
class Loaded(Generic[S]):
    """A stream's state and the version it was folded to."""

    state: S
    version: int


class Decider(Generic[S]):
    """Loads, decides and appends one kind of stream: `stream(subject)` names it, `initial`
    and `evolve` fold it; with `snapshot` (the state's type) its state is kept beside it."""

    def __init__(
        self,
        *,
        stream: Callable[[str], str],
        initial: Callable[[str], S],
        evolve: Callable[[S, Message], S],
        source: str,
        snapshot: type[S] | None = None,
    ) -> None:
        self.stream = stream
        self.source = source
        self._initial = initial
        self._evolve = evolve
        self._snapshots = None if snapshot is None else Aggregate(snapshot, initial, evolve)

    async def load(self, conn: Connection, subject: str) -> Loaded[S]:
        stream_id = self.stream(subject)
        if self._snapshots is not None:
            state, version = await self._snapshots.load(conn, stream_id, subject)
            return Loaded(state, version)
        state = self._initial(subject)
        version = 0
        for event in await read_stream(conn, stream_id):
            state, version = self._evolve(state, event.message()), event.version
        return Loaded(state, version)

    async def handle(
        self,
        conn: Connection,
        delivery: Delivery,
        subject: str,
        decide: Callable[[S], Decision],
    ) -> Decision:
        """Loads the subject's stream, decides on it and records the decision, its events
        derived from the message. A refusal or a wait is raised (nothing is written)."""
        loaded = await self.load(conn, subject)
        decision = decide(loaded.state)
        events = [delivery.caused(e, subject=subject, source=self.source) for e in decision.events]
        await self.record(conn, subject, loaded, decision, events)
        return decision

    async def record(
        self,
        conn: Connection,
        subject: str,
        loaded: Loaded[S],
        decision: Decision,
        events: Sequence[NewEvent],
    ) -> None:
        """Records a decision taken on `loaded`: raises its verdict, else appends its events at
        the loaded version (a conflict is retried by the kernel) and sets its timers. A wait for
        the very stream it was taken on waits for it to grow past the loaded version: a fact
        recorded meanwhile is not missed, nor is the message run again for nothing."""
        stream_id = self.stream(subject)
        verdict = decision.verdict
        if isinstance(verdict, NotYet) and verdict.stream == stream_id:
            verdict = replace(verdict, after_version=max(verdict.after_version, loaded.version))
        settle(verdict)
        if self._snapshots is not None:
            await self._snapshots.append(conn, stream_id, (loaded.state, loaded.version), events)
        else:
            await append(conn, stream_id, loaded.version, events)
        for timer_id in decision.cancelled:
            await timers.cancel(conn, timer_id)
        for timer in decision.timers:
            await timers.schedule(
                conn, timer.timer_id, timer.kind, timer.due_at, dict(timer.payload),
                subject=timer.subject,
            )  # fmt: skip
