"""The checker: reads every store and every topic of a chain once it has caught up, and counts
what the kernel promises never happens.

**Lost** — a message or an event that went somewhere and had no effect there:
- a record on a command topic with neither an inbox row nor a dead letter of the service that
  consumes the topic (every command is applied or refused, never passed by);
- a record on an event topic, of a type a subscribing consumer applies, without that
  consumer's inbox row or dead letter;
- an event with a topic in a store that never reached that topic (by event id);
- a dead letter in a store that never reached its `<topic>.dlq`; an inbox row saying
  "dead-lettered" without its dead letter.

**Duplicated effects** — one message that took effect twice:
- two events in a store of the same stream and type caused by the same message;
- one message applied by two consumers of one service, or both applied and refused by one;
- two dead letters of one consumer for one message;
- an event on a topic that no store holds (an effect of nothing).
A record republished with its event id (the relay's at-least-once) is not an effect twice:
consumers skip it by id. Those are counted apart, as `republished`.

**Reordered per key** — on each event topic, per key, the first occurrences of a stream's
events in version order; every key on one partition only; and each consumer applied each
partition's records in offset order (its inbox rows' transaction times do not go back).
"""

from __future__ import annotations

import asyncio
import importlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from keten.contracts.topics import COMMAND_TOPICS, DLQ_SUFFIX
from keten.kernel.service import ServiceSpec
from tests.support.chain import SERVICES, Chain

Row = Mapping[str, Any]  # a row as asyncpg returns it (or a dict, in the checker's own tests)
INTERNAL_TOPICS = ("__consumer_offsets", "__transaction_state", "keten.clock")
EXAMPLES = 5  # findings quoted per check


@dataclass(frozen=True)
class Consumer:
    name: str  # the consumer group and inbox name, `<service>.<subscription>`
    service: str
    topics: tuple[str, ...]
    types: frozenset[str]  # the message types it applies


def consumers() -> list[Consumer]:
    """Every consumer of the chain, as the services' composition roots declare them."""
    found: list[Consumer] = []
    for service in SERVICES:
        spec = cast("ServiceSpec", importlib.import_module(f"keten.{service}.app").spec())
        found.extend(
            Consumer(f"{service}.{sub.name}", service, tuple(sub.topics), frozenset(sub.handlers))
            for sub in spec.subscriptions
        )
    return found


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: str | None
    id: str | None  # the CloudEvent id, when the value is one
    type: str | None
    headers: Mapping[str, str]


@dataclass
class Store:
    service: str
    events: list[Row]  # keten.events, in the global order
    inbox: list[Row]  # keten.inbox
    dead_letters: list[Row]  # keten.dead_letters


@dataclass
class Findings:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    reordered: list[str] = field(default_factory=list)
    dead_letters: list[str] = field(default_factory=list)  # every dead letter: fault-caused?
    counts: Counter[str] = field(default_factory=Counter)  # what was looked at

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.reordered)

    def totals(self) -> dict[str, int]:
        return {
            "lost": len(self.lost),
            "duplicated": len(self.duplicated),
            "reordered": len(self.reordered),
            "dead_letters": len(self.dead_letters),
        }

    def report(self) -> str:
        looked = ", ".join(f"{name} {n:,}" for name, n in sorted(self.counts.items()))
        lines = [
            (
                f"checker: lost {len(self.lost)}, duplicated {len(self.duplicated)}, "
                f"reordered {len(self.reordered)}; dead letters {len(self.dead_letters)}"
            ),
            f"  looked at: {looked}",
        ]
        for name in ("lost", "duplicated", "reordered", "dead_letters"):
            found: list[str] = getattr(self, name)
            lines.extend(f"  {name}: {finding}" for finding in found[:EXAMPLES])
            if len(found) > EXAMPLES:
                lines.append(f"  {name}: … {len(found) - EXAMPLES} more")
        return "\n".join(lines)


async def check(chain: Chain) -> Findings:
    stores = await asyncio.gather(*(_store(s, url) for s, url in chain.databases.items()))
    records = await read_every_topic(chain.kafka_bootstrap)
    return judge(list(stores), records, consumers())


async def _store(service: str, url: str) -> Store:
    conn = await asyncpg.connect(url)
    try:
        events = await conn.fetch(
            "SELECT transaction_id, position, stream_id, version, event_id, event_type, subject,"
            " topic, causation_id, data FROM keten.events ORDER BY transaction_id, position"
        )
        inbox = await conn.fetch(
            'SELECT consumer, message_id, topic, partition, "offset", outcome, processed_at'
            " FROM keten.inbox"
        )
        letters = await conn.fetch(
            'SELECT id, consumer, topic, partition, "offset", message_id, message_type, stage,'
            " error_type, reason, published_at, resolved_at FROM keten.dead_letters"
        )
    finally:
        await conn.close()
    return Store(service, _rows(events), _rows(inbox), _rows(letters))


