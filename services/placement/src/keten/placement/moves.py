"""The service layer: a case's events appended together with the places they take and free.

Why no location is ever overbooked, even with many consumers deciding at once:

1. A transfer is decided on the committed `placement.locations` rows (a snapshot).
2. Before anything is written, the rows of every location involved are locked `FOR UPDATE` in
   id order, and the transfer is checked against the locked row: if the location no longer has
   room for the whole household, the transaction raises `ConcurrencyError` and the kernel runs
   the handler again on the new state (it may choose another location or defer).
3. The occupancy change is appended to the location's stream at the version the locked row
   names, and the row is updated only where it still names that version. Two transactions that
   both decided on the same state cannot both commit: the second one's append hits the
   `(stream_id, version)` key and is retried. The lock (2) makes that rare; the expected
   version (3) is the guarantee, also for any writer that forgot to lock.

Deferral and retry cannot miss each other: a household is deferred, and a queue is retried,
only while holding that queue's advisory lock, and the deferring transaction reads the
locations again after taking it (see `defer`).

Locks are taken queue first, then rows in id order. A retry that runs in the transaction that
freed the places still holds that location's row when it locks the application centre's, so
two transactions can, rarely, wait on each other; PostgreSQL detects it and the kernel runs
one of them again. Neither case ever costs a place or a waiting household.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from keten.contracts.messages import Event
from keten.contracts.values import LocationType
from keten.kernel.consumer import Delivery
from keten.kernel.db import Connection
from keten.kernel.decider import Decision
from keten.kernel.eventstore import ConcurrencyError, NewEvent, append, read_stream
from keten.kernel.verdicts import settle
from keten.placement import ledger
from keten.placement.domain.case import Case
from keten.placement.domain.decide import transfer_waiting
from keten.placement.domain.locations import (
    Location,
    LocationLearnt,
    choose_location,
    find,
    waiting_for,
)
from keten.placement.domain.occupancy import (
    PlacesChange,
    PlacesFreed,
    PlacesTaken,
    occupancy_changes,
)
from keten.placement.domain.waiting import Waiting, plan_retries
from keten.placement.streams import (
    CASES,
    SOURCE,
    CaseLoaded,
    location_stream,
    locations_of_type_stream,
)


@dataclass(frozen=True)
class Work:
    """One message's transaction: its connection, and the message every new event derives from
    (its time, correlation and causation)."""

    conn: Connection
    delivery: Delivery

    def caused(self, event: Event, subject: str) -> NewEvent:
        return self.delivery.caused(event, subject=subject, source=SOURCE)

    def recorded(self, fact: Event, subject: str) -> NewEvent:
        """A fact from another service, kept in this store and not published again."""
        source = self.delivery.envelope.source
        return self.delivery.caused(fact, subject=subject, source=source, publish=False)


async def record_case(
    work: Work,
    case_id: str,
    loaded: CaseLoaded,
    decision: Decision,
    facts: Sequence[Event] = (),
) -> list[Location]:
    """Applies the places the decision's events take and free, then appends the facts learned
    and the events decided to the case's stream at the loaded version, with the decision's
    timers; returns the locations where places were freed. A verdict is raised first.

    Locations first: the rows are locked before this transaction writes anything else, so it
    rarely extends a stream after a transaction that started writing later (which the event
    store refuses, making the kernel run the handler again).
    """
    settle(decision.verdict)
    new_events = [work.recorded(f, case_id) for f in facts] + [
        work.caused(e, case_id) for e in decision.events
    ]
    freed = await _apply_occupancy(work, occupancy_changes(decision.events))
    await CASES.record(work.conn, case_id, loaded, decision, new_events)
    return freed


async def record_location(
    work: Work, before: Location, after: Location, event: NewEvent
) -> Location:
    """Appends to the location's stream at the version its row reads; the row follows."""
    await append(work.conn, location_stream(before.location_id), before.version, [event])
    after = dataclasses.replace(after, version=before.version + 1)
    await ledger.save(work.conn, before, after)
    return after


