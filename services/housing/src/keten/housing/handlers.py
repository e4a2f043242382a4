"""One small handler per command or upstream event: load state, decide, record.

Each runs in one transaction with the consumer's inbox row; a conflict (another writer of
the same stream) rolls it back and the kernel runs it again on the new state. Handlers that
read or change quota figures first take the ledger lock (`ledger.lock`). A decision that
needs a fact housing has not recorded yet waits (the kernel parks the message) for the
stream where that fact will be recorded, and is taken once it is, in the message's own time.
"""

from __future__ import annotations

from keten.contracts.capacity import LocationOpened
from keten.contracts.housing import PairCase, RecordHousing, SetHousingQuota, TransferQuota
from keten.contracts.placement import AdmittedToApplicationCentre, TransferredToAZC
from keten.contracts.registration import PermitGranted
from keten.housing import ledger, streams
from keten.housing.domain.calendar import period_of
from keten.housing.domain.case import (
    CaseState,
    decide_housing,
    decide_manual_pairing,
    decide_permit,
)
from keten.housing.domain.location import is_news
from keten.housing.domain.pairing import choose_municipality, manual_choice
from keten.housing.domain.quota import decide_set_quota, decide_transfer
from keten.housing.reference import national_geography
from keten.kernel.consumer import Delivery
from keten.kernel.db import Connection
from keten.kernel.decider import Decision
from keten.kernel.verdicts import NotYet


def unknown_municipality(*codes: str) -> Decision | None:
    """A command naming a municipality outside the reference list is refused."""
    geography = national_geography()
    for code in codes:
        if not geography.knows(code):
            return Decision.refuse(f"unknown municipality {code}")
    return None


async def set_housing_quota(conn: Connection, delivery: Delivery, command: SetHousingQuota) -> None:
    code = command.municipality_code
    await ledger.lock(conn)
    await streams.decide(
        conn,
        delivery,
        streams.quotas,
        command.period,
        lambda quota: unknown_municipality(code) or decide_set_quota(quota, command),
        subject=code,
    )


async def transfer_quota(conn: Connection, delivery: Delivery, command: TransferQuota) -> None:
    giver, taker = command.from_municipality, command.to_municipality
    stream = streams.quota_stream(command.period)
    await ledger.lock(conn)
    await streams.decide(
        conn,
        delivery,
        streams.quotas,
        command.period,
        lambda quota: unknown_municipality(giver, taker) or decide_transfer(quota, command, stream),
        subject=giver,
    )


async def pair_on_permit(conn: Connection, delivery: Delivery, permit: PermitGranted) -> None:
    """Pairs a household on its permit, by the pairing rule, in the period of the permit; the
    permit is kept with the pairing made on it. It waits for the stay the rule needs, not for
    the period's quotas: they arrive one municipality at a time and no message says they are
    complete, and a period without quota still owes its backlog."""
    case_id, granted_at = permit.case_id, delivery.envelope.time
    await ledger.lock(conn)
    loaded = await streams.cases.load(conn, case_id)
    region = await _region_of_stay(conn, loaded.state)
    remaining = await ledger.remaining(conn, period_of(granted_at))
    choice = choose_municipality(permit.ties, region, remaining, national_geography())
    decision = decide_permit(loaded.state, permit, choice, granted_at)
    kept = [streams.learned(delivery, permit, case_id)] if decision.events else []
    events = [*kept, *streams.caused(delivery, decision.events, case_id)]
    await streams.record(conn, streams.cases, case_id, loaded, decision=decision, events=events)


async def pair_case(conn: Connection, delivery: Delivery, command: PairCase) -> None:
    """A pairing by hand; it replaces the current pairing and its deadline."""
    case_id, code, paired_at = command.case_id, command.municipality_code, delivery.envelope.time
    stream = streams.case_stream(case_id)
    await ledger.lock(conn)
    choice = manual_choice(code, await ledger.remaining(conn, period_of(paired_at)))
    await streams.decide(
        conn,
        delivery,
        streams.cases,
        case_id,
        lambda case: (
            unknown_municipality(code) or decide_manual_pairing(case, choice, paired_at, stream)
        ),
        subject=case_id,
    )


async def record_housing(conn: Connection, delivery: Delivery, command: RecordHousing) -> None:
    case_id, code, housed_at = command.case_id, command.municipality_code, delivery.envelope.time
    stream = streams.case_stream(case_id)
    await ledger.lock(conn)
    await streams.decide(
        conn,
        delivery,
        streams.cases,
        case_id,
        lambda case: unknown_municipality(code) or decide_housing(case, command, housed_at, stream),
        subject=case_id,
    )


async def note_admission(
    conn: Connection, delivery: Delivery, admitted: AdmittedToApplicationCentre
) -> None:
    await _note_stay(conn, delivery, admitted, admitted.location_id)


async def note_transfer(
    conn: Connection, delivery: Delivery, transferred: TransferredToAZC
) -> None:
    await _note_stay(conn, delivery, transferred, transferred.to_location_id)


async def note_location(conn: Connection, delivery: Delivery, opened: LocationOpened) -> None:
    """Keeps where a location is, to find the COA region of the households staying there."""
    location_id = opened.location_id
    loaded = await streams.locations.load(conn, location_id)
    if is_news(loaded.state, opened):
        event = streams.learned(delivery, opened, location_id)
        await streams.record(
            conn, streams.locations, location_id, loaded, decision=Decision(), events=[event]
        )


async def _note_stay(
    conn: Connection,
    delivery: Delivery,
    event: AdmittedToApplicationCentre | TransferredToAZC,
    location_id: str,
) -> None:
    """Keeps where a household stays now, to pair it in the region of its location."""
    case_id = event.case_id
    loaded = await streams.cases.load(conn, case_id)
    if loaded.state.location_id != location_id:
        kept = streams.learned(delivery, event, case_id)
        await streams.record(
            conn, streams.cases, case_id, loaded, decision=Decision(), events=[kept]
        )


async def _region_of_stay(conn: Connection, case: CaseState) -> str | NotYet | None:
    """The COA region of the household's current location (None: its province is in no
    region), or what housing waits for to know it: the stay, recorded in the case's stream
    once placement tells it (past the version loaded: see `streams.record`), and where the
    location is, recorded in the location's stream once the capacity ledger tells it."""
    location_id = case.location_id
    if location_id is None:
        return NotYet(streams.case_stream(case.case_id), f"the stay of case {case.case_id}")
    location = await streams.locations.load(conn, location_id)
    province = location.state.province
    if province is None:
        stream = streams.location_stream(location_id)
        return NotYet(stream, f"where location {location_id} is", location.version)
    return national_geography().region_of_province(province)
