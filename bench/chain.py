"""Benchmarks 2 and 3 drive the whole chain: the four services as processes on a Kafka broker
and databases of their own (`tests.support.chain`), given places and quotas first, then fed
commands through Kafka as COA's, the IND's and the municipalities' systems send them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from tests.support.chain import Chain, fresh_chain

from bench.infra import admin_url
from keten.cli.simulate.quiescence import Quiescence
from keten.cli.simulate.wire import HEADERS
from keten.contracts.capacity import OpenLocation
from keten.contracts.civil_time import half_year
from keten.contracts.housing import RecordHousing, SetHousingQuota
from keten.contracts.messages import Message, make_envelope
from keten.contracts.registration import AssignTrack, RecordDecision, RegisterApplication
from keten.contracts.topics import ALERTS, COMMAND_TOPICS, EVENT_TOPICS, dead_letter_topic
from keten.contracts.values import Household, PersonalData, Track
from keten.reference import PROVINCES, municipalities, split_over_municipalities

LOCATION_TYPES: Final = ("application_centre", "azc", "accelerated_azc")
MAX_PERSONS: Final = 4  # the largest household `household(i)` makes
NATIONALITIES: Final = ("SYR", "ERI", "TUR", "AFG", "YEM", "IRQ")
QUOTA_PER_HALF_YEAR: Final = 20_000
COA: Final = "coa/aanmelding/bench"
IND: Final = "ind/bench"


Encoded = tuple[str, bytes, bytes]  # topic, key, value: a command ready to send


def encode(message: Message, subject: str, source: str) -> Encoded:
    """A command as its CloudEvent, stamped now."""
    envelope = make_envelope(
        message, id=uuid.uuid4().hex, source=source, subject=subject, time=datetime.now(UTC)
    )
    assert message.topic is not None
    return message.topic, subject.encode(), envelope.to_json()


@dataclass(frozen=True)
class Running:
    """A fresh chain, its HTTP addresses, a producer to feed it and a wait for quiescence."""

    chain: Chain
    urls: dict[str, str]
    producer: AIOKafkaProducer
    quiescence: Quiescence
    http: httpx.AsyncClient

    async def send(self, message: Message, subject: str, source: str) -> Any:
        """Queues a command; returns the future of its acknowledgement."""
        return await self.send_encoded(encode(message, subject, source))

    async def send_encoded(self, encoded: Encoded) -> Any:
        topic, key, value = encoded
        return await self.producer.send(topic, value, key=key, headers=HEADERS)

    async def dead_letters(self) -> int:
        """How many messages the services have dead-lettered, on every `.dlq` topic."""
        partitions = await self.quiescence.describe(
            dead_letter_topic(topic) for topic in (*COMMAND_TOPICS, *EVENT_TOPICS, ALERTS)
        )
        return sum((await self.quiescence.end_offsets(partitions)).values())

    async def settle(self) -> None:
        """Returns when every service has applied everything sent so far."""
        await self.producer.flush()
        await self.quiescence.wait(self.http, settle=0.2)

    async def get(self, service: str, path: str) -> Any:
        response = await self.http.get(f"{self.urls[service]}{path}")
        response.raise_for_status()
        return response.json()


Take = Callable[[dict[str, Any]], Awaitable[None]]


@contextlib.asynccontextmanager
async def following(
    running: Running, topics: Sequence[str], take: Take, *, from_start: bool
) -> AsyncIterator[None]:
    """While the block runs, hands each event published on `topics` (decoded CloudEvent) to
    `take`: every event from the topics' start, or only those published from now on."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=running.chain.kafka_bootstrap, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = await running.quiescence.describe(topics)
        consumer.assign(partitions)
        if from_start:
            await consumer.seek_to_beginning(*partitions)
        else:
            await consumer.seek_to_end(*partitions)
            for partition in partitions:
                await consumer.position(partition)  # the end as it is now, not when first read
        feeding = asyncio.create_task(_feed(consumer, take))
        try:
            yield
        finally:
            feeding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feeding
    finally:
        await consumer.stop()


async def _feed(consumer: AIOKafkaConsumer, take: Take) -> None:
    while True:
        found = await consumer.getmany(timeout_ms=100)
        for record in (r for records in found.values() for r in records):
            await take(orjson.loads(record.value or b"{}"))