async def record_learnt(work: Work, location: Location) -> None:
    """Records that placement knows a location of its type: what a transfer waiting for the
    first location of that type waits for."""
    if location.type is None:
        return
    stream = locations_of_type_stream(location.type)
    version = len(await read_stream(work.conn, stream))
    record = LocationLearnt(location_id=location.location_id, type=location.type)
    await append(work.conn, stream, version, [work.caused(record, location.location_id)])


async def defer(work: Work, case: Case, wanted: LocationType) -> None:
    """Puts the household in its queue, unless places freed up since the rule looked.

    Holding the queue's lock, the locations are read again: a transaction that freed places
    and committed before the lock was granted is seen here (so the transfer is decided again);
    one that commits later retries this queue after us and finds the household in it.
    """
    await ledger.lock_waiting(work.conn, [wanted])
    locations = await ledger.known_locations(work.conn)
    centre = find(locations, case.centre_id)
    home_province = None if centre is None else centre.province
    household = Waiting(case.case_id, case.persons, wanted, home_province)
    chosen = choose_location(
        household.persons, household.wanted, household.home_province, locations
    )
    if chosen is not None:
        raise ConcurrencyError("places freed up while deferring: decide again")
    await ledger.add_waiting(work.conn, household)


async def hold_queues(work: Work, location_ids: Iterable[str]) -> None:
    """Takes the queue locks that freeing places at these locations will need, before any row
    lock, so that a transaction never holds a row while it waits for a queue."""
    located = [await ledger.find(work.conn, location_id) for location_id in location_ids]
    await ledger.lock_waiting(work.conn, _queues(loc for loc in located if loc is not None))


def freed_by(events: Iterable[Event]) -> list[str]:
    return [c.location_id for c in occupancy_changes(events) if c.persons < 0]


async def retry_waiting(work: Work, freed: Iterable[Location]) -> None:
    """Transfers waiting households, oldest deferral first, while they fit the freed places."""
    queues = _queues(freed)
    while queues:
        await ledger.lock_waiting(work.conn, queues)
        households = await ledger.waiting(work.conn, queues)
        plan = (
            plan_retries(households, await ledger.known_locations(work.conn)) if households else []
        )
        freed_now: list[Location] = []
        for household, chosen in plan:
            freed_now += await _transfer_waiting(work, household, chosen)
        queues = _queues(freed_now)


async def _transfer_waiting(work: Work, household: Waiting, chosen: Location) -> list[Location]:
    await ledger.remove_waiting(work.conn, household.case_id)
    loaded = await CASES.load(work.conn, household.case_id)
    case = loaded.state
    if case is None:
        return []
    at = work.delivery.envelope.time
    decision = transfer_waiting(case, household.wanted, household.home_province, chosen, at)
    return await record_case(work, case.case_id, loaded, decision)


def _queues(freed: Iterable[Location]) -> list[LocationType]:
    return sorted({queue for location in freed for queue in waiting_for(location.type)})


async def _apply_occupancy(work: Work, changes: list[PlacesChange]) -> list[Location]:
    if not changes:
        return []
    locked = await ledger.lock(work.conn, (c.location_id for c in changes))
    freed: list[Location] = []
    for change in changes:
        before = locked[change.location_id]
        after, record = _changed(before, change)
        event = work.caused(record, before.location_id)
        locked[change.location_id] = await record_location(work, before, after, event)
        if change.persons < 0:
            freed.append(locked[change.location_id])
    return freed


def _changed(before: Location, change: PlacesChange) -> tuple[Location, Event]:
    if change.persons > 0:
        if change.must_fit and not before.has_room_for(change.persons):
            raise ConcurrencyError(f"location {before.location_id} filled up while deciding")
        after = before.taken(change.persons)
        record: Event = PlacesTaken(
            location_id=before.location_id,
            case_id=change.case_id,
            persons=change.persons,
            occupied=after.occupied,
        )
        return after, record
    after = before.freed(-change.persons)
    record = PlacesFreed(
        location_id=before.location_id,
        case_id=change.case_id,
        persons=-change.persons,
        occupied=after.occupied,
    )
    return after, record
