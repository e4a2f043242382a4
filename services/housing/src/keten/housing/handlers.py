"""One small handler per command or upstream event: load state, decide, record.

Each runs in one transaction with the consumer's inbox row; a conflict (another writer of
the same stream) rolls it back and the kernel runs it again on the new state. Handlers that
read or change quota figures first take the ledger lock (`ledger.lock`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from keten.contracts.capacity import LocationOpened
from keten.contracts.housing import PairCase, RecordHousing, SetHousingQuota, TransferQuota
from keten.contracts.messages import Message
from keten.contracts.placement import AdmittedToApplicationCentre, TransferredToAZC
from keten.contracts.registration import PermitGranted
from keten.housing import ledger, store
from keten.housing.domain.calendar import period_of
from keten.housing.domain.case import Fact, accepts_permit, decide_housing, decide_pairing, evolve
from keten.housing.domain.errors import Refused
from keten.housing.domain.pairing import choose_municipality, manual_choice
from keten.housing.domain.quota import decide_set_quota, decide_transfer
from keten.housing.reference import national_geography
from keten.kernel.consumer import Delivery, Handler, Rejected
from keten.kernel.db import Connection

M = TypeVar("M", bound=Message)


def refusals_rejected(handler: Callable[[Connection, Delivery], Awaitable[None]]) -> Handler:
    """A domain refusal becomes the kernel's Rejected: the command goes to the dead-letter
    topic with the rule's reason."""

    async def handle(conn: Connection, delivery: Delivery) -> None:
        try:
            await handler(conn, delivery)
        except Refused as refused:
            raise Rejected(refused.reason) from None

    return handle


def message_of(delivery: Delivery, kind: type[M]) -> M:
    message = delivery.message
    if not isinstance(message, kind):
        raise TypeError(f"expected {kind.__name__}, got {type(message).__name__}")
    return message


def known_municipality(code: str) -> str:
    if not national_geography().knows(code):
        raise Refused(f"unknown municipality {code}")
    return code


async def set_housing_quota(conn: Connection, delivery: Delivery) -> None:
    command = message_of(delivery, SetHousingQuota)
    code = known_municipality(command.municipality_code)
    await ledger.lock(conn)
    quota, version = await store.load_quota(conn, command.period)
    event = decide_set_quota(quota, command)
    stream = store.quota_stream(command.period)
    await store.record(conn, stream, version, store.caused(delivery, [event], code))


async def transfer_quota(conn: Connection, delivery: Delivery) -> None:
    command = message_of(delivery, TransferQuota)
    code = known_municipality(command.from_municipality)
    known_municipality(command.to_municipality)
    await ledger.lock(conn)
    quota, version = await store.load_quota(conn, command.period)
    event = decide_transfer(quota, command)
    stream = store.quota_stream(command.period)
    await store.record(conn, stream, version, store.caused(delivery, [event], code))


async def pair_on_permit(conn: Connection, delivery: Delivery) -> None:
    """Pairs a household on its permit, by the pairing rule, in the period of the permit."""
    permit = message_of(delivery, PermitGranted)
    await ledger.lock(conn)
    case = await store.load_case(conn, permit.case_id)
    if not accepts_permit(case):
        return
    granted_at = delivery.envelope.time
    with_permit = evolve(case, Fact(permit, granted_at))
    remaining = await ledger.remaining(conn, period_of(granted_at))
    region = await _current_region(conn, case.location_id)
    choice = choose_municipality(permit.ties, region, remaining, national_geography())
    decision = decide_pairing(with_permit, choice, granted_at, manual=False)
    events = [
        store.learned(delivery, permit, permit.case_id),
        *store.caused(delivery, decision.events, permit.case_id),
    ]
    await store.record(
        conn, store.case_stream(permit.case_id), case.version, events, decision.timers
    )


async def pair_case(conn: Connection, delivery: Delivery) -> None:
    """A pairing by hand; it replaces the current pairing and its deadline."""
    command = message_of(delivery, PairCase)
    code = known_municipality(command.municipality_code)
    await ledger.lock(conn)
    case = await store.load_case(conn, command.case_id)
    paired_at = delivery.envelope.time
    remaining = await ledger.remaining(conn, period_of(paired_at))
    decision = decide_pairing(case, manual_choice(code, remaining), paired_at, manual=True)
    events = store.caused(delivery, decision.events, command.case_id)
    await store.record(
        conn, store.case_stream(command.case_id), case.version, events, decision.timers
    )


async def record_housing(conn: Connection, delivery: Delivery) -> None:
    command = message_of(delivery, RecordHousing)
    known_municipality(command.municipality_code)
    await ledger.lock(conn)
    case = await store.load_case(conn, command.case_id)
    decision = decide_housing(case, command, delivery.envelope.time)
    events = store.caused(delivery, decision.events, command.case_id)
    await store.record(
        conn, store.case_stream(command.case_id), case.version, events, decision.timers
    )


async def note_admission(conn: Connection, delivery: Delivery) -> None:
    admitted = message_of(delivery, AdmittedToApplicationCentre)
    await _note_location_of_case(conn, delivery, admitted, admitted.location_id)


async def note_transfer(conn: Connection, delivery: Delivery) -> None:
    transferred = message_of(delivery, TransferredToAZC)
    await _note_location_of_case(conn, delivery, transferred, transferred.to_location_id)


async def note_location(conn: Connection, delivery: Delivery) -> None:
    """Keeps where a location is, to find the COA region of the households staying there."""
    opened = message_of(delivery, LocationOpened)
    known = await store.load_location(conn, opened.location_id)
    if known is not None and (known.municipality_code, known.province) == (
        opened.municipality_code,
        opened.province,
    ):
        return
    stream = store.location_stream(opened.location_id)
    event = store.learned(delivery, opened, opened.location_id)
    await store.record(conn, stream, 0 if known is None else known.version, [event])


async def _note_location_of_case(
    conn: Connection,
    delivery: Delivery,
    event: AdmittedToApplicationCentre | TransferredToAZC,
    location_id: str,
) -> None:
    """Keeps where a household stays now, to pair it in the region of its location."""
    case_id = event.case_id
    case = await store.load_case(conn, case_id)
    if case.location_id == location_id:
        return
    await store.record(
        conn, store.case_stream(case_id), case.version, [store.learned(delivery, event, case_id)]
    )


async def _current_region(conn: Connection, location_id: str | None) -> str | None:
    if location_id is None:
        return None
    location = await store.load_location(conn, location_id)
    if location is None:
        return None
    return national_geography().region_of_province(location.province)
