"""One small function per message placement applies, and per timer: read, decide, record (see
`moves.py`).

Each runs in the kernel's transaction with the inbox row (or the timer's mark) and may be run
again on a conflict, so each is a function of the database state and the message only; every
event a message raises carries the message's time, every event a timer raises the timer's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Final

from keten.contracts.capacity import CapacityChanged, LocationClosed, LocationOpened
from keten.contracts.housing import Housed
from keten.contracts.placement import RecordDeparture, TransferCase, TransferDeferred
from keten.contracts.registration import AsylumApplied, TrackAssigned
from keten.kernel.consumer import Delivery
from keten.kernel.db import Connection
from keten.kernel.decider import Decision, Loaded
from keten.kernel.eventstore import NewEvent, read_stream
from keten.kernel.timers import DueTimer
from keten.placement import ledger
from keten.placement.domain import decide, stay_limit
from keten.placement.domain.case import replay
from keten.placement.domain.locations import gained_room, learn, waiting_for, wanted_type
from keten.placement.moves import (
    Work,
    defer,
    freed_by,
    hold_queues,
    record_case,
    record_learnt,
    record_location,
    retry_waiting,
)
from keten.placement.streams import CASES, SOURCE, CaseLoaded, case_stream

# The events that begin a stay: what a stay's limit events are caused by.
_ARRIVALS: Final = frozenset({"AdmittedToApplicationCentre", "TransferredToAZC"})


async def admit(conn: Connection, delivery: Delivery, applied: AsylumApplied) -> None:
    """`AsylumApplied`: the household takes places at its (known) application centre."""
    loaded = await CASES.load(conn, applied.case_id)
    centre = await ledger.find(conn, applied.application_centre_id)
    admitted = decide.admit(loaded.state, applied, centre, delivery.envelope.time)
    await record_case(Work(conn, delivery), applied.case_id, loaded, admitted)


async def transfer_by_track(conn: Connection, delivery: Delivery, assigned: TrackAssigned) -> None:
    """`TrackAssigned`: transferred by the rule, or deferred until places free up."""
    wanted = wanted_type(assigned.track)
    loaded = await CASES.load(conn, assigned.case_id)
    locations = await ledger.known_locations(conn)
    at = delivery.envelope.time
    transfer = decide.transfer_by_rule(assigned.case_id, loaded.state, wanted, locations, at)
    work = Work(conn, delivery)
    if loaded.state is not None and any(isinstance(e, TransferDeferred) for e in transfer.events):
        await defer(work, loaded.state, wanted)
    freed = await record_case(work, assigned.case_id, loaded, transfer, [assigned])
    await retry_waiting(work, freed)


async def transfer_by_hand(conn: Connection, delivery: Delivery, command: TransferCase) -> None:
    """`TransferCase`: a manual move to any open location with room."""
    loaded = await CASES.load(conn, command.case_id)
    target = await ledger.find(conn, command.to_location_id)
    move = decide.transfer_by_hand(loaded.state, command, target, delivery.envelope.time)
    await _moved_or_left(Work(conn, delivery), command.case_id, loaded, move)


async def record_departure(conn: Connection, delivery: Delivery, command: RecordDeparture) -> None:
    """`RecordDeparture`: the household left reception; its places are freed."""
    loaded = await CASES.load(conn, command.case_id)
    departure = decide.leave(command.case_id, loaded.state, command.reason)
    await _moved_or_left(Work(conn, delivery), command.case_id, loaded, departure)


async def leave_for_housing(conn: Connection, delivery: Delivery, housed: Housed) -> None:
    """`Housed`: the household leaves reception for its home. For a case whose application has
    not reached placement yet, the fact is kept on the case's stream, so that the application,
    when it comes, admits no one."""
    loaded = await CASES.load(conn, housed.case_id)
    leaving = decide.housed(loaded.state, housed)
    await _moved_or_left(Work(conn, delivery), housed.case_id, loaded, leaving, [housed])


async def learn_location(
    conn: Connection, delivery: Delivery, fact: LocationOpened | CapacityChanged | LocationClosed
) -> None:
    """`LocationOpened`, `CapacityChanged`, `LocationClosed`: kept on the location's stream (not
    published again); new or extra places are offered to the households waiting for them. The
    first opening of a location is also recorded on its type's stream (`streams.py`)."""
    work = Work(conn, delivery)
    await hold_queues(work, [fact.location_id])
    if isinstance(fact, LocationOpened):
        await ledger.lock_waiting(conn, waiting_for(fact.type))
    before = (await ledger.lock(conn, [fact.location_id]))[fact.location_id]
    event = work.recorded(fact, fact.location_id)
    after = await record_location(work, before, learn(before, fact), event)
    if after.type != before.type:
        await record_learnt(work, after)
    if gained_room(before, after):
        await retry_waiting(work, [after])


async def stay_limit_reached(conn: Connection, timer: DueTimer) -> None:
    """An HTL stay's warning or breach, at the timer's own moment and caused by the arrival
    that began the stay; nothing if the household has moved on since."""
    case_id = str(timer.payload["case_id"])
    recorded = await read_stream(conn, case_stream(case_id))
    loaded = Loaded(replay(r.message() for r in recorded), len(recorded))
    reached = stay_limit.reached(
        loaded.state,
        timer.kind,
        int(timer.payload["stay"]),
        str(timer.payload["location_id"]),
        date.fromisoformat(str(timer.payload["due_on"])),
    )
    if not reached.events:
        return
    arrival = next(r for r in reversed(recorded) if r.event_type in _ARRIVALS)
    new_events = [
        NewEvent(
            message=event,
            subject=case_id,
            occurred_at=timer.due_at,
            source=SOURCE,
            correlation_id=arrival.correlation_id or arrival.event_id,
            causation_id=arrival.event_id,
        )
        for event in reached.events
    ]
    await CASES.record(conn, case_id, loaded, reached, new_events)


async def _moved_or_left(
    work: Work,
    case_id: str,
    loaded: CaseLoaded,
    decision: Decision,
    facts: Sequence[Housed] = (),
) -> None:
    await hold_queues(work, freed_by(decision.events))
    freed = await record_case(work, case_id, loaded, decision, facts)
    if decision.events:
        await ledger.remove_waiting(work.conn, case_id)
    await retry_waiting(work, freed)