def _rows(found: list[asyncpg.Record]) -> list[Row]:
    return [dict(row.items()) for row in found]


async def read_every_topic(bootstrap: str) -> list[Record]:
    """Every record of every topic but the broker's own and the compacted clock, in offset
    order per partition."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t not in INTERNAL_TOPICS]
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    partitions = [
        TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]
    ]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    found: list[Record] = []
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        async with asyncio.timeout(120):
            while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
                batches = await consumer.getmany(timeout_ms=500, max_records=5000)
                for records in batches.values():
                    found.extend(_record(r) for r in records)
    finally:
        await consumer.stop()
    found.sort(key=lambda r: (r.topic, r.partition, r.offset))
    return found


def _record(raw: Any) -> Record:
    envelope: Any = None
    try:
        envelope = orjson.loads(raw.value) if raw.value else None
    except orjson.JSONDecodeError:
        envelope = None
    if not isinstance(envelope, dict):
        envelope = {}
    headers = {name: value.decode(errors="replace") for name, value in raw.headers or ()}
    return Record(
        topic=raw.topic,
        partition=raw.partition,
        offset=raw.offset,
        key=raw.key.decode(errors="replace") if raw.key is not None else None,
        id=_text(envelope.get("id")),
        type=_text(envelope.get("type")),
        headers=headers,
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def judge(stores: list[Store], records: list[Record], known: list[Consumer]) -> Findings:
    findings = Findings()
    findings.counts["events"] = sum(len(s.events) for s in stores)
    findings.counts["inbox rows"] = sum(len(s.inbox) for s in stores)
    findings.counts["records"] = len(records)
    _lost(findings, stores, records, known)
    _duplicated(findings, stores, records)
    _reordered(findings, stores, records)
    for store in stores:
        findings.dead_letters.extend(
            f"{row['consumer']} {row['message_type']} {row['message_id']} "
            f"({row['topic']}/{row['partition']}/{row['offset']}): "
            f"{row['stage']} {row['error_type']}: {row['reason']}"
            for row in store.dead_letters
        )
    return findings


def _lost(
    findings: Findings, stores: list[Store], records: list[Record], known: list[Consumer]
) -> None:
    applied = {(row["consumer"], row["message_id"]): row for s in stores for row in s.inbox}
    letters = [row for s in stores for row in s.dead_letters]
    refused_ids = {(row["consumer"], row["message_id"]) for row in letters}
    refused_at = {
        (row["consumer"], row["topic"], row["partition"], row["offset"]) for row in letters
    }
    by_topic: dict[str, list[Consumer]] = defaultdict(list)
    for consumer in known:
        for topic in consumer.topics:
            by_topic[topic].append(consumer)

    # Records with no effect in a consumer that had to take or refuse them.
    for record in records:
        for consumer in by_topic.get(record.topic, ()):
            must = record.topic in COMMAND_TOPICS or record.id is None or record.type is None
            if not must and record.type not in consumer.types:
                continue  # an event this consumer lets pass
            findings.counts["deliveries checked"] += 1
            if (consumer.name, record.id) in applied or (consumer.name, record.id) in refused_ids:
                continue
            if (consumer.name, record.topic, record.partition, record.offset) in refused_at:
                continue
            findings.lost.append(
                f"{record.type} {record.id} ({record.topic}/{record.partition}/{record.offset}, "
                f"key {record.key}): neither applied nor refused by {consumer.name}"
            )

    _never_published(findings, stores, records, refused_ids)


def _never_published(
    findings: Findings,
    stores: list[Store],
    records: list[Record],
    refused_ids: set[tuple[str, str]],
) -> None:
    """Stored events and dead letters that never reached their topic; refusals not kept."""
    on_topic = {(r.topic, r.id) for r in records if r.id is not None}
    letters_out = {
        (r.headers.get("original.consumer"), r.headers.get("dead_letter.id"))
        for r in records
        if r.topic.endswith(DLQ_SUFFIX)
    }
    for store in stores:
        for event in store.events:
            if event["topic"] is not None and (event["topic"], event["event_id"]) not in on_topic:
                findings.lost.append(
                    f"{store.service} {event['event_type']} {event['event_id']} "
                    f"({event['stream_id']} v{event['version']}): never reached {event['topic']}"
                )
        for row in store.dead_letters:
            if (row["consumer"], str(row["id"])) not in letters_out:
                findings.lost.append(
                    f"dead letter {row['id']} of {row['consumer']} ({row['message_type']} "
                    f"{row['message_id']}): never reached {row['topic']}{DLQ_SUFFIX}"
                )
        for row in store.inbox:
            key = (row["consumer"], row["message_id"])
            if row["outcome"] == "dead_lettered" and key not in refused_ids:
                findings.lost.append(
                    f"{row['consumer']} {row['message_id']}: marked dead-lettered, no dead letter"
                )


def _duplicated(findings: Findings, stores: list[Store], records: list[Record]) -> None:
    for store in stores:
        caused = Counter(
            (e["stream_id"], e["event_type"], e["causation_id"], _concerns(e["data"]))
            for e in store.events
            if e["causation_id"] is not None
        )
        findings.duplicated.extend(
            f"{store.service}: {n} {event_type} on {stream} caused by {cause} ({concerns})"
            for (stream, event_type, cause, concerns), n in caused.items()
            if n > 1
        )
        applied_by = defaultdict(list)
        for row in store.inbox:
            if row["outcome"] == "applied":
                applied_by[row["message_id"]].append(row["consumer"])
        findings.duplicated.extend(
            f"{store.service}: {message_id} applied by {', '.join(sorted(names))}"
            for message_id, names in applied_by.items()
            if len(names) > 1
        )
        unresolved = {
            (row["consumer"], row["message_id"])
            for row in store.dead_letters
            if row["resolved_at"] is None
        }
        findings.duplicated.extend(
            f"{row['consumer']} {row['message_id']}: applied and dead-lettered"
            for row in store.inbox
            if row["outcome"] == "applied" and (row["consumer"], row["message_id"]) in unresolved
        )
        letters = Counter(
            (row["consumer"], row["message_id"])
            for row in store.dead_letters
            if row["message_id"] is not None
        )
        findings.duplicated.extend(
            f"{consumer} {message_id}: {n} dead letters"
            for (consumer, message_id), n in letters.items()
            if n > 1
        )
    stored = {(e["topic"], e["event_id"]) for s in stores for e in s.events}
    seen: set[tuple[str, str]] = set()
    for record in records:
        if record.topic.endswith(DLQ_SUFFIX) or record.topic in COMMAND_TOPICS:
            continue
        if record.id is None or (record.topic, record.id) not in stored:
            findings.duplicated.append(
                f"{record.type} {record.id} ({record.topic}/{record.partition}/{record.offset}):"
                " on the topic, in no store"
            )
            continue
        if (record.topic, record.id) in seen:
            findings.counts["republished"] += 1
        seen.add((record.topic, record.id))


def _concerns(data: Any) -> str:
    """What an effect is about: its case, when it names one (one message may take places for
    several households on one location's stream), else its whole content."""
    decoded = orjson.loads(data) if isinstance(data, str | bytes) else data
    if isinstance(decoded, dict) and isinstance(decoded.get("case_id"), str):
        return f"case {decoded['case_id']}"
    return orjson.dumps(decoded, option=orjson.OPT_SORT_KEYS).decode()


def _reordered(findings: Findings, stores: list[Store], records: list[Record]) -> None:
    versions = {e["event_id"]: (e["stream_id"], e["version"]) for s in stores for e in s.events}
    partitions_of: dict[tuple[str, str | None], set[int]] = defaultdict(set)
    newest: dict[tuple[str, str | None, str], int] = {}
    first: set[tuple[str, str]] = set()
    for record in records:  # in offset order per partition
        if record.topic.endswith(DLQ_SUFFIX) or record.topic in COMMAND_TOPICS:
            continue
        partitions_of[(record.topic, record.key)].add(record.partition)
        if record.id is None or record.id not in versions or (record.topic, record.id) in first:
            continue
        first.add((record.topic, record.id))
        stream, version = versions[record.id]
        key = (record.topic, record.key, stream)
        before = newest.get(key, 0)
        if version < before:
            findings.reordered.append(
                f"{record.topic} key {record.key}: {stream} v{version} first published after "
                f"v{before} (offset {record.partition}/{record.offset})"
            )
        newest[key] = max(before, version)
    findings.reordered.extend(
        f"{topic} key {key} on partitions {sorted(found)}"
        for (topic, key), found in partitions_of.items()
        if len(found) > 1
    )
    for store in stores:
        _applied_in_order(findings, store.inbox)


def _applied_in_order(findings: Findings, inbox: Iterable[Row]) -> None:
    """Per consumer and partition, a record of a later offset was never applied in an
    earlier transaction than one of an earlier offset."""
    rows: dict[tuple[str, str, int], list[tuple[int, datetime, str]]] = defaultdict(list)
    for row in inbox:
        rows[(row["consumer"], row["topic"], row["partition"])].append(
            (row["offset"], row["processed_at"], row["message_id"])
        )
    for (consumer, topic, partition), found in rows.items():
        found.sort()
        latest: datetime | None = None
        for offset, processed_at, message_id in found:
            if latest is not None and processed_at < latest:
                findings.reordered.append(
                    f"{consumer} applied {topic}/{partition}/{offset} ({message_id}) before an "
                    "earlier offset of its partition"
                )
            latest = processed_at if latest is None else max(latest, processed_at)