@contextlib.asynccontextmanager
async def running_chain(households: int) -> AsyncIterator[Running]:
    """A fresh chain with room for `households` at once, every service caught up with it."""
    with tempfile.TemporaryDirectory(prefix="keten-bench-") as state:
        async with fresh_chain(admin_url(), Path(state), clock="wall") as chain:
            urls = {name: f"http://127.0.0.1:{port}" for name, port in chain.ports.items()}
            producer = AIOKafkaProducer(
                bootstrap_servers=chain.kafka_bootstrap,
                enable_idempotence=True,
                acks="all",
                linger_ms=5,
            )
            quiescence = Quiescence(chain.kafka_bootstrap, patience=1800.0, urls=urls)
            await producer.start()
            await quiescence.start()
            try:
                async with httpx.AsyncClient(timeout=30) as http:
                    running = Running(chain, urls, producer, quiescence, http)
                    await set_up(running, households)
                    yield running
            finally:
                await quiescence.stop()
                await producer.stop()


def _centres() -> list[tuple[str, str]]:
    """One municipality per province (its first by code): (province, code)."""
    first: dict[str, str] = {}
    for code, found in sorted(municipalities().items()):
        first.setdefault(found.province, code)
    return [(province, first[province]) for province in PROVINCES]


CENTRES: Final = _centres()


def centre_id(index: int) -> str:
    return f"bench-application_centre-{index % len(CENTRES)}"


async def set_up(running: Running, households: int) -> None:
    """Per province an application centre, an AZC and an accelerated AZC, each with room for
    every household it could hold at once; the half year's quotas split by population."""
    places = -(-households * MAX_PERSONS // len(CENTRES)) + 100
    for n, (_, code) in enumerate(CENTRES):
        for kind in LOCATION_TYPES:
            location = f"bench-{kind}-{n}"
            command = OpenLocation(
                location_id=location,
                name=f"{kind} {n}",
                type=kind,
                municipality_code=code,
                capacity=places,
            )
            await running.send(command, location, "coa/capacity-planner/bench")
    period = half_year(datetime.now(UTC).date())
    for code, persons in split_over_municipalities(QUOTA_PER_HALF_YEAR).items():
        quota = SetHousingQuota(municipality_code=code, period=period, persons=persons)
        await running.send(quota, code, "ministerie-asiel-migratie/bench")
    await running.settle()
    national = (await running.get("capacity", "/occupancy?by=national"))["rows"][0]
    if national["capacity"] != places * len(CENTRES) * len(LOCATION_TYPES):
        raise RuntimeError(f"the chain did not open the benchmark's places: {national}")


def household(index: int) -> Household:
    return Household(adults=1 + index % 2, minors=index % 3)


def track(index: int) -> Track:
    return "safe_country" if index % 3 == 0 else "general"


def application(prefix: str, index: int) -> RegisterApplication:
    return RegisterApplication(
        case_id=f"{prefix}-{index}",
        application_centre_id=centre_id(index),
        household=household(index),
        nationality=NATIONALITIES[index % len(NATIONALITIES)],
        personal=PersonalData(
            v_number=f"{index:010d}",
            family_name="Testpersoon",
            given_names="Bench",
            date_of_birth=date(1990, 1, 1),
        ),
    )


def applying(prefix: str, index: int) -> Encoded:
    """COA's registration of household `index`."""
    return encode(application(prefix, index), f"{prefix}-{index}", COA)


def procedure(prefix: str, index: int) -> Iterator[Encoded]:
    """COA's and the IND's commands for one household, up to its permit, in order."""
    case_id = f"{prefix}-{index}"
    yield applying(prefix, index)
    yield encode(AssignTrack(case_id=case_id, track=track(index)), case_id, IND)
    yield encode(RecordDecision(case_id=case_id, outcome="granted", final=True), case_id, IND)


def housing_report(case_id: str, municipality_code: str) -> Encoded:
    """The municipality's report that the household it was paired with is housed."""
    command = RecordHousing(case_id=case_id, municipality_code=municipality_code, kind="regular")
    return encode(command, case_id, f"gemeente/{municipality_code}/bench")


def _cpu_of(pid: int) -> float:
    """Seconds of CPU a process used, its reaped children's included."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _pids(matching: Callable[[str], bool]) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if matching((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()):
                    found.append(int(entry.name))
    return found


def cpu_seconds(chain: Chain) -> dict[str, float]:
    """CPU used so far by each service, by PostgreSQL (every process of the cluster) and by
    the chain's Kafka broker."""
    used = {name: _cpu_of(process.pid) for name, process in chain.processes.items()}
    used["postgresql"] = sum(_cpu_of(p) for p in _pids(lambda c: "postgres" in c.split(" ", 1)[0]))
    broker = _pids(lambda c: "kafka.Kafka" in c and str(chain.state) in c)
    used["kafka"] = sum(_cpu_of(p) for p in broker)
    return used
