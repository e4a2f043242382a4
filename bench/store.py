"""Benchmark 1: the event store's appends and sequential read, against the `eventsourcing`
library's PostgreSQL recorder and against bare asyncpg, on the same PostgreSQL.

Every system writes the same ~300-byte JSON payload per event (serialised from the same
pydantic event inside the timed loop, as an application would) to streams of its own.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import asyncpg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from bench import workload
from bench.infra import DataSets, Profiles, scratch_database
from bench.report import Row, Table, Target, ratios
from keten.kernel import eventstore
from keten.kernel.db import Pool, create_pool
from keten.kernel.eventstore import START, GlobalPosition

WRITERS: Final = (1, 8)
PER_TX: Final = (1, 10)
STREAMS_PER_WRITER: Final = 100  # each writer cycles through streams of its own
READ_BATCH: Final = 1000
COPY_CHUNK: Final = 1000
ES_TOPIC: Final = "bench.workload:BenchHappened"
SYSTEMS: Final = ("eventsourcing", "bare", "ours")  # in the order each run measures them
LABEL: Final = {"eventsourcing": "eventsourcing", "bare": "bare INSERT", "ours": "ours"}

# The bare floor: keten.events' columns (with their defaults), its primary key, no trigger,
# no other index, no check; and no hash, which the trigger would compute.
BARE_TABLE_SQL: Final = """
CREATE TABLE {name} (
    LIKE keten.events INCLUDING DEFAULTS INCLUDING IDENTITY,
    PRIMARY KEY (stream_id, version)
);
ALTER TABLE {name} ALTER COLUMN hash DROP NOT NULL;
"""
BARE_COLUMNS: Final = (
    "stream_id",
    "version",
    "event_id",
    "event_type",
    "schema_version",
    "subject",
    "topic",
    "data",
    "occurred_at",
    "correlation_id",
    "causation_id",
    "source",
)
BARE_INSERT: Final = (
    f"INSERT INTO bare_events ({', '.join(BARE_COLUMNS)}) "  # noqa: S608 - constant names
    f"VALUES ({', '.join(f'${i}' for i in range(1, len(BARE_COLUMNS) + 1))})"
)
BARE_READ: Final = (
    "SELECT transaction_id, position, stream_id, version, event_id, event_type, schema_version,"
    " subject, topic, data, occurred_at, recorded_at, correlation_id, causation_id, source"
    " FROM keten.events WHERE (transaction_id, position) <= ($1, $2)"
    " ORDER BY transaction_id, position"
)
# The same rows for the library's table: the stream's id as a UUID, the payload as bytes.
ES_FILL: Final = """
INSERT INTO public.stored_events (originator_id, originator_version, topic, state)
SELECT md5(stream_id)::uuid, version, $1, convert_to(data::text, 'UTF8')
  FROM keten.events ORDER BY transaction_id, position
