"""Housing's streams: their names, how they are loaded, and how a decision on one is recorded.

Streams: `case-<case_id>` (what housing knows of a case: its stay, permit, pairing and
housing), `location-<location_id>` (where a location is, learned from the capacity ledger),
`quota-<period>` (a half year's quota ledger). A message that needs a fact housing has not
recorded yet waits for the stream where that fact will be recorded.

Recording a decision appends its events, sets or drops its timers and applies its ledger
events to the decisions' copy of the figures (`ledger.apply`), in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, TypeVar

from keten.contracts.messages import Event
from keten.housing import ledger
from keten.housing.domain.case import CaseState, evolve
from keten.housing.domain.location import KnownLocation, evolve_location
from keten.housing.domain.quota import QuotaLedger, evolve_quota
from keten.kernel import eventstore
from keten.kernel.consumer import Delivery
from keten.kernel.db import Connection
from keten.kernel.decider import Decider, Decision, Loaded
from keten.kernel.eventstore import NewEvent, RecordedEvent

S = TypeVar("S")

SOURCE: Final = "keten/housing"


def case_stream(case_id: str) -> str:
    return f"case-{case_id}"


def location_stream(location_id: str) -> str:
    return f"location-{location_id}"


def quota_stream(period: str) -> str:
    return f"quota-{period}"


cases: Final = Decider(stream=case_stream, initial=CaseState, evolve=evolve, source=SOURCE)
locations: Final = Decider(
    stream=location_stream, initial=KnownLocation, evolve=evolve_location, source=SOURCE
)
quotas: Final = Decider(
    stream=quota_stream, initial=QuotaLedger, evolve=evolve_quota, source=SOURCE
)


def caused(delivery: Delivery, events: Sequence[Event], subject: str) -> list[NewEvent]:
    return [delivery.caused(event, subject=subject, source=SOURCE) for event in events]


def learned(delivery: Delivery, event: Event, subject: str) -> NewEvent:
    """A fact from another service, kept here to decide on, not published again."""
    return delivery.caused(event, subject=subject, source=SOURCE, publish=False)


async def decide(  # noqa: PLR0913 - the decision's parts, named
    conn: Connection,
    delivery: Delivery,
    decider: Decider[S],
    key: str,
    rule: Callable[[S], Decision],
    *,
    subject: str,
) -> None:
    """Loads `key`'s stream, decides on it by `rule` and records the decision; its events,
    about `subject`, are derived from the message."""
    loaded = await decider.load(conn, key)
    decision = rule(loaded.state)
    events = caused(delivery, decision.events, subject)
    await record(conn, decider, key, loaded, decision=decision, events=events)


async def record(  # noqa: PLR0913 - the decision's parts, named
    conn: Connection,
    decider: Decider[S],
    key: str,
    loaded: Loaded[S],
    *,
    decision: Decision,
    events: Sequence[NewEvent],
) -> None:
    """Records `decision`, taken on `loaded`, as `events`: its verdict is raised (nothing is
    written), else the events are appended (a conflict is retried by the kernel), its timers
    set and dropped, and the figures' copy updated."""
    stream_id = decider.stream(key)
    await decider.record(conn, key, loaded, decision, events)
    if any(ledger.touches_ledger(event.message.type_name()) for event in events):
        appended = await eventstore.read_stream(conn, stream_id, after_version=loaded.version)
        await ledger.apply(conn, appended)


async def latest(conn: Connection, case_id: str, event_type: str) -> RecordedEvent | None:
    """The case's latest event of `event_type`, as recorded: what a timer's events are
    caused by, and when."""
    found = await eventstore.read_stream(conn, case_stream(case_id))
    return next((e for e in reversed(found) if e.event_type == event_type), None)
