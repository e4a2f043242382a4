"""What the benchmarks write and read: one event type of a fixed size, and a projection of it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Final

from tests.support.counters import Counters

from keten.contracts.messages import Event
from keten.kernel import eventstore
from keten.kernel.db import Connection, Pool
from keten.kernel.eventstore import NewEvent

T0: Final = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
SOURCE: Final = "bench"
PAYLOAD_BYTES: Final = 300  # the JSON of each event's data, for every store compared
_NOTE_FILLER: Final = "De huisvesting van het huishouden is gepland en bevestigd. "


class BenchHappened(Event):
    """A fact with a counter and a note that pads its JSON to `PAYLOAD_BYTES`."""

    counter: int
    note: str


_EMPTY_JSON: Final = len('{"counter":,"note":""}')
_FILLER: Final = _NOTE_FILLER * (PAYLOAD_BYTES // len(_NOTE_FILLER) + 1)


def message(counter: int) -> BenchHappened:
    """Its JSON is PAYLOAD_BYTES long whatever the counter: the note is as long as needed."""
    return BenchHappened(
        counter=counter, note=_FILLER[: PAYLOAD_BYTES - _EMPTY_JSON - len(str(counter))]
    )


def new_event(counter: int, subject: str) -> NewEvent:
    return NewEvent(
        message=message(counter),
        subject=subject,
        occurred_at=T0 + timedelta(seconds=counter),
        source=SOURCE,
    )


def payload_json(counter: int) -> bytes:
    return message(counter).model_dump_json().encode()


def stream_of(subject: str) -> str:
    return f"subject-{subject}"


async def generate(pool: Pool, events: int, *, per_append: int = 100, writers: int = 2) -> None:
    """Writes `events` events with the kernel's own append: streams of `per_append` events
    each, one append per stream, 20 appends per transaction, `writers` connections at once."""
    streams = max(1, events // per_append)

    async def writer(first: int) -> None:
        async with pool.acquire() as conn:
            for start in range(first, streams, writers * 20):
                async with conn.transaction():
                    for index in range(start, min(start + 20, streams)):
                        await _append_stream(conn, index, streams, events, per_append)

    await asyncio.gather(*(writer(w * 20) for w in range(writers)))


async def _append_stream(
    conn: Connection, index: int, streams: int, total: int, per_append: int
) -> None:
    # The last stream takes what is left, so that exactly `total` events are written.
    size = per_append if index < streams - 1 else total - per_append * (streams - 1)
    subject = f"s{index:07d}"
    first = index * per_append
    batch = [new_event(first + i, subject) for i in range(size)]
    await eventstore.append(conn, stream_of(subject), 0, batch)


# Per subject: how many BenchHappened events, and their counters' sum (the kernel's tests'
# projection: one upsert per event).
COUNTERS: Final = Counters("bench_counters", "BenchHappened")


class BenchDeadlineMissed(Event):
    """What a deadline timer raises: the pairing's due date passed."""

    case_id: str
    number: int


DEADLINE_KIND: Final = "bench_deadline_missed"
