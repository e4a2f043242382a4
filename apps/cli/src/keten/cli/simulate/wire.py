"""The simulator's Kafka clients: an idempotent producer for the commands, and an observer of
the outbound topics for this run's pairings, alerts and dead letters."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from keten.cli.simulate.effects import MUNICIPALITY_EVENTS, Effect, kind_of
from keten.cli.simulate.plan import HousingReport, Plan, Step
from keten.cli.simulate.quiescence import Quiescence
from keten.contracts.envelope import CONTENT_TYPE
from keten.contracts.messages import make_envelope
from keten.contracts.topics import (
    ALERTS,
    COMMAND_TOPICS,
    EVENT_TOPICS,
    HOUSING_EVENTS,
    dead_letter_topic,
)

HEADERS: Final = [("content-type", CONTENT_TYPE.encode())]
CATCH_UP_SECONDS: Final = 120.0
EFFECTS_PATIENCE_SECONDS: Final = 30.0
OBSERVED: Final = (*EVENT_TOPICS, ALERTS, *(dead_letter_topic(t) for t in COMMAND_TOPICS))


class Sender:
    """Publishes a plan's steps as CloudEvents stamped with their simulated time."""

    def __init__(self, bootstrap: str, plan: Plan) -> None:
        self._plan = plan
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            client_id=f"keten-simulate-{plan.run_id}",
            enable_idempotence=True,
            acks="all",
            linger_ms=5,
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def send(self, sequence: int, step: Step, municipality: str | None = None) -> Any:
        """Queues the step; returns the future of its acknowledgement. A housing report is
        sent as `RecordHousing` to the municipality it was paired with."""
        message = step.message
        source = step.source
        if isinstance(message, HousingReport):
            if municipality is None:
                raise ValueError(f"no pairing known for {message.case_id}")
            message = message.resolve(municipality)
            source = f"gemeente/{municipality}/simulator"
        envelope = make_envelope(
            message,
            id=self._plan.event_id(sequence),
            source=source,
            subject=step.subject,
            time=step.at,
        )
        return await self._producer.send(
            step.topic, envelope.to_json(), key=step.subject.encode(), headers=HEADERS
        )


@dataclass
class Observed:
    """What the run's records did, as the outbound topics tell."""

    pairings: dict[str, str] = field(default_factory=dict)  # case id -> municipality
    effects: Counter[Effect] = field(default_factory=Counter)
    alerts: Counter[str] = field(default_factory=Counter)
    dead_letters: Counter[str] = field(default_factory=Counter)  # message type -> count
    dead_letter_reasons: list[str] = field(default_factory=list)


class Observer:
    """Reads the event topics, alerts and the command dead-letter topics from where they stood
    when the run began, keeping what concerns the run's subjects (`<run id>-…`)."""

    def __init__(self, bootstrap: str, run_id: str, quiescence: Quiescence) -> None:
        self._prefix = f"{run_id}-"
        self._quiescence = quiescence
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None
        )
        self._next: dict[TopicPartition, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._moved = asyncio.Event()
        self.seen = Observed()

    async def start(self) -> None:
        await self._consumer.start()
        partitions = await self._quiescence.describe(OBSERVED)
        self._consumer.assign(partitions)
        self._next = await self._quiescence.end_offsets(partitions)
        for partition, offset in self._next.items():
            self._consumer.seek(partition, offset)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()

    async def _run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=100, max_records=2000)
            for partition, records in batches.items():
                for record in records:
                    self._take(partition.topic, record.key, record.value, record.headers)
                    self._next[partition] = record.offset + 1
            if batches:
                moved, self._moved = self._moved, asyncio.Event()
                moved.set()

    def _take(self, topic: str, key: bytes | None, value: bytes | None, headers: Any) -> None:
        subject = key.decode(errors="replace") if key is not None else ""
        if value is None:
            return
        mine = subject.startswith(self._prefix)
        if not mine and b"QuotaSet" not in value and b"TargetSet" not in value:
            return  # cheap: only municipality facts are counted from any run
        try:
            event = orjson.loads(value)
        except orjson.JSONDecodeError:
            event = {}
        kind = event.get("type", "undecodable") if isinstance(event, dict) else "undecodable"
        data = event.get("data", {}) if isinstance(event, dict) else {}
        if not mine and kind not in MUNICIPALITY_EVENTS:
            return
        if topic in EVENT_TOPICS:
            self.seen.effects[(topic, kind_of(kind, data), subject)] += 1
        if topic == HOUSING_EVENTS and kind == "PairedWithMunicipality":
            self.seen.pairings[data["case_id"]] = data["municipality_code"]
        elif topic == ALERTS:
            self.seen.alerts[str(data.get("kind", "unknown"))] += 1
        elif topic.endswith(".dlq"):
            self.seen.dead_letters[kind] += 1
            reason = dict(headers or ()).get("error.message", b"").decode(errors="replace")
            if len(self.seen.dead_letter_reasons) < 10:
                self.seen.dead_letter_reasons.append(f"{kind}: {reason}")

    async def wait_for(self, needed: dict[Effect, int]) -> int:
        """Waits until every effect has been seen as often as needed; gives up when nothing
        new arrives for a while (a command went to a dead-letter topic). Returns how many
        effects were still missing then."""
        effects = self.seen.effects
        missing = {e: n for e, n in needed.items() if effects[e] < n}
        while missing:
            moved = self._moved
            try:
                async with asyncio.timeout(EFFECTS_PATIENCE_SECONDS):
                    await moved.wait()
            except TimeoutError:
                return len(missing)
            missing = {e: n for e, n in missing.items() if effects[e] < n}
        return 0

    async def catch_up(self) -> None:
        """Returns once everything on the observed topics up to now has been read."""
        ends = await self._quiescence.end_offsets(list(self._next))
        async with asyncio.timeout(CATCH_UP_SECONDS):
            while any(self._next.get(p, 0) < end for p, end in ends.items()):
                await self._moved.wait()
