"""One small function per message placement applies: load, decide, append (see `moves.py`).

Each runs in the kernel's transaction with the inbox row and may be run again on a conflict,
so each is a function of the database state and the message only; every event it raises
carries the message's time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from keten.contracts.capacity import CapacityChanged, LocationClosed, LocationOpened
from keten.contracts.housing import Housed
from keten.contracts.messages import Event, Message
from keten.contracts.placement import RecordDeparture, TransferCase, TransferDeferred
from keten.contracts.registration import AsylumApplied, TrackAssigned
from keten.kernel.consumer import Delivery, Rejected
from keten.kernel.db import Connection
from keten.placement import ledger
from keten.placement.domain import decide
from keten.placement.domain.decide import Refused
from keten.placement.domain.locations import gained_room, learn, waiting_for, wanted_type
from keten.placement.domain.waiting import Waiting
from keten.placement.moves import (
    Work,
    defer,
    freed_by,
    hold_queues,
    load_case,
    record_case,
    record_location,
    retry_waiting,
)

M = TypeVar("M", bound=Message)


async def admit(conn: Connection, delivery: Delivery) -> None:
    """`AsylumApplied`: the household takes places at its application centre."""
    applied = _begin(delivery, AsylumApplied)
    case, version = await load_case(conn, applied.case_id)
    events = decide.admit(case, applied)
    if events:
        await record_case(Work(conn, delivery), applied.case_id, version, [applied], events)


async def transfer_by_track(conn: Connection, delivery: Delivery) -> None:
    """`TrackAssigned`: transferred by the rule, or deferred until places free up."""
    assigned = _begin(delivery, TrackAssigned)
    case, version = await load_case(conn, assigned.case_id)
    if case is None:
        raise Rejected(f"unknown case {assigned.case_id}")
    work = Work(conn, delivery)
    wanted = wanted_type(assigned.track)
    centre = await ledger.find(conn, case.centre_id)
    home_province = None if centre is None else centre.province
    locations = await ledger.open_locations(conn)
    events = decide.transfer_by_rule(case, wanted, home_province, locations)
    if any(isinstance(e, TransferDeferred) for e in events):
        await defer(work, Waiting(case.case_id, case.persons, wanted, home_province))
    freed = await record_case(work, case.case_id, version, [assigned], events)
    await retry_waiting(work, freed)


async def transfer_by_hand(conn: Connection, delivery: Delivery) -> None:
    """`TransferCase`: a manual move to any open location with room."""
    command = _begin(delivery, TransferCase)
    case, version = await load_case(conn, command.case_id)
    target = await ledger.find(conn, command.to_location_id)
    with _refusals():
        events = decide.transfer_by_hand(case, command, target)
    await _moved_or_left(Work(conn, delivery), command.case_id, version, [], events)


async def record_departure(conn: Connection, delivery: Delivery) -> None:
    """`RecordDeparture`: the household left reception; its places are freed."""
    command = _begin(delivery, RecordDeparture)
    case, version = await load_case(conn, command.case_id)
    with _refusals():
        events = decide.leave(case, command.case_id, command.reason)
    await _moved_or_left(Work(conn, delivery), command.case_id, version, [], events)


async def leave_for_housing(conn: Connection, delivery: Delivery) -> None:
    """`Housed`: the household leaves reception for its home. Housing's fact is not ours to
    refuse: for a case whose application has not reached placement yet, it is kept on the
    case's stream, so that the application, when it comes, admits no one."""
    housed = _begin(delivery, Housed)
    case, version = await load_case(conn, housed.case_id)
    in_reception = case is not None and case.in_reception
    events = decide.leave(case, housed.case_id, "housed") if in_reception else []
    await _moved_or_left(Work(conn, delivery), housed.case_id, version, [housed], events)


async def learn_location(conn: Connection, delivery: Delivery) -> None:
    """`LocationOpened`, `CapacityChanged`, `LocationClosed`: kept on the location's stream (not
    published again); new or extra places are offered to the households waiting for them."""
    fact = delivery.message
    if not isinstance(fact, LocationOpened | CapacityChanged | LocationClosed):
        raise TypeError(f"unexpected {fact.type_name()}")
    work = Work(conn, delivery)
    await hold_queues(work, [fact.location_id])
    if isinstance(fact, LocationOpened):
        await ledger.lock_waiting(conn, waiting_for(fact.type))
    before = (await ledger.lock(conn, [fact.location_id]))[fact.location_id]
    event = work.recorded(fact, fact.location_id)
    after = await record_location(work, before, learn(before, fact), event)
    if gained_room(before, after):
        await retry_waiting(work, [after])


async def _moved_or_left(
    work: Work, case_id: str, version: int, facts: list[Housed], events: list[Event]
) -> None:
    await hold_queues(work, freed_by(events))
    freed = await record_case(work, case_id, version, facts, events)
    if events:
        await ledger.remove_waiting(work.conn, case_id)
    await retry_waiting(work, freed)


def _begin(delivery: Delivery, kind: type[M]) -> M:
    message = delivery.message
    if not isinstance(message, kind):
        raise TypeError(f"unexpected {message.type_name()}")
    return message


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except Refused as refused:
        raise Rejected(refused.reason) from None
