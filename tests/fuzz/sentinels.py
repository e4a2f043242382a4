"""Valid commands interleaved with the fuzzed ones, each with an effect the query API shows:
a location opens, changes and closes, a reception target is set, a case is registered, gets
its track and its decision, a household moves or leaves, a quota is set or moved.

Before the run, `prepare` opens the locations and registers the cases the sentinels need and
waits until every service knows them. Sentinels of one topic go out one after the other (the
next only once the one before took effect), so each one's expected effect is known.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from keten.contracts.topics import (
    CAPACITY_COMMANDS,
    HOUSING_COMMANDS,
    PLACEMENT_COMMANDS,
    REGISTRATION_COMMANDS,
)
from keten.reference import municipality
from tests.fuzz import corpus
from tests.fuzz.checker import Published
from tests.fuzz.corpus import Built, Entities
from tests.fuzz.links import Api, Publisher
from tests.fuzz.records import FuzzRecord, Wire, to_json
from tests.registration.raw import centre_known

SETUP_SECONDS: Final = 120.0
TRANSFER_CASES: Final = 4
Check = Callable[[Api], Awaitable[bool]]


@dataclass(frozen=True)
class Sentinel:
    topic: str
    description: str
    record: FuzzRecord
    check: Check


def as_record(topic: str, built: Built, description: str) -> FuzzRecord:
    wire = Wire(built.key, to_json(built.envelope))
    return FuzzRecord(
        topic,
        wire,
        ("sentinel",),
        str(built.envelope["type"]),
        intact=True,
        hidden=built.markers,
        message_id=str(built.envelope["id"]),
        sentinel=description,
    )


def _in_province(kind: str, province: str) -> str:
    return next(
        code
        for code in Entities.municipalities(kind)
        if (found := municipality(code)) is not None and found.province == province
    )


@dataclass
class Places:
    """What `prepare` opens and registers, by purpose."""

    entities: Entities
    departures: int
    personal: random.Random
    home: str = field(init=False)  # the sentinels' municipality, in Limburg
    quota_from: str = field(init=False)
    quota_to: str = field(init=False)
    targets: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        codes = Entities.municipalities("sn")
        self.home = _in_province("sn", "Limburg")
        self.quota_from, self.quota_to = codes[0], codes[1]
        self.targets = codes[2:]

    @property
    def quota(self) -> dict[str, int]:
        """The sentinel period's quota before the run: what the transfers move."""
        return {self.quota_from: 10_000, self.quota_to: 0}

    def ibo(self, side: str) -> str:
        return self.entities.location("sn", f"ibo-{side}")

    def transfer_case(self, number: int) -> str:
        return self.entities.case("sn", number)

    def departure_case(self, number: int) -> str:
        return self.entities.case("sn", 100 + number)


