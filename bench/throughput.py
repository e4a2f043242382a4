"""Benchmark 2: commands/s through all four services, from `RegisterApplication` to `Housed`
with every projection caught up, against a bare aiokafka consume → produce relay (no logic, no
database) over as many messages of the same sizes, on the same broker in the same run."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.chain import (
    Encoded,
    Running,
    cpu_seconds,
    following,
    household,
    housing_report,
    procedure,
    running_chain,
)
from bench.infra import Profiles
from bench.report import Row, Table, Target, ratios
from keten.cli.simulate.wire import HEADERS
from keten.contracts.civil_time import half_year
from keten.contracts.topics import HOUSING_EVENTS

MIN_COMMANDS_PER_SECOND: Final = 2_000
MIN_SHARE_OF_RELAY: Final = 0.25
COMMANDS_PER_HOUSEHOLD: Final = 4  # RegisterApplication, AssignTrack, RecordDecision, RecordHousing
RELAY_BATCH: Final = 200  # the services' consumer batch, for the relay too
PARTITIONS: Final = 3  # KETEN_PARTITIONS' default, as the chain's topics


@dataclass(frozen=True)
class ThroughputSizes:
    runs: int
    commands: int

    @property
    def households(self) -> int:
        return self.commands // COMMANDS_PER_HOUSEHOLD


class Municipalities:
    """Reading `housing.events`: reports each pairing of the run as housed, as the municipality
    would, and counts the `Housed` events until every household is."""

    def __init__(self, running: Running, prefix: str, households: int) -> None:
        self._running = running
        self._prefix = prefix
        self._households = households
        self.housed = 0
        self.reported = 0
        self.done = asyncio.Event()

    async def take(self, event: dict[str, Any]) -> None:
        data = event.get("data")
        if not isinstance(data, dict) or not str(data.get("case_id")).startswith(self._prefix):
            return
        if event["type"] == "PairedWithMunicipality":
            report = housing_report(data["case_id"], data["municipality_code"])
            await self._running.send_encoded(report)
            self.reported += 1
        elif event["type"] == "Housed":
            self.housed += 1
            if self.housed == self._households:
                self.done.set()


@dataclass(frozen=True)
class RunResult:
    commands_per_second: float
    relay_per_second: float
    cpu_ms_per_command: dict[str, float]  # per service, PostgreSQL and Kafka


async def one_run(households: int, profiles: Profiles, run: int) -> RunResult:
    """Commands/s from the first command sent to the chain at rest with every household
    housed (then checks the figures the services show), and the CPU each part used per
    command; and the relay's messages/s over as many messages of the same sizes, on the same
    broker."""
    async with running_chain(households) as running:
        prefix = f"tp{run}-{uuid.uuid4().hex[:6]}"
        backlog = [command for i in range(households) for command in procedure(prefix, i)]
        municipalities = Municipalities(running, prefix, households)
        reading = following(running, [HOUSING_EVENTS], municipalities.take, from_start=True)
        async with reading:
            with profiles.services(running.chain, f"throughput-run{run}"):
                cpu_before = cpu_seconds(running.chain)
                started = time.perf_counter()
                for command in backlog:
                    await running.send_encoded(command)
                await running.producer.flush()
                await asyncio.wait_for(municipalities.done.wait(), timeout=3600)
                await running.settle()
                seconds = time.perf_counter() - started
                cpu_after = cpu_seconds(running.chain)
        await check_at_rest(running, households, municipalities.reported)
        commands = len(backlog) + municipalities.reported
        reports = [housing_report(f"{prefix}-{i}", "GM0014") for i in range(households)]
        relay = await relay_rate(running.chain.kafka_bootstrap, backlog + reports)
    cpu = {part: (cpu_after[part] - cpu_before[part]) * 1000 / commands for part in cpu_after}
    return RunResult(commands / seconds, relay, cpu)


async def check_at_rest(running: Running, households: int, reported: int) -> None:
    """Everyone housed and out of reception, every projection agreeing, nothing dead-lettered."""
    persons = sum(household(i).persons for i in range(households))
    national = (await running.get("capacity", "/occupancy?by=national"))["rows"][0]
    period = half_year(datetime.now(UTC).date())
    quota = await running.get("housing", f"/quota?period={period}&by=province")
    problems = []
    if reported != households:
        problems.append(f"{reported} pairings reported for {households} households")
    if national["occupied"] != 0:
        problems.append(f"{national['occupied']} still occupy places")
    if quota["total"]["housed"] != persons:
        problems.append(f"quota table: {quota['total']['housed']} housed of {persons}")
    if dead := await running.dead_letters():
        problems.append(f"{dead} dead-lettered")
    if problems:
        raise RuntimeError("the chain did not end where it should: " + "; ".join(problems))


async def relay_rate(bootstrap: str, messages: Sequence[Encoded]) -> float:
    """Messages/s of a consume → produce relay: batches of `RELAY_BATCH`, each produced by an
    idempotent producer (acks=all) and acknowledged before the batch's offsets are committed."""
    name = f"bench.relay.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(f"{name}.{end}", PARTITIONS, 1) for end in ("in", "out")]
        )
        await _leaders_elected(admin, [f"{name}.in", f"{name}.out"])
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5
        )
        await producer.start()
        try:
            for _, key, value in messages:
                await producer.send(f"{name}.in", value, key=key, headers=HEADERS)
            await producer.flush()
            return await _relay(bootstrap, name, producer, len(messages))
        finally:
            await producer.stop()
    finally:
        await admin.delete_topics([f"{name}.in", f"{name}.out"])
        await admin.close()


