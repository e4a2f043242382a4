"""The process whose memory and lateness benchmark 5 measures: a TimerRunner on a simulated
clock, firing the timers already scheduled in the database while the clock moves one step at
a time, each step as soon as the previous step's timers have fired.

Run by `bench.deadlines` as `python -m bench.deadline_runner URL START STEPS STEP_SECONDS
[PROFILE_PATH]`; prints one JSON line (its last) with the lateness percentiles and its maximum
RSS, and with PROFILE_PATH writes a pyinstrument report there.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import orjson

from bench import workload
from bench.report import percentile
from keten.kernel import eventstore
from keten.kernel.clock import SimulatedClock
from keten.kernel.db import Connection, create_pool
from keten.kernel.eventstore import NewEvent
from keten.kernel.timers import DueTimer, TimerRunner

STEP_TIMEOUT: Final = 120.0  # real seconds a step may take before the run is declared stuck

# Timers per step: step k moves the clock to start + k steps, so a timer due in
# (start + (k-1) steps, start + k steps] is due from step k on.
_PER_STEP: Final = """
SELECT ceil(extract(epoch FROM due_at - $1) / $2)::int AS step, count(*) AS timers
  FROM keten.timers WHERE fired_at IS NULL GROUP BY 1
"""


class Deadlines:
    """The handler (as housing's: load the case's stream, append the alert, in the timer's
    transaction) and the real moment each step began, to measure each alert's lateness."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self.start = start
        self.step = step
        self.step_began: list[float] = []
        self.lateness: list[float] = []
        self.target = 0
        self.reached = asyncio.Event()

    async def __call__(self, conn: Connection, timer: DueTimer) -> None:
        case_id = str(timer.payload["case_id"])
        stream = f"case-{case_id}"
        case = await eventstore.read_stream(conn, stream)
        alert = NewEvent(
            message=workload.BenchDeadlineMissed(
                case_id=case_id, number=int(timer.payload["number"])
            ),
            subject=case_id,
            occurred_at=timer.due_at,
            source=workload.SOURCE,
        )
        await eventstore.append(conn, stream, len(case), [alert])
        due_step = math.ceil((timer.due_at - self.start) / self.step)
        self.lateness.append(time.perf_counter() - self.step_began[due_step])
        if len(self.lateness) >= self.target:
            self.reached.set()


async def main(url: str, start: datetime, steps: int, step: timedelta) -> dict[str, Any]:
    pool = await create_pool(url, min_size=2, max_size=4)
    try:
        async with pool.acquire() as conn:
            rows = await conn.fetch(_PER_STEP, start, step.total_seconds())
        per_step = {row["step"]: row["timers"] for row in rows}
        clock = SimulatedClock(start)
        deadlines = Deadlines(start, step)
        runner = TimerRunner(pool, clock, {workload.DEADLINE_KIND: deadlines})
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        began = time.perf_counter()
        deadlines.step_began.append(began)
        for k in range(1, steps + 1):
            deadlines.target += per_step.get(k, 0)
            deadlines.step_began.append(time.perf_counter())
            clock.set(start + k * step)
            if len(deadlines.lateness) < deadlines.target:
                deadlines.reached.clear()
                async with asyncio.timeout(STEP_TIMEOUT):
                    await deadlines.reached.wait()
        seconds = time.perf_counter() - began
        stop.set()
        await task
    finally:
        await pool.close()
    ordered = sorted(deadlines.lateness)
    if len(ordered) != sum(per_step.values()):
        raise RuntimeError(f"{len(ordered)} alerts for {sum(per_step.values())} timers")
    return {
        "fired": len(ordered),
        "seconds": seconds,
        "p50_s": percentile(ordered, 0.50),
        "p99_s": percentile(ordered, 0.99),
        "max_s": ordered[-1],
        "max_rss_mib": peak_rss_mib(),
    }


def peak_rss_mib() -> float:
    """This process's peak resident memory since it started this program. Not `getrusage`'s
    `ru_maxrss`: Linux carries that over `exec`, so a runner spawned by a big parent would
    report the parent's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status")


def profiled(path: str, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`run()` under pyinstrument (the whole process: the loop's idle time shows as select)."""
    from pyinstrument import Profiler  # noqa: PLC0415 - only when profiling

    profiler = Profiler(interval=0.001)
    with profiler:
        result = run()
    Path(path).write_text(profiler.output_text(unicode=True))
    return result


if __name__ == "__main__":
    url, start, steps, step_seconds, *profile = sys.argv[1:]

    def run() -> dict[str, Any]:
        return asyncio.run(
            main(
                url,
                datetime.fromisoformat(start),
                int(steps),
                timedelta(seconds=float(step_seconds)),
            )
        )

    result = profiled(profile[0], run) if profile else run()
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