class Plans:
    """The next sentinel of each topic, its expected effect tracked from the ones before."""

    def __init__(self, places: Places) -> None:
        self.places = places
        self.count: dict[str, int] = {}
        self.at: dict[str, str] = {}  # transfer case -> where its last sentinel moved it
        self.quota = places.quota

    def next(self, topic: str) -> Sentinel:
        number = self.count.get(topic, 0)
        self.count[topic] = number + 1
        make = {
            REGISTRATION_COMMANDS: self._registration,
            PLACEMENT_COMMANDS: self._placement,
            CAPACITY_COMMANDS: self._capacity,
            HOUSING_COMMANDS: self._housing,
        }[topic]
        description, built, check = make(number)
        message_id = (
            f"sn-{self.places.entities.run}-{topic.split('.', maxsplit=1)[0][:3]}-{number:06d}"
        )
        stamped = corpus.sentinel_command(built, message_id)
        return Sentinel(topic, description, as_record(topic, stamped, description), check)

    def _registration(self, number: int) -> tuple[str, Built, Check]:
        case = self.places.entities.case("sn", 1000 + number // 3)
        step = number % 3
        if step == 0:
            personal = corpus.Personal.draw(self.places.personal)
            built = corpus.register_application(
                case, self.places.entities.sentinel_centre, personal, 1
            )
            return f"RegisterApplication {case}", built, _case_is(case, lambda _: True)
        if step == 1:
            built = corpus.assign_track(case, "general")
            return f"AssignTrack {case}", built, _case_is(case, lambda c: c["track"] == "general")
        built = corpus.record_decision(case, "granted", final=False)
        decided = _case_is(case, lambda c: (c.get("decision") or {}).get("outcome") == "granted")
        return f"RecordDecision {case}", built, decided

    def _placement(self, number: int) -> tuple[str, Built, Check]:
        if number % 2:
            case = self.places.departure_case(number // 2)
            built = corpus.record_departure(case, "voluntary")
            return f"RecordDeparture {case}", built, _stay_is(case, lambda s: s["status"] == "left")
        case = self.places.transfer_case((number // 2) % TRANSFER_CASES)
        to = self.places.ibo("b" if self.at.get(case) == self.places.ibo("a") else "a")
        self.at[case] = to
        moved = _stay_is(case, lambda s: (s.get("current") or {}).get("location_id") == to)
        return f"TransferCase {case} to {to}", corpus.transfer_case(case, to), moved

    def _capacity(self, number: int) -> tuple[str, Built, Check]:
        location = self.places.entities.location("sn", f"cap-{number // 4}")
        step, places = number % 4, 150 + number
        if step == 0:
            built = corpus.open_location(location, self.places.home, 100, "ibo")
            return f"OpenLocation {location}", built, _location_is(location, "open", 100)
        if step == 1:
            built = corpus.change_capacity(location, places)
            return (
                f"ChangeCapacity {location} to {places}",
                built,
                _location_is(location, "open", places),
            )
        if step == 3:
            built = corpus.close_location(location)
            return f"CloseLocation {location}", built, _location_is(location, "closed", None)
        code = self.places.targets[number % len(self.places.targets)]
        built = corpus.set_reception_target(code, places)
        return f"SetReceptionTarget {code} {places}", built, _target_is(code, places)

    def _housing(self, number: int) -> tuple[str, Built, Check]:
        period = corpus.SENTINEL_PERIOD
        if number % 2 == 0:
            code = self.places.targets[number % len(self.places.targets)]
            persons = 100 + number
            built = corpus.set_housing_quota(code, period, persons)
            return f"SetHousingQuota {code} {persons}", built, _quota_is({code: persons})
        source, target = self.places.quota_from, self.places.quota_to
        self.quota[source] -= 1
        self.quota[target] += 1
        built = corpus.transfer_quota(source, target, period, 1)
        return f"TransferQuota {source} to {target}", built, _quota_is(dict(self.quota))


def _case_is(case: str, holds: Callable[[dict[str, Any]], bool]) -> Check:
    async def check(api: Api) -> bool:
        status, body = await api.get("registration", f"/cases/{case}")
        return status == 200 and holds(body)

    return check


def _stay_is(case: str, holds: Callable[[dict[str, Any]], bool]) -> Check:
    async def check(api: Api) -> bool:
        status, body = await api.get("placement", f"/cases/{case}/stay")
        return status == 200 and holds(body)

    return check


def _location_is(location: str, state: str, capacity: int | None) -> Check:
    async def check(api: Api) -> bool:
        status, body = await api.get("capacity", f"/locations/{location}")
        return (
            status == 200
            and body["status"] == state
            and (capacity is None or body["registered_capacity"] == capacity)
        )

    return check


def _target_is(code: str, places: int) -> Check:
    async def check(api: Api) -> bool:
        status, body = await api.get("capacity", "/occupancy", by="municipality")
        rows = body.get("rows", []) if status == 200 else []
        return any(r["municipality_code"] == code and r["reception_target"] == places for r in rows)

    return check


def _quota_is(expected: dict[str, int]) -> Check:
    async def check(api: Api) -> bool:
        period = corpus.SENTINEL_PERIOD
        status, body = await api.get("housing", "/quota", period=period, by="municipality")
        rows = body.get("rows", []) if status == 200 else []
        quota = {r["municipality_code"]: r["quota"] for r in rows}
        return all(quota.get(code) == persons for code, persons in expected.items())

    return check


async def _until(checks: Sequence[Check], api: Api, what: str) -> None:
    deadline = time.monotonic() + SETUP_SECONDS
    for check in checks:
        while not await check(api):
            if time.monotonic() > deadline:
                raise RuntimeError(f"set-up: {what} did not take effect in {SETUP_SECONDS:.0f} s")
            await asyncio.sleep(0.2)


async def prepare(
    publisher: Publisher, api: Api, registration_database: str, places: Places
) -> list[Published]:
    """Opens the centres and locations, sets the quota to move, registers the cases to move
    and to see leave; returns what it published (personal markers included)."""
    ent, sent = places.entities, list[Published]()
    stamp = iter(range(10**6))

    async def send(topic: str, built: Sequence[Built]) -> None:
        records = [
            as_record(
                topic, corpus.sentinel_command(b, f"sn-{ent.run}-setup-{next(stamp)}"), "set-up"
            )
            for b in built
        ]
        positions = await publisher.publish(topic, [r.wire for r in records])
        sent.extend(Published(r, *at) for r, at in zip(records, positions, strict=True))

    groningen = _in_province("fz", "Groningen")
    opened = [
        corpus.open_location(ent.sentinel_centre, places.home, 100_000, "application_centre"),
        corpus.open_location(ent.fuzz_centre, groningen, 100_000, "application_centre"),
        corpus.open_location(ent.fuzz_azc, groningen, 100_000, "azc"),
        corpus.open_location(places.ibo("a"), places.home, 1000, "ibo"),
        corpus.open_location(places.ibo("b"), places.home, 1000, "ibo"),
    ]
    await send(CAPACITY_COMMANDS, opened)
    ids = [str(b.envelope["data"]["location_id"]) for b in opened]
    await _until([_location_is(i, "open", None) for i in ids], api, "the locations")
    await _until([_placement_knows(i) for i in ids], api, "placement's locations")
    for centre in (ent.sentinel_centre, ent.fuzz_centre):
        await _until([_centre_known(registration_database, centre)], api, "the centres")
    period = corpus.SENTINEL_PERIOD
    await send(
        HOUSING_COMMANDS,
        [corpus.set_housing_quota(code, period, persons) for code, persons in places.quota.items()],
    )
    await _until([_quota_is(places.quota)], api, "the quota")
    cases = [places.transfer_case(n) for n in range(TRANSFER_CASES)]
    cases += [places.departure_case(n) for n in range(places.departures)]
    await send(
        REGISTRATION_COMMANDS,
        [
            corpus.register_application(
                c, ent.sentinel_centre, corpus.Personal.draw(places.personal), 1
            )
            for c in cases
        ],
    )
    at_centre = [_stay_is(c, lambda s: s["status"] == "at_application_centre") for c in cases]
    await _until(at_centre, api, "the cases")
    return sent


def _placement_knows(location: str) -> Check:
    async def check(api: Api) -> bool:
        status, body = await api.get("placement", f"/locations/{location}/residents")
        return status == 200 and body["type"] is not None

    return check


def _centre_known(database_url: str, centre: str) -> Check:
    async def check(_: Api) -> bool:
        return await centre_known(database_url, centre)

    return check