"""

Writer = Callable[[int, str, float], Awaitable[int]]


@dataclass
class Systems:
    """The three stores under test, open on one scratch database."""

    pool: Pool  # the kernel's pool (its JSON codecs)
    bare: asyncpg.Pool[asyncpg.Record]  # plain asyncpg
    recorder: PostgresApplicationRecorder
    datastore: PostgresDatastore
    threads: ThreadPoolExecutor

    async def close(self) -> None:
        await self.pool.close()
        await self.bare.close()
        self.datastore.close()
        self.threads.shutdown()


async def open_systems(url: str) -> Systems:
    writers = max(WRITERS)
    pool = await create_pool(url, min_size=writers, max_size=writers)
    bare = await asyncpg.create_pool(url, min_size=writers, max_size=writers)
    assert bare is not None
    async with bare.acquire() as conn:
        await conn.execute(BARE_TABLE_SQL.format(name="bare_events"))
        await conn.execute(BARE_TABLE_SQL.format(name="bare_copy"))
    parts = urlsplit(url)
    datastore = PostgresDatastore(
        dbname=parts.path.lstrip("/"),
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "",
        password=parts.password or "",
        pool_size=writers,
    )
    recorder = PostgresApplicationRecorder(datastore)
    threads = ThreadPoolExecutor(max_workers=writers, thread_name_prefix="eventsourcing")
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(threads, recorder.create_table)
    return Systems(pool, bare, recorder, datastore, threads)


# ---- appends ------------------------------------------------------------------------------


async def ours_writer(pool: Pool, per_tx: int, tag: str, deadline: float) -> int:
    """`eventstore.append` of `per_tx` events in a transaction of their own, again and again."""
    versions = [0] * STREAMS_PER_WRITER
    written = 0
    async with pool.acquire() as conn:
        while time.perf_counter() < deadline:
            k = (written // per_tx) % STREAMS_PER_WRITER
            subject = f"{tag}-{k}"
            events = [workload.new_event(written + i, subject) for i in range(per_tx)]
            async with conn.transaction():
                versions[k] = await eventstore.append(
                    conn, workload.stream_of(subject), versions[k], events
                )
            written += per_tx
    return written


def es_writer(recorder: PostgresApplicationRecorder, per_tx: int, deadline: float) -> int:
    """The library's `insert_events` of `per_tx` stored events (one transaction per call)."""
    originators = [uuid.uuid4() for _ in range(STREAMS_PER_WRITER)]
    versions = [0] * STREAMS_PER_WRITER
    written = 0
    while time.perf_counter() < deadline:
        k = (written // per_tx) % STREAMS_PER_WRITER
        batch = []
        for i in range(per_tx):
            versions[k] += 1
            state = workload.payload_json(written + i)
            batch.append(StoredEvent(originators[k], versions[k], ES_TOPIC, state))
        recorder.insert_events(batch)
        written += per_tx
    return written


def bare_row(counter: int, subject: str, version: int) -> tuple[Any, ...]:
    event = workload.new_event(counter, subject)
    return (
        workload.stream_of(subject),
        version,
        event.event_id,
        event.message.type_name(),
        event.message.schema_version,
        event.subject,
        event.topic,
        event.message.model_dump_json(),
        event.occurred_at,
        event.correlation_id,
        event.causation_id,
        event.source,
    )


async def bare_writer(
    pool: asyncpg.Pool[asyncpg.Record], per_tx: int, tag: str, deadline: float
) -> int:
    """One INSERT statement per row: autocommit for 1 event per transaction, else one
    `executemany` (atomic, pipelined) of `per_tx` single-row INSERTs."""
    versions = [0] * STREAMS_PER_WRITER
    written = 0
    async with pool.acquire() as conn:
        while time.perf_counter() < deadline:
            k = (written // per_tx) % STREAMS_PER_WRITER
            rows = [bare_row(written + i, f"{tag}-{k}", versions[k] + 1 + i) for i in range(per_tx)]
            versions[k] += per_tx
            if per_tx == 1:
                await conn.execute(BARE_INSERT, *rows[0])
            else:
                await conn.executemany(BARE_INSERT, rows)
            written += per_tx
    return written


async def bare_copy(pool: asyncpg.Pool[asyncpg.Record], tag: str, deadline: float) -> int:
    """COPY of the same rows, COPY_CHUNK rows per COPY (each its own transaction)."""
    written = 0
    async with pool.acquire() as conn:
        while time.perf_counter() < deadline:
            subject = f"{tag}-{written // COPY_CHUNK}"
            rows = [bare_row(written + i, subject, i + 1) for i in range(COPY_CHUNK)]
            await conn.copy_records_to_table("bare_copy", records=rows, columns=BARE_COLUMNS)
            written += COPY_CHUNK
    return written


async def events_per_second(
    seconds: float, writers: list[Callable[[float], Awaitable[int]]]
) -> float:
    started = time.perf_counter()
    counts = await asyncio.gather(*(writer(started + seconds) for writer in writers))
    return sum(counts) / (time.perf_counter() - started)


@dataclass(frozen=True)
class AppendCase:
    system: str  # "ours", "eventsourcing" or "bare"
    writers: int
    per_tx: int

    @property
    def name(self) -> str:
        plural = "s" if self.writers > 1 else ""
        return f"append {self.writers} writer{plural} x {self.per_tx} ev/tx"


async def append_rate(systems: Systems, case: AppendCase, seconds: float, tag: str) -> float:
    """Events per second that `case.writers` concurrent writers append in `seconds`."""
    loop = asyncio.get_running_loop()
    per_tx = case.per_tx

    def writer(w: int) -> Callable[[float], Awaitable[int]]:
        name = f"{tag}-w{w}"
        if case.system == "ours":
            return lambda deadline: ours_writer(systems.pool, per_tx, name, deadline)
        if case.system == "bare":
            return lambda deadline: bare_writer(systems.bare, per_tx, name, deadline)
        return lambda deadline: loop.run_in_executor(
            systems.threads, es_writer, systems.recorder, per_tx, deadline
        )

    return await events_per_second(seconds, [writer(w) for w in range(case.writers)])


# ---- sequential reads ---------------------------------------------------------------------


async def ours_read(
    pool: Pool, up_to: GlobalPosition | None = None, batch_size: int = READ_BATCH
) -> int:
    """`eventstore.read_all` in batches, from the start of the global order to `up_to`."""
    read = 0
    after = START
    async with pool.acquire() as conn:
        while batch := await eventstore.read_all(conn, after, limit=batch_size, up_to=up_to):
            read += len(batch)
            after = batch[-1].position
    return read


def es_read(recorder: PostgresApplicationRecorder, stop: int) -> int:
    """The library's notification log, `select_notifications` in batches, up to `stop`."""
    read = 0
    last: int | None = None
    while batch := recorder.select_notifications(
        last, READ_BATCH, stop=stop, inclusive_of_start=False
    ):
        read += len(batch)
        last = batch[-1].id
    return read


async def bare_read(pool: asyncpg.Pool[asyncpg.Record], up_to: GlobalPosition) -> int:
    """A plain server-side cursor over keten.events in the global order (no JSON decoding)."""
    read = 0
    async with pool.acquire() as conn, conn.transaction():
        async for _ in conn.cursor(BARE_READ, *up_to, prefetch=READ_BATCH):
            read += 1
    return read


@dataclass(frozen=True)
class DataEnd:
    """Where the data set ends in each store: reads stop there, whatever was appended since."""

    events: int
    ours: GlobalPosition
    eventsourcing: int


async def read_rate(systems: Systems, system: str, end: DataEnd) -> float:
    started = time.perf_counter()
    if system == "ours":
        read = await ours_read(systems.pool, end.ours)
    elif system == "bare":
        read = await bare_read(systems.bare, end.ours)
    else:
        loop = asyncio.get_running_loop()
        read = await loop.run_in_executor(
            systems.threads, es_read, systems.recorder, end.eventsourcing
        )
    seconds = time.perf_counter() - started
    expected = end.events
    if read != expected:
        raise RuntimeError(f"{system} read {read} events, expected {expected}")
    return read / seconds


# ---- the benchmark ------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreSizes:
    runs: int
    append_seconds: float
    read_events: int


APPEND_CASES: Final = tuple(
    AppendCase(system, writers, per_tx)
    for writers in WRITERS
    for per_tx in PER_TX
    for system in SYSTEMS
)


def _append_rows(samples: dict[AppendCase, list[float]]) -> list[Row]:
    rows: list[Row] = []
    for case in APPEND_CASES:
        ours = samples[case]
        if case.system != "ours":
            rows.append(Row(f"{case.name}: {LABEL[case.system]}", "ev/s", ours))
            continue
        es = samples[AppendCase("eventsourcing", case.writers, case.per_tx)]
        bare = samples[AppendCase("bare", case.writers, case.per_tx)]
        vs_es = [Target("ratio", at_least=2.0)] if case.writers == max(WRITERS) else []
        vs_bare = [Target("ratio", at_least=0.5)]
        rows += [
            Row(f"{case.name}: ours", "ev/s", ours, "eventsourcing", ratios(ours, es), vs_es),
            Row(f"{case.name}: ours", "ev/s", ours, "bare INSERT", ratios(ours, bare), vs_bare),
        ]
    return rows


def _read_rows(events: int, samples: dict[str, list[float]]) -> list[Row]:
    case = f"read {events:,} events"
    ours = samples["ours"]
    return [
        Row(f"{case}: bare cursor", "ev/s", samples["bare"]),
        Row(f"{case}: eventsourcing", "ev/s", samples["eventsourcing"]),
        Row(f"{case}: ours", "ev/s", ours, "eventsourcing", ratios(ours, samples["eventsourcing"])),
        Row(f"{case}: ours", "ev/s", ours, "bare cursor", ratios(ours, samples["bare"])),
    ]


async def run(sizes: StoreSizes, data: DataSets, profiles: Profiles) -> Table:
    table = Table("store", "1. Event store: append and sequential read")
    dataset = await data.get(sizes.read_events)
    async with scratch_database("store", template=dataset.name) as url:
        systems = await open_systems(url)
        try:
            async with systems.pool.acquire() as conn:
                await conn.execute(ES_FILL, ES_TOPIC)
                await conn.execute("VACUUM ANALYZE public.stored_events")
                head = await eventstore.head(conn)
            assert head is not None
            last_id = systems.recorder.max_notification_id()
            assert last_id is not None
            end = DataEnd(sizes.read_events, head, last_id)
            appends: dict[AppendCase, list[float]] = {case: [] for case in APPEND_CASES}
            copies: list[float] = []
            reads: dict[str, list[float]] = {system: [] for system in SYSTEMS}
            for run_no in range(sizes.runs):
                for case in APPEND_CASES:
                    tag = f"r{run_no}-{case.system}-{case.writers}x{case.per_tx}"
                    appends[case].append(
                        await append_rate(systems, case, sizes.append_seconds, tag)
                    )
                started = time.perf_counter()
                copied = await bare_copy(
                    systems.bare, f"r{run_no}-copy", started + sizes.append_seconds
                )
                copies.append(copied / (time.perf_counter() - started))
                for system in SYSTEMS:
                    reads[system].append(await read_rate(systems, system, end))
            if profiles.enabled:
                await _profile(systems, sizes, end, profiles)
        finally:
            await systems.close()
    table.rows += _append_rows(appends)
    table.rows.append(Row(f"COPY {COPY_CHUNK} rows per statement, 1 writer", "ev/s", copies))
    table.rows += _read_rows(sizes.read_events, reads)
    table.notes += [
        (
            f"payload {workload.PAYLOAD_BYTES} B of JSON per event for every system; "
            f"each append case runs {sizes.append_seconds:g} s; the runs interleave the systems"
        ),
        (
            f"writers cycle over {STREAMS_PER_WRITER} streams each; eventsourcing = "
            "PostgresApplicationRecorder (psycopg 3, one thread per writer)"
        ),
        (
            "bare INSERT/COPY: a table with keten.events' columns and primary key only (no "
            "trigger, no other index); 10 ev/tx = one atomic executemany of 10 INSERTs"
        ),
        (
            f"reads: batches of {READ_BATCH}; the {sizes.read_events:,} events were written by "
            f"the kernel's append in {dataset.seconds:.0f} s "
            f"({sizes.read_events / dataset.seconds:,.0f} ev/s, streams of 100, 2 connections)"
        ),
    ]
    return table


async def _profile(systems: Systems, sizes: StoreSizes, end: DataEnd, profiles: Profiles) -> None:
    """One more run of our hot paths, under the profiler (not part of the figures)."""
    for case in (AppendCase("ours", max(WRITERS), 1), AppendCase("ours", 1, max(PER_TX))):
        tag = f"p-{case.writers}x{case.per_tx}"
        with profiles.profile(f"store-append-{case.writers}x{case.per_tx}"):
            await append_rate(systems, case, sizes.append_seconds, tag)
    with profiles.profile("store-read"):
        await read_rate(systems, "ours", end)
