"""One clock for the chain: under `KETEN_CLOCK=simulated` the services share their time.

Simulated time moves only with the messages a service sees, and each service sees only its own
topics: registration, having seen nothing after a final rejection, would never reach the end of
its 28 days while the rest of the chain is months further. So each service tells the newest
event time it has seen to the compacted topic `keten.clock` (keyed by its name, one value
`{"service": name, "time": RFC 3339}` each), and every service reads that topic from its
beginning and moves its clock to the newest time of any service.

- A clock never moves backwards, and a value that is not a valid time between 1900 and 2200
  (the envelope's bounds for a simulation's time) never moves it.
- A service tells only what it saw itself, never a time it read from the topic, at most every
  PUBLISH_SECONDS, and only once it has read the topic to its end: a restarted service knows
  what it told before and never replaces it with an older time.
- Under the wall clock nothing of this runs: time passes by itself.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, Final

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from keten.contracts.envelope import EARLIEST_TIME, LATEST_TIME
from keten.kernel.clock import Clock, EventTimeClock
from keten.kernel.health import Health, LoopHealth
from keten.kernel.logging import get_logger
from keten.kernel.producer import OutgoingRecord, Producer
from keten.kernel.settings import Settings
from keten.kernel.waiting import first_event

log = get_logger(__name__)

PUBLISH_SECONDS: Final = 0.25  # at most four values a second per service
RETRY_SECONDS: Final = 1.0
FETCH_MS: Final = 200


def clock_value(service: str, moment: datetime) -> bytes:
    """The value a service tells: its name and the newest event time it has seen, in UTC."""
    time = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return orjson.dumps({"service": service, "time": time})


def clock_time(value: bytes | None) -> datetime | None:
    """The time a value tells, or None when it tells none a clock may follow."""
    try:
        told: Any = orjson.loads(value or b"")
        moment = datetime.fromisoformat(told["time"])
    except (orjson.JSONDecodeError, TypeError, KeyError, ValueError):
        return None
    if moment.tzinfo is None or not EARLIEST_TIME.year <= moment.year <= LATEST_TIME.year:
        return None
    moment = moment.astimezone(UTC)
    return moment if EARLIEST_TIME <= moment <= LATEST_TIME else None


class ChainClock:
    """A service's part in the chain's clock: tells what it saw, follows what all saw."""

    def __init__(
        self,
        service: str,
        clock: EventTimeClock,
        bootstrap_servers: str,
        topic: str,
        *,
        health: LoopHealth | None = None,
    ) -> None:
        self.health = health or LoopHealth("clock")
        self._service = service
        self._key = service.encode()
        self._clock = clock
        self._bootstrap = bootstrap_servers
        self._topic = topic
        self._seen: datetime | None = None  # the newest event time this service saw itself
        self._told: datetime | None = None  # the newest this service's key holds on the topic
        self._changed = asyncio.Event()
        self._caught_up = asyncio.Event()

    def seen(self, moment: datetime) -> None:
        """A message of `moment` reached this service: its clock follows, the chain is told."""
        self._clock.observe(moment)
        moment = moment.astimezone(UTC)
        if self._seen is None or moment > self._seen:
            self._seen = moment
            self._changed.set()

    async def run(self, stop: asyncio.Event, producer: Producer) -> None:
        """Follows the topic and tells it this service's time, until `stop`."""
        await asyncio.gather(self._follow(stop), self._tell(stop, producer))

    async def _follow(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            # No consumer group: every service reads the whole topic, from its beginning.
            consumer = AIOKafkaConsumer(
                self._topic,
                bootstrap_servers=self._bootstrap,
                client_id=f"{self._service}.clock",
                group_id=None,
                auto_offset_reset="earliest",
                enable_auto_commit=False,
            )
            try:
                await consumer.start()
                await self._read(consumer, stop)
            except Exception as exc:  # noqa: BLE001 - keep following; read again from the start
                self.health.stop(f"cannot read {self._topic}: {type(exc).__name__}: {exc}")
                log.warning("clock.follow_failed", topic=self._topic, error=type(exc).__name__)
                await first_event(stop, seconds=RETRY_SECONDS)
            finally:
                await consumer.stop()

    async def _read(self, consumer: AIOKafkaConsumer, stop: asyncio.Event) -> None:
        if self._topic not in await consumer.topics():
            raise LookupError(f"the topic {self._topic} does not exist (infra/topics.py)")
        self.health.resume()
        end: dict[TopicPartition, int] | None = None  # where the topic ended when first assigned
        while not stop.is_set():
            if end is None and consumer.assignment():
                end = await consumer.end_offsets(list(consumer.assignment()))
            if end is not None and not self._caught_up.is_set() and await _reached(consumer, end):
                self._caught_up.set()
            batch = await consumer.getmany(timeout_ms=FETCH_MS)
            for records in batch.values():
                for record in records:
                    self._follow_value(record.key, record.value)

    def _follow_value(self, key: bytes | None, value: bytes | None) -> None:
        moment = clock_time(value)
        if moment is None:
            return
        self._clock.observe(moment)
        if key == self._key and (self._told is None or moment > self._told):
            self._told = moment

    async def _tell(self, stop: asyncio.Event, producer: Producer) -> None:
        await first_event(self._caught_up, stop)
        while self._caught_up.is_set():
            await first_event(self._changed, stop)
            self._changed.clear()
            moment = self._seen
            if moment is not None and (self._told is None or moment > self._told):
                try:
                    value = clock_value(self._service, moment)
                    await producer.send_all([OutgoingRecord(self._topic, value, key=self._key)])
                except Exception as exc:  # noqa: BLE001 - tell it again in a while
                    log.warning("clock.tell_failed", topic=self._topic, error=type(exc).__name__)
                    self._changed.set()
                    await first_event(stop, seconds=RETRY_SECONDS)
                else:
                    self._told = moment
            if stop.is_set():
                return
            await first_event(stop, seconds=PUBLISH_SECONDS)


def chain_clock(
    service: str, clock: Clock, settings: Settings, health: Health
) -> ChainClock | None:
    """The service's part in the chain's clock, under the simulated clock only."""
    if not isinstance(clock, EventTimeClock):
        return None
    return ChainClock(
        service,
        clock,
        settings.kafka_bootstrap_servers,
        settings.clock_topic,
        health=health.loop("clock"),
    )


async def _reached(consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]) -> bool:
    return all([await consumer.position(p) >= offset for p, offset in end.items()])
