"""Benchmark 3: at a steady rate of `RegisterApplication` commands, the time from a command's
scheduled send to its effect being visible through the HTTP API: the case in registration's
case view, and the household's stay in placement's (one more hop: event, outbox, Kafka)."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import httpx

from bench.chain import Running, applying, running_chain
from bench.infra import Profiles
from bench.report import Row, Table, Target, percentile

MAX_P99_MS_AT_200: Final = 100.0
SAMPLES_PER_SECOND: Final = 20  # commands followed per second of load, whatever the rate
FIRST_POLL: Final = 0.002  # seconds; later polls wait 5 % of the time waited so far
LAST_POLL: Final = 0.05
GIVE_UP: Final = 600.0


@dataclass(frozen=True)
class LatencySizes:
    runs: int
    rates: tuple[int, ...]
    seconds: float


@dataclass(frozen=True)
class Effect:
    name: str
    service: str
    path: str  # with {case_id}


EFFECTS: Final = (
    Effect("case view", "registration", "/cases/{case_id}"),
    Effect("stay", "placement", "/cases/{case_id}/stay"),
)


async def visible(http: httpx.AsyncClient, url: str, scheduled: float) -> float:
    """Milliseconds from `scheduled` until `url` answers 200."""
    while True:
        if (await http.get(url)).status_code == httpx.codes.OK:
            return (time.perf_counter() - scheduled) * 1000
        waited = time.perf_counter() - scheduled
        if waited > GIVE_UP:
            raise TimeoutError(f"not visible after {GIVE_UP:.0f} s: {url}")
        await asyncio.sleep(min(max(FIRST_POLL, waited * 0.05), LAST_POLL))


async def steady_load(running: Running, rate: int, seconds: float) -> dict[str, list[float]]:
    """Sends `rate` commands a second for `seconds`, each at its scheduled moment; follows
    every n-th to its effects. Latency counts from the schedule, so a sender that falls behind
    adds to it rather than hiding it."""
    prefix = f"lat{rate}-{uuid.uuid4().hex[:6]}"
    count = round(rate * seconds)
    commands = [applying(prefix, i) for i in range(count)]
    every = max(1, rate // SAMPLES_PER_SECOND)
    followers: dict[str, list[asyncio.Task[float]]] = {effect.name: [] for effect in EFFECTS}
    start = time.perf_counter() + 0.1
    for i, command in enumerate(commands):
        scheduled = start + i / rate
        if (delay := scheduled - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        await running.send_encoded(command)
        if i % every == 0:
            for effect in EFFECTS:
                url = running.urls[effect.service] + effect.path.format(case_id=f"{prefix}-{i}")
                followers[effect.name].append(
                    asyncio.create_task(visible(running.http, url, scheduled))
                )
    await running.producer.flush()
    return {name: list(await asyncio.gather(*tasks)) for name, tasks in followers.items()}


STATISTICS: Final[tuple[tuple[str, Callable[[list[float]], float]], ...]] = (
    ("p50", statistics.median),
    ("p99", lambda samples: percentile(samples, 0.99)),
    ("max", max),
)


async def run(sizes: LatencySizes, profiles: Profiles) -> Table:
    table = Table("latency", "3. Latency: command sent to effect visible over HTTP")
    found: dict[tuple[int, str, str], list[float]] = {}
    followed: dict[int, int] = {}
    households = sum(round(rate * sizes.seconds) for rate in sizes.rates)
    for n in range(sizes.runs):
        async with running_chain(households) as running:
            for rate in sizes.rates:
                profiled = profiles if n == 0 else Profiles(None)
                with profiled.services(running.chain, f"latency-{rate}"):
                    latencies = await steady_load(running, rate, sizes.seconds)
                await running.settle()
                for effect, samples in latencies.items():
                    followed[rate] = len(samples)
                    for stat, compute in STATISTICS:
                        found.setdefault((rate, effect, stat), []).append(compute(samples))
    for (rate, effect, stat), samples in found.items():
        targets = (
            [Target("median", below=MAX_P99_MS_AT_200)]
            if (rate, effect, stat) == (200, "case view", "p99")
            else []
        )
        table.rows.append(Row(f"{rate}/s {effect} {stat}", "ms", samples, targets=targets))
    table.notes += [
        (
            f"{sizes.seconds:.0f} s of RegisterApplication at each rate, one fresh chain per run "
            "for all rates (wall clock, own Kafka, fresh databases); each figure is the median "
            "over runs of that run's statistic"
        ),
        (
            "followed per rate and run: "
            + ", ".join(f"{followed[rate]} commands at {rate}/s" for rate in sizes.rates)
            + f" (every n-th, {SAMPLES_PER_SECOND} a second); polled from 2 ms, then every 5 % "
            "of the time waited (at most 50 ms)"
        ),
        (
            "case view = GET registration /cases/{id} answers 200; stay = GET placement "
            "/cases/{id}/stay answers 200 (AsylumApplied through the outbox, Kafka, placement)"
        ),
    ]
    return table