async def _leaders_elected(admin: AIOKafkaAdminClient, topics: list[str]) -> None:
    """New topics answer produce requests once each partition has its leader."""
    for _ in range(100):
        found = await admin.describe_topics(topics)
        if all(p["leader"] >= 0 for t in found for p in t["partitions"]) and all(
            len(t["partitions"]) == PARTITIONS for t in found
        ):
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"no leaders for {topics}")


async def _relay(bootstrap: str, name: str, producer: AIOKafkaProducer, expected: int) -> float:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=f"{name}.relay",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=RELAY_BATCH,
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(f"{name}.in", p) for p in range(PARTITIONS)])
        relayed = 0
        started = time.perf_counter()
        while relayed < expected:
            found = await consumer.getmany(timeout_ms=1000, max_records=RELAY_BATCH)
            sent = [
                await producer.send(f"{name}.out", r.value, key=r.key, headers=list(r.headers))
                for records in found.values()
                for r in records
            ]
            await asyncio.gather(*sent)
            await consumer.commit()
            relayed += len(sent)
        return relayed / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def run(sizes: ThroughputSizes, profiles: Profiles) -> Table:
    table = Table("throughput", "2. End-to-end throughput, RegisterApplication to Housed")
    households = sizes.households
    ours: list[float] = []
    relays: list[float] = []
    cpu: dict[str, list[float]] = {}
    for n in range(sizes.runs):
        result = await one_run(households, profiles if n == 0 else Profiles(None), n)
        ours.append(result.commands_per_second)
        relays.append(result.relay_per_second)
        for part, used in result.cpu_ms_per_command.items():
            cpu.setdefault(part, []).append(used)
    table.rows.append(Row("bare aiokafka consume -> produce relay", "msg/s", relays))
    table.rows.append(
        Row(
            "four services, backlog to every household housed",
            "cmd/s",
            ours,
            "relay",
            ratios(ours, relays),
            [
                Target("median", at_least=MIN_COMMANDS_PER_SECOND),
                Target("ratio", at_least=MIN_SHARE_OF_RELAY),
            ],
        )
    )
    table.rows += [Row(f"CPU per command: {part}", "ms", used) for part, used in cpu.items()]
    table.notes += [
        (
            f"{households:,} households x {COMMANDS_PER_HOUSEHOLD} commands = "
            f"{households * COMMANDS_PER_HOUSEHOLD:,}: RegisterApplication, AssignTrack and "
            "RecordDecision (granted) sent as one backlog; RecordHousing sent by a client "
            "reading each PairedWithMunicipality, as a municipality would"
        ),
        (
            "timed from the first command sent to every Housed seen and every consumer group "
            "at the end of its topics; then checked: occupancy 0, every person housed in the "
            "quota table, no dead letters"
        ),
        (
            "each run on a fresh chain (own Kafka, fresh databases, services as processes, "
            f"wall clock), {PARTITIONS} partitions per topic; the relay in the same run: "
            f"same messages, batches of {RELAY_BATCH}, idempotent acks=all producer, commit "
            "after each batch"
        ),
    ]
    return table
