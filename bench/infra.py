"""Scratch databases on the real PostgreSQL, the data set they start from, and profiling."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from tests.support.chain import SERVICES, Chain

from bench import workload
from keten.kernel import schema
from keten.kernel.db import create_pool

RESULTS = Path(__file__).resolve().parent / "results"


def admin_url() -> str:
    url = os.environ.get("KETEN_ADMIN_DATABASE_URL")
    if not url:
        raise SystemExit("KETEN_ADMIN_DATABASE_URL is unset: `source infra/env.sh` first")
    return url


def database_url(name: str) -> str:
    return f"{admin_url().rsplit('/', 1)[0]}/{name}"


async def _admin(sql: str) -> None:
    conn: Any = await asyncpg.connect(admin_url())
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def scratch_database(label: str, template: str | None = None) -> AsyncIterator[str]:
    """A database of its own (a copy of `template` if given), dropped afterwards; yields its
    URL. Its kernel tables (events, checkpoints, inbox, timers) are there."""
    name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
    copy = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""
    for attempt in range(1, 31):
        try:
            await _admin(f"CREATE DATABASE {name}{copy}")
            break
        except asyncpg.ObjectInUseError:  # autovacuum visiting the template: wait it out
            if attempt == 30:
                raise
            await asyncio.sleep(1.0)
    try:
        url = database_url(name)
        if template is None:
            conn: Any = await asyncpg.connect(url)
            try:
                await schema.setup(conn)
            finally:
                await conn.close()
        yield url
    finally:
        await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@dataclass(frozen=True)
class DataSet:
    """A database holding `events` events written by the kernel, to copy scratch ones from."""

    name: str
    events: int
    seconds: float


class DataSets:
    """Builds each size of data set once per run of the benchmarks; drops them at the end."""

    def __init__(self) -> None:
        self._built: dict[int, DataSet] = {}
        self._stack = contextlib.AsyncExitStack()

    async def get(self, events: int) -> DataSet:
        if events not in self._built:
            self._built[events] = await self._build(events)
        return self._built[events]

    async def _build(self, events: int) -> DataSet:
        url = await self._stack.enter_async_context(scratch_database("data"))
        started = time.perf_counter()
        pool = await create_pool(url, min_size=2, max_size=2)
        try:
            await workload.generate(pool, events)
            async with pool.acquire() as conn:
                await conn.execute("VACUUM ANALYZE keten.events")
        finally:
            await pool.close()
        return DataSet(url.rsplit("/", 1)[1], events, time.perf_counter() - started)

    async def close(self) -> None:
        await self._stack.aclose()


class Profiles:
    """With `--profile`, pyinstrument records the hot paths named and writes text reports to
    bench/results/; without it, `profile` does nothing."""

    def __init__(self, stamp: str | None) -> None:
        self._stamp = stamp
        self.written: list[Path] = []

    @property
    def enabled(self) -> bool:
        return self._stamp is not None

    def path(self, name: str) -> Path | None:
        """Where a profile of `name` goes (for a profiler run elsewhere), if profiling."""
        if self._stamp is None:
            return None
        path = RESULTS / f"{self._stamp}-profile-{name}.txt"
        self.written.append(path)
        return path

    @contextlib.contextmanager
    def services(self, chain: Chain, name: str) -> Iterator[None]:
        """Samples each service process with py-spy (CPU time, not idle waits) while the
        block runs, then writes the functions where each spent it, inclusive and self (and
        keeps py-spy's collapsed stacks beside, `.raw`, for a flame graph)."""
        if self._stamp is None:
            yield
            return
        raw = {service: RESULTS / f"{self._stamp}-{name}-{service}.raw" for service in SERVICES}
        spies = [
            subprocess.Popen(  # noqa: S603 - our own venv's py-spy on our own processes
                [
                    str(Path(sys.executable).parent / "py-spy"),
                    *("record", "--nonblocking", "--rate", "200", "--format", "raw"),
                    *("--pid", str(chain.processes[service].pid), "--output", str(path)),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for service, path in raw.items()
        ]
        try:
            yield
        finally:
            for spy in spies:
                spy.send_signal(signal.SIGINT)
            for spy in spies:
                spy.wait(timeout=60)
            for service, path in raw.items():
                report = self.path(f"{name}-{service}")
                assert report is not None
                report.write_text(summarise_stacks(path.read_text(), f"{name}: {service}"))

    @contextlib.contextmanager
    def profile(self, name: str) -> Iterator[None]:
        if self._stamp is None:
            yield
            return
        from pyinstrument import Profiler  # noqa: PLC0415 - only when profiling

        path = self.path(name)
        assert path is not None
        profiler = Profiler(interval=0.0005, async_mode="enabled")
        profiler.start()
        try:
            yield
        finally:
            profiler.stop()
            path.write_text(profiler.output_text(unicode=True, show_all=False))


def summarise_stacks(collapsed: str, title: str, top: int = 60) -> str:
    """py-spy's collapsed stacks (`frame;frame;… count`) as the functions that took the most
    samples: inclusive (anywhere on the stack) and self (the innermost frame)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        total += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
    lines = [f"{title}: {total:,} samples of CPU time (py-spy, 200 Hz)", ""]
    for label, counts in (("inclusive", inclusive), ("self", own)):
        lines.append(f"-- {label}")
        lines += [
            f"{100 * n / max(total, 1):5.1f}%  {frame}" for frame, n in counts.most_common(top)
        ]
        lines.append("")
    return "\n".join(lines)
