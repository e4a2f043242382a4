"""Benchmark 5: deadlines at scale. Open pairings' timers with due dates spread over weeks of
simulated time; a TimerRunner fires them while the clock moves an hour per step, as fast as
the runner keeps up. Reports each alert's lateness (real time from the step that passed its
due time to its handler having written the alert) and the runner process's maximum RSS.
"""

from __future__ import annotations

import asyncio
import random
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

import orjson

from bench import workload
from bench.infra import Profiles, scratch_database
from bench.report import Row, Table, Target
from keten.kernel.db import Pool, create_pool

STEP: Final = timedelta(hours=1)
MAX_P99_SECONDS: Final = 1.0
MAX_RSS_MIB: Final = 300.0
SCHEDULE_CHUNK: Final = 5000
_SCHEDULE: Final = """
INSERT INTO keten.timers (timer_id, kind, due_at, payload, scheduled_at)
VALUES ($1, $2, $3, $4, now())
"""


@dataclass(frozen=True)
class DeadlineSizes:
    runs: int
    timers: int
    weeks: int


async def schedule(pool: Pool, run_no: int, sizes: DeadlineSizes) -> None:
    """The open pairings' timers, due uniformly over `weeks` after the clock's start (bulk
    inserted: setting them is not what is measured)."""
    spread = timedelta(weeks=sizes.weeks).total_seconds()
    rng = random.Random(run_no)
    async with pool.acquire() as conn:
        await conn.execute("TRUNCATE keten.timers")
        for first in range(0, sizes.timers, SCHEDULE_CHUNK):
            rows = []
            for i in range(first, min(first + SCHEDULE_CHUNK, sizes.timers)):
                case_id = f"r{run_no}-c{i:07d}"
                due = workload.T0 + timedelta(seconds=rng.uniform(1.0, spread))
                payload = {"case_id": case_id, "number": 1}
                rows.append(
                    (f"{workload.DEADLINE_KIND}:{case_id}:1", workload.DEADLINE_KIND, due, payload)
                )
            await conn.executemany(_SCHEDULE, rows)
        await conn.execute("VACUUM ANALYZE keten.timers")


async def run_runner(url: str, sizes: DeadlineSizes, profile: Path | None = None) -> dict[str, Any]:
    """The runner in a process of its own, so that its RSS is the runner's alone."""
    steps = int(timedelta(weeks=sizes.weeks) / STEP)
    args = [url, workload.T0.isoformat(), str(steps), str(STEP.total_seconds())]
    if profile is not None:
        args.append(str(profile))
    command = [sys.executable, "-m", "bench.deadline_runner", *args]
    child = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"the timer runner failed ({child.returncode}): {err.decode()[-2000:]}")
    result: dict[str, Any] = orjson.loads(out.decode().strip().splitlines()[-1])
    return result


async def check(pool: Pool, sizes: DeadlineSizes, run_no: int) -> None:
    async with pool.acquire() as conn:
        pending = await conn.fetchval("SELECT count(*) FROM keten.timers WHERE fired_at IS NULL")
        alerts = await conn.fetchval(
            "SELECT count(*) FROM keten.events WHERE stream_id LIKE $1", f"case-r{run_no}-%"
        )
    if pending or alerts != sizes.timers:
        raise RuntimeError(f"{pending} timers still pending, {alerts} alerts of {sizes.timers}")


async def run(sizes: DeadlineSizes, profiles: Profiles) -> Table:
    table = Table("deadlines", "5. Deadlines at scale")
    results: list[dict[str, Any]] = []
    async with scratch_database("deadlines") as url:
        pool = await create_pool(url, min_size=1, max_size=2)
        try:
            for run_no in range(sizes.runs):
                await schedule(pool, run_no, sizes)
                results.append(await run_runner(url, sizes))
                await check(pool, sizes, run_no)
            path = profiles.path("deadlines-runner")
            if path is not None:
                await schedule(pool, sizes.runs, sizes)
                await run_runner(url, sizes, path)
        finally:
            await pool.close()

    def samples(key: str, scale: float = 1.0) -> list[float]:
        return [result[key] * scale for result in results]

    table.rows += [
        Row("alert lateness p50", "ms", samples("p50_s", 1000)),
        Row(
            "alert lateness p99",
            "ms",
            samples("p99_s", 1000),
            targets=[Target("median", below=MAX_P99_SECONDS * 1000)],
        ),
        Row("alert lateness max", "ms", samples("max_s", 1000)),
        Row(
            "runner process max RSS",
            "MiB",
            samples("max_rss_mib"),
            targets=[Target("median", below=MAX_RSS_MIB)],
        ),
        Row("simulated weeks run through", "s", samples("seconds")),
    ]
    table.notes += [
        (
            f"{sizes.timers:,} open pairings' timers due uniformly over {sizes.weeks} weeks; the "
            f"simulated clock moves {STEP} per step, the next step once the last one's alerts ran"
        ),
        (
            "runner: TimerRunner defaults (batch 200) in a process of its own; handler = "
            "read_stream + append of one alert event, in the timer's transaction"
        ),
        (
            "lateness = real time from the step that passed a timer's due time to its handler "
            "having written the alert (before the batch commits)"
        ),
    ]
    return table
