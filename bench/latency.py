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
from typing import Any, Final

import httpx

from bench.chain import Running, applying, following, running_chain
from bench.infra import Profiles
from bench.report import Row, Table, Target, percentile
from keten.contracts.topics import PLACEMENT_EVENTS, REGISTRATION_EVENTS

MAX_P99_MS_AT_200: Final = 100.0
SAMPLES_PER_SECOND: Final = 20  # commands followed per second of load, whatever the rate
POLL: Final = 0.002  # seconds between polls, once the effect's event is out
GIVE_UP: Final = 300.0


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
    topic: str  # where the service publishes the event that comes with the effect
    event_type: str


EFFECTS: Final = (
    Effect("case view", "registration", "/cases/{case_id}", REGISTRATION_EVENTS, "AsylumApplied"),
    Effect(
        "stay",
        "placement",
        "/cases/{case_id}/stay",
        PLACEMENT_EVENTS,
        "AdmittedToApplicationCentre",
    ),
)


class Announcements:
    """Tells when a followed case's event is out on the services' event topics.

    Polling every followed command over HTTP from its send on would load the very services
    being measured (hundreds of requests a second once effects lag by seconds); so a command's
    polling starts when its event is published. The view is updated in the same commit's
    wake-up as the publication, so the polls find it within milliseconds; if the view were
    ever ahead of the event, the latency would be over-stated, never under-stated.
    """

    def __init__(self) -> None:
        self._expected: dict[tuple[str, str], asyncio.Event] = {}

    def expect(self, effect: Effect, case_id: str) -> asyncio.Event:
        return self._expected.setdefault((effect.event_type, case_id), asyncio.Event())

    async def take(self, event: dict[str, Any]) -> None:
        data = event.get("data")
        case_id = data.get("case_id") if isinstance(data, dict) else None
        if (waiting := self._expected.get((str(event.get("type")), str(case_id)))) is not None:
            waiting.set()


async def visible(
    http: httpx.AsyncClient, url: str, published: asyncio.Event, scheduled: float
) -> float:
    """Milliseconds from `scheduled` until `url` answers 200, polled once `published`."""
    await asyncio.wait_for(published.wait(), GIVE_UP)
    while not await _answers(http, url):
        if time.perf_counter() - scheduled > GIVE_UP:
            raise TimeoutError(f"not visible after {GIVE_UP:.0f} s: {url}")
        await asyncio.sleep(POLL)
    return (time.perf_counter() - scheduled) * 1000


async def _answers(http: httpx.AsyncClient, url: str) -> bool:
    """Whether `url` answers 200; a kept-alive connection the server closed just then is
    tried again at the next poll."""
    try:
        return (await http.get(url)).status_code == httpx.codes.OK
    except httpx.TransportError:
        return False


async def steady_load(
    running: Running, announcements: Announcements, rate: int, seconds: float
) -> dict[str, list[float]]:
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
            case_id = f"{prefix}-{i}"
            for effect in EFFECTS:
                url = running.urls[effect.service] + effect.path.format(case_id=case_id)
                published = announcements.expect(effect, case_id)
                followers[effect.name].append(
                    asyncio.create_task(visible(running.http, url, published, scheduled))
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
            announcements = Announcements()
            topics = [effect.topic for effect in EFFECTS]
            async with following(running, topics, announcements.take, from_start=False):
                for rate in sizes.rates:
                    profiled = profiles if n == 0 else Profiles(None)
                    with profiled.services(running.chain, f"latency-{rate}"):
                        latencies = await steady_load(running, announcements, rate, sizes.seconds)
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
            + f" (every n-th, {SAMPLES_PER_SECOND} a second); each polled every "
            f"{POLL * 1000:.0f} ms from the moment its event is on Kafka (AsylumApplied, "
            "AdmittedToApplicationCentre)"
        ),
        (
            "case view = GET registration /cases/{id} answers 200; stay = GET placement "
            "/cases/{id}/stay answers 200 (AsylumApplied through the outbox, Kafka, placement)"
        ),
    ]
    return table
