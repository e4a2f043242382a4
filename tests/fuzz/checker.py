"""Where every published record ended: in the consuming service's inbox (applied, or known by
its id and dead-lettered), in its `keten.dead_letters`, or skipped as a redelivered duplicate;
whether each dead letter reached `<topic>.dlq`; and whether any personal marker stands in plain
text in a dead-letter topic, another output topic, the dead-letter table or a log line."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import asyncpg

from keten.contracts.errors import InvalidMessage
from keten.contracts.messages import decode_record
from keten.contracts.topics import COMMAND_TOPICS, DLQ_SUFFIX, all_topics, dead_letter_topic
from keten.kernel.consumer.processor import content_hash
from keten.kernel.consumer.subscription import readable
from tests.fuzz.records import FuzzRecord, Headers, find_markers
from tests.support.kafka import read_to_end

STALE_SECONDS: Final = 60.0  # no record accounted for this long: the consumer is stuck
Position = tuple[int, int]  # partition, offset


@dataclass(frozen=True)
class Published:
    record: FuzzRecord
    partition: int
    offset: int

    @property
    def position(self) -> Position:
        return self.partition, self.offset


@dataclass(frozen=True)
class Letter:
    stage: str
    error_type: str
    reason: str
    value: bytes
    published: bool


@dataclass
class Tables:
    """A command topic's rows in its consumer's inbox and dead-letter table."""

    inbox: dict[Position, str]
    letters: dict[Position, Letter]
    contents: dict[str, bytes | None]  # message id -> content hash, of every inbox row


def consumer_of(topic: str) -> str:
    return f"{topic.split('.', 1)[0]}.commands"


async def read_tables(
    database_url: str, topic: str, published: Sequence[Published], *, values: bool = False
) -> Tables:
    """The rows of the records from the first published offset on; the letters' values (to
    search them) only when asked."""
    first = min((p.offset for p in published), default=0)
    value = "value" if values else "''::bytea AS value"
    conn = await asyncpg.connect(database_url)
    try:
        inbox = await conn.fetch(
            'SELECT partition, "offset", outcome, message_id, content_hash FROM keten.inbox'
            ' WHERE consumer = $1 AND topic = $2 AND "offset" >= $3',
            consumer_of(topic),
            topic,
            first,
        )
        letters = await conn.fetch(
            f'SELECT partition, "offset", stage, error_type, reason, {value},'  # noqa: S608
            " published_at IS NOT NULL AS published FROM keten.dead_letters"
            ' WHERE consumer = $1 AND topic = $2 AND "offset" >= $3',
            consumer_of(topic),
            topic,
            first,
        )
    finally:
        await conn.close()
    return Tables(
        {(r["partition"], r["offset"]): r["outcome"] for r in inbox},
        {
            (r["partition"], r["offset"]): Letter(
                r["stage"], r["error_type"], r["reason"], bytes(r["value"]), r["published"]
            )
            for r in letters
        },
        {r["message_id"]: r["content_hash"] for r in inbox},
    )


def _as_consumed(headers: Headers) -> Headers:
    """The headers as the consumer hands them on (`keten.kernel.consumer.subscription`)."""
    return tuple((name, readable(value)) for name, value in headers)


def redelivered(record: FuzzRecord, tables: Tables) -> bool:
    """Whether the inbox holds `record`'s message id with the same content: a duplicate,
    which the consumer skips without a row of its own."""
    try:
        envelope = decode_record(record.wire.value or b"", _as_consumed(record.wire.headers))
    except InvalidMessage:
        return False
    if envelope.id not in tables.contents:
        return False
    known = tables.contents[envelope.id]
    return known is None or known == content_hash(envelope)


def outcomes(published: Sequence[Published], tables: Tables) -> list[str]:
    """Per record: its dead letter's stage, `applied`, `duplicate` (the inbox holds its id with
    the same content), `parked` (it waits, kept in the store), `lost letter` (the inbox says
    dead-lettered, no letter), or `unaccounted` (neither table knows it)."""
    found = []
    for item in published:
        letter = tables.letters.get(item.position)
        outcome = tables.inbox.get(item.position)
        if letter is not None:
            found.append(letter.stage)
        elif outcome in ("applied", "parked"):  # parked: kept until what it needs is recorded
            found.append(outcome)
        elif outcome is not None:
            found.append("lost letter")
        elif redelivered(item.record, tables):
            found.append("duplicate")
        else:
            found.append("unaccounted")
    return found


async def settle(
    databases: Mapping[str, str], published: Mapping[str, Sequence[Published]]
) -> dict[str, Tables]:
    """Reads the tables until every record is accounted for and every letter published, or
    nothing has moved for `STALE_SECONDS`."""
    moved, last = time.monotonic(), (-1, -1)
    while True:
        tables = {
            topic: await read_tables(databases[topic.split(".")[0]], topic, items)
            for topic, items in published.items()
        }
        open_records = sum(
            outcomes(items, tables[topic]).count("unaccounted")
            for topic, items in published.items()
        )
        unpublished = sum(
            not letter.published for t in tables.values() for letter in t.letters.values()
        )
        stale = time.monotonic() - moved > STALE_SECONDS
        if (open_records == 0 and unpublished == 0) or stale:
            return {
                topic: await read_tables(databases[topic.split(".")[0]], topic, items, values=True)
                for topic, items in published.items()
            }
        if (open_records, unpublished) != last:
            moved, last = time.monotonic(), (open_records, unpublished)
        await asyncio.sleep(1.0)


async def dead_letter_positions(bootstrap: str, topic: str) -> set[Position]:
    """The original positions of what `<topic>.dlq` holds."""
    positions = set()
    for record in await read_to_end(bootstrap, dead_letter_topic(topic)):
        headers = {name: value.decode(errors="replace") for name, value in record.headers}
        if headers.get("original.topic") == topic:
            positions.add((int(headers["original.partition"]), int(headers["original.offset"])))
    return positions


@dataclass
class Leaks:
    """Markers found in plain text, by where."""

    dead_letter_topics: Counter[str]
    other_topics: Counter[str]
    dead_letter_table: int
    logs: Counter[str]
    examples: list[str]

    @property
    def total(self) -> int:
        return (
            sum(self.dead_letter_topics.values())
            + sum(self.other_topics.values())
            + self.dead_letter_table
            + sum(self.logs.values())
        )


def _record_parts(record: Any) -> Iterable[tuple[str, bytes]]:
    yield "value", record.value or b""
    yield "key", record.key or b""
    for name, value in record.headers:
        yield "header name", name.encode()
        yield f"header {name}", value


async def find_leaks(
    bootstrap: str,
    tables: Iterable[Tables],
    logs: Iterable[Path],
    hidden: set[str],
    exposed: set[str],
) -> Leaks:
    """Hidden markers must stand nowhere but in the command topics; no marker may stand in a
    log line. A marker the mutation itself moved out of a `personal` block may stand in a dead
    letter as it was sent."""
    guarded = frozenset(hidden - exposed)
    leaks = Leaks(Counter(), Counter(), 0, Counter(), [])
    for topic in all_topics():
        if topic not in COMMAND_TOPICS:
            await _scan_topic(bootstrap, topic, guarded, leaks)
    for table in tables:
        for letter in table.letters.values():
            found = find_markers(letter.value + letter.reason.encode(), guarded)
            leaks.dead_letter_table += len(found)
    for log in logs:
        _scan_log(log, frozenset(hidden | exposed), leaks)
    return leaks


async def _scan_topic(bootstrap: str, topic: str, markers: frozenset[str], leaks: Leaks) -> None:
    where = leaks.dead_letter_topics if topic.endswith(DLQ_SUFFIX) else leaks.other_topics
    for record in await read_to_end(bootstrap, topic):
        for part, blob in _record_parts(record):
            found = find_markers(blob, markers)
            if found:
                where[topic] += len(found)
                shown = blob[:160] if part.startswith("header") else sorted(found)
                leaks.examples.append(
                    f"{topic}@{record.partition}:{record.offset} {part}: {shown!r}"
                )


def _scan_log(log: Path, markers: frozenset[str], leaks: Leaks) -> None:
    for number, line in enumerate(log.read_bytes().splitlines(), 1):
        found = find_markers(line, markers)
        if found:
            leaks.logs[log.name] += len(found)
            leaks.examples.append(f"{log.name}:{number}: {line[:200]!r}")
