"""Has the chain caught up? Every service consumer group has committed every record of the
topics it reads, and the topics have stopped growing.

The services commit a record's offset only after its effect is stored, and their outbox relays
and timers are woken by that commit; so when every group is at the end of its topics and the
ends stay put for a moment, the messages sent so far and everything they set off have been
applied. (`keten_consumer_lag` on /metrics is the lag at the consumer's last fetch, and is
stale right after a publish; `keten_relay_backlog` is read as well, where a service sets it.)
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from keten.cli.endpoints import SERVICE_PORTS, service_url
from keten.contracts.topics import COMMAND_TOPICS, EVENT_TOPICS

SERVICE_GROUP: Final = re.compile(r"^(registration|placement|housing|capacity)\.[a-z_]+$")
# What each service consumer group reads, as the services subscribe today. A group's committed
# offsets show the rest; a topic listed here that a group turns out not to read is dropped
# after `UNREAD_GRACE` seconds of lag without a commit.
KNOWN_SUBSCRIPTIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "registration.commands": ("registration.commands",),
    "registration.capacity": ("capacity.events",),
    "placement.registration": ("registration.events",),
    "placement.capacity": ("capacity.events",),
    "placement.housing": ("housing.events",),
    "placement.commands": ("placement.commands",),
    "housing.commands": ("housing.commands",),
    "housing.permits": ("registration.events",),
    "housing.stays": ("placement.events",),
    "housing.locations": ("capacity.events",),
    "capacity.commands": ("capacity.commands",),
    "capacity.placement": ("placement.events",),
}
UNREAD_GRACE: Final = 5.0
_RELAY_BACKLOG: Final = re.compile(r"^keten_relay_backlog\{[^}]*\} ([0-9.e+]+)$", re.MULTILINE)
WATCHED: Final = (*COMMAND_TOPICS, *EVENT_TOPICS)


class ChainStalledError(RuntimeError):
    """The chain did not catch up in time."""


@dataclass
class _Unread:
    """(group, topic) pairs seen lagging without any commit, since when."""

    since: dict[tuple[str, str], float] = field(default_factory=dict)
    dropped: set[tuple[str, str]] = field(default_factory=set)


def _offset(found: Mapping[TopicPartition, Any], partition: TopicPartition) -> int:
    committed = found.get(partition)
    return max(committed.offset, 0) if committed is not None else 0


class Quiescence:
    """Waits until the services have applied everything sent to them."""

    def __init__(
        self, bootstrap: str, patience: float = 600.0, urls: Mapping[str, str] | None = None
    ) -> None:
        self._bootstrap = bootstrap
        self._urls = urls or {service: service_url(service) for service in SERVICE_PORTS}
        self._patience = patience
        self._backlog_metric: bool | None = None  # whether any service exposes it
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self.partitions: dict[str, list[TopicPartition]] = {}
        self._unread = _Unread()

    async def start(self) -> None:
        await self._admin.start()
        await self._consumer.start()
        for partition in await self.describe(WATCHED):
            self.partitions.setdefault(partition.topic, []).append(partition)

    async def describe(self, topics: Iterable[str]) -> list[TopicPartition]:
        """The partitions of the topics, in order."""
        found = await self._admin.describe_topics(list(topics))
        return [
            TopicPartition(topic["topic"], n)
            for topic in found
            for n in sorted(p["partition"] for p in topic["partitions"])
        ]

    async def stop(self) -> None:
        await self._consumer.stop()
        await self._admin.close()

    def partition_counts(self) -> list[int]:
        return [len(found) for found in self.partitions.values()]

    async def end_offsets(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        found: dict[TopicPartition, int] = await self._consumer.end_offsets(list(partitions))
        return found

    async def _groups(self) -> list[str]:
        listed = await self._admin.list_consumer_groups()
        return sorted({g[0] for g in listed if SERVICE_GROUP.match(g[0])})

    async def lag(self) -> tuple[dict[TopicPartition, int], int]:
        """The topics' end offsets, and how many records the service groups have yet to apply."""
        ends = await self.end_offsets(p for found in self.partitions.values() for p in found)
        behind = 0
        now = time.monotonic()
        groups = await self._groups()
        offsets = await asyncio.gather(
            *(self._admin.list_consumer_group_offsets(g) for g in groups)
        )
        for group, committed in zip(groups, offsets, strict=True):
            topics = {p.topic for p in committed} | set(KNOWN_SUBSCRIPTIONS.get(group, ()))
            for topic in sorted(topics & set(self.partitions)):
                key = (group, topic)
                if key in self._unread.dropped:
                    continue
                lagging = sum(ends[p] - _offset(committed, p) for p in self.partitions[topic])
                if lagging > 0 and not any(p.topic == topic for p in committed):
                    first = self._unread.since.setdefault(key, now)
                    if now - first > UNREAD_GRACE:
                        self._unread.dropped.add(key)
                        continue
                behind += max(lagging, 0)
        return ends, behind

    async def relay_backlog(self, client: httpx.AsyncClient) -> float:
        """Events the services' relays have yet to publish, where a service reports it."""
        if self._backlog_metric is False:
            return 0.0
        pages = await asyncio.gather(
            *(client.get(f"{url}/metrics") for url in self._urls.values()),
            return_exceptions=True,
        )
        if any(isinstance(page, httpx.TransportError) for page in pages):
            return math.inf  # a service is down or restarting: not caught up yet
        found = [
            float(v)
            for page in pages
            if isinstance(page, httpx.Response)
            for v in _RELAY_BACKLOG.findall(page.text)
        ]
        self._backlog_metric = bool(found)
        return sum(found)

    async def wait(self, client: httpx.AsyncClient, settle: float = 0.05) -> None:
        """Returns once every group is at the end and the ends held still for `settle`
        seconds; gives up after `patience` seconds."""
        deadline = time.monotonic() + self._patience
        quiet: dict[TopicPartition, int] | None = None
        while time.monotonic() < deadline:
            ends, behind = await self.lag()
            if behind == 0 and ends == quiet and await self.relay_backlog(client) == 0:
                return
            quiet = ends if behind == 0 else None
            await asyncio.sleep(settle if behind == 0 else 0.03)
        raise ChainStalledError(f"the services did not catch up within {self._patience:.0f} s")
