"""A valid CloudEvent of every command the chain takes, as outside systems send them.

Built with the raw builders the service tests already use (`tests/*/wire.py`, `raw.py`,
`support.py`) and read back as dicts, so that mutations can work on them. Fuzzed messages and
sentinels name entities of their own (`Entities`): a fuzzed message the chain takes as valid
never changes what a sentinel checks. Personal data carries markers (a 12-digit hex token in
the family name, a random V-number) that the checker searches for.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import orjson

from keten.contracts.messages import Command, registered_types
from keten.reference import municipalities
from tests.capacity import wire as capacity_wire
from tests.housing import support as housing_wire
from tests.placement import wire as placement_wire
from tests.registration import raw as registration_wire

BASE_TIME: Final = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # fuzzed messages: a day in the past
FUZZ_PERIODS: Final = ("2026-H1", "2026-H2", "2027-H1")
SENTINEL_PERIOD: Final = "2031-H1"  # no fuzzed message names it
FAMILY_PREFIX: Final = "Fuzzname"
POOL: Final = 40  # fuzzed commands name one of this many cases and locations: some apply

Envelope = dict[str, Any]


def command_topics() -> dict[str, tuple[str, ...]]:
    """Every command type of the contract's registry, by the topic it is sent to."""
    topics: dict[str, list[str]] = {}
    for name, cls in sorted(registered_types().items()):
        if issubclass(cls, Command) and cls.topic is not None:
            topics.setdefault(cls.topic, []).append(name)
    return {topic: tuple(types) for topic, types in sorted(topics.items())}


@dataclass(frozen=True)
class Personal:
    """An applicant whose data can be searched for: the token and the V-number are markers."""

    token: str  # 12 lower-case hex digits
    v_number: str  # 10 digits

    @classmethod
    def draw(cls, rng: random.Random) -> Personal:
        return cls(f"{rng.getrandbits(48):012x}", f"{rng.randrange(10**9, 10**10)}")

    @property
    def markers(self) -> frozenset[str]:
        return frozenset({self.token, self.v_number})

    def applicant(self) -> registration_wire.Applicant:
        return registration_wire.Applicant(
            family_name=FAMILY_PREFIX + self.token, v_number=self.v_number
        )


@dataclass(frozen=True)
class Built:
    """A valid command: its CloudEvent (key = subject) and the personal markers it holds."""

    envelope: Envelope
    markers: frozenset[str] = frozenset()

    @property
    def key(self) -> bytes:
        return str(self.envelope["subject"]).encode()


@dataclass(frozen=True)
class Entities:
    """The ids of one run: `fz-` ones for fuzzed messages, `sn-` ones for sentinels."""

    run: str

    def case(self, kind: str, number: int) -> str:
        return f"{kind}-{self.run}-case-{number}"

    def location(self, kind: str, name: str | int) -> str:
        return f"{kind}-{self.run}-loc-{name}"

    @property
    def fuzz_centre(self) -> str:
        return self.location("fz", "centre")

    @property
    def fuzz_azc(self) -> str:
        return self.location("fz", "azc")

    @property
    def sentinel_centre(self) -> str:
        return self.location("sn", "centre")

    @staticmethod
    def municipalities(kind: str) -> tuple[str, ...]:
        """Fuzzed messages name every other municipality; sentinels the rest."""
        codes = sorted(municipalities())
        return tuple(codes[0::2] if kind == "fz" else codes[1::2])


def _envelope(record: tuple[bytes, bytes] | bytes) -> Envelope:
    value = record[1] if isinstance(record, tuple) else record
    envelope: Envelope = orjson.loads(value)
    return envelope


def _stamp(envelope: Envelope, message_id: str, time: datetime) -> Envelope:
    return {**envelope, "id": message_id, "time": time.isoformat()}


def register_application(case_id: str, centre: str, personal: Personal, adults: int) -> Built:
    data = registration_wire.registration_data(case_id, centre, personal.applicant(), adults=adults)
    return Built(
        _envelope(registration_wire.command("RegisterApplication", case_id, data)), personal.markers
    )


def assign_track(case_id: str, track: str) -> Built:
    data = {"case_id": case_id, "track": track}
    return Built(_envelope(registration_wire.command("AssignTrack", case_id, data)))


def record_decision(case_id: str, outcome: str, *, final: bool) -> Built:
    data = {"case_id": case_id, "outcome": outcome, "final": final}
    return Built(_envelope(registration_wire.command("RecordDecision", case_id, data)))


def transfer_case(case_id: str, to: str) -> Built:
    return Built(_envelope(placement_wire.transfer_case(case_id, to, hours=0)))


def record_departure(case_id: str, reason: str) -> Built:
    return Built(_envelope(placement_wire.record_departure(case_id, reason, hours=0)))


def open_location(location_id: str, code: str, capacity: int, kind: str) -> Built:
    record = capacity_wire.open_location(location_id, code, capacity, kind=kind)
    return Built(_envelope(record))


def change_capacity(location_id: str, capacity: int) -> Built:
    return Built(_envelope(capacity_wire.change_capacity(location_id, capacity)))


def close_location(location_id: str) -> Built:
    data = {"location_id": location_id}
    return Built(_envelope(capacity_wire.command("CloseLocation", location_id, data)))


def set_reception_target(code: str, places: int) -> Built:
    data = {"municipality_code": code, "places": places}
    return Built(_envelope(capacity_wire.command("SetReceptionTarget", code, data)))


def set_housing_quota(code: str, period: str, persons: int) -> Built:
    return Built(_envelope(housing_wire.set_quota(code, period, persons, BASE_TIME)))


def transfer_quota(source: str, target: str, period: str, persons: int) -> Built:
    record = housing_wire.transfer_quota(source, target, period, persons, BASE_TIME)
    return Built(_envelope(record))


def record_housing(case_id: str, code: str, kind: str) -> Built:
    return Built(_envelope(housing_wire.record_housing(case_id, code, kind, BASE_TIME)))


def pair_case(case_id: str, code: str) -> Built:
    return Built(_envelope(housing_wire.pair_case(case_id, code, BASE_TIME)))


Builder = Callable[[random.Random, Entities], Built]


def _case(rng: random.Random, ent: Entities) -> str:
    return ent.case("fz", rng.randrange(POOL))


def _location(rng: random.Random, ent: Entities) -> str:
    return ent.location("fz", rng.randrange(POOL))


def _code(rng: random.Random) -> str:
    return rng.choice(Entities.municipalities("fz"))


def _two_codes(rng: random.Random) -> tuple[str, str]:
    source, target = rng.sample(Entities.municipalities("fz"), 2)
    return source, target


FUZZ_BUILDERS: Final[dict[str, Builder]] = {
    "RegisterApplication": lambda rng, ent: register_application(
        _case(rng, ent), ent.fuzz_centre, Personal.draw(rng), rng.randint(1, 4)
    ),
    "AssignTrack": lambda rng, ent: assign_track(
        _case(rng, ent), rng.choice(("dublin", "safe_country", "low_recognition", "general"))
    ),
    "RecordDecision": lambda rng, ent: record_decision(
        _case(rng, ent), rng.choice(("granted", "rejected")), final=rng.random() < 0.5
    ),
    "TransferCase": lambda rng, ent: transfer_case(_case(rng, ent), _location(rng, ent)),
    "RecordDeparture": lambda rng, ent: record_departure(
        _case(rng, ent), rng.choice(("voluntary", "forced", "unknown"))
    ),
    "OpenLocation": lambda rng, ent: open_location(
        _location(rng, ent),
        _code(rng),
        rng.randint(0, 500),
        rng.choice(("accelerated_azc", "azc", "htl", "ibo", "emergency")),
    ),
    "ChangeCapacity": lambda rng, ent: change_capacity(_location(rng, ent), rng.randint(0, 500)),
    "CloseLocation": lambda rng, ent: close_location(_location(rng, ent)),
    "SetReceptionTarget": lambda rng, _: set_reception_target(_code(rng), rng.randint(0, 5000)),
    "SetHousingQuota": lambda rng, _: set_housing_quota(
        _code(rng), rng.choice(FUZZ_PERIODS), rng.randint(0, 2000)
    ),
    "TransferQuota": lambda rng, _: transfer_quota(
        *_two_codes(rng), rng.choice(FUZZ_PERIODS), rng.randint(1, 50)
    ),
    "RecordHousing": lambda rng, ent: record_housing(
        _case(rng, ent), _code(rng), rng.choice(("regular", "transit", "intermediate"))
    ),
    "PairCase": lambda rng, ent: pair_case(_case(rng, ent), _code(rng)),
}


def fuzz_command(type_name: str, rng: random.Random, ent: Entities, message_id: str) -> Built:
    """A valid command of `type_name` about the run's fuzz entities, with its own id."""
    built = FUZZ_BUILDERS[type_name](rng, ent)
    time = BASE_TIME + timedelta(minutes=rng.randrange(60 * 24 * 200))
    return Built(_stamp(built.envelope, message_id, time), built.markers)


def sentinel_command(built: Built, message_id: str) -> Built:
    """A sentinel: stamped with the current wall-clock time, a minute back."""
    moment = datetime.now(UTC) - timedelta(minutes=1)
    return Built(_stamp(built.envelope, message_id, moment), built.markers)
