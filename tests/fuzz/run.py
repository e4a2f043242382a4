"""`python -m tests.fuzz.run --per-topic N [--sentinel-every K] [--seed S] [--fresh-chain]`:
fuzzes every command topic of a running chain and checks where every record ended.

Against the chain the environment names (KAFKA_BOOTSTRAP_SERVERS, KETEN_<SERVICE>_URL,
<SERVICE>_DATABASE_URL, logs in $KETEN_STATE/services), or with `--fresh-chain` against a chain
of its own (`tests.support.chain.fresh_chain`: its own broker, fresh databases, the four
services as processes; their logs kept in $KETEN_STATE/fuzz/<run>). Exits non-zero
on any violation (`report.Report.violations`).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from rich.console import Console

from keten.cli.endpoints import kafka_bootstrap, service_url
from keten.contracts.topics import COMMAND_TOPICS
from tests.conftest import infra_from_environment
from tests.fuzz.checker import Published, dead_letter_positions, find_leaks, settle
from tests.fuzz.corpus import Entities
from tests.fuzz.generate import collect
from tests.fuzz.links import Api, Publisher, Readiness
from tests.fuzz.records import FuzzRecord, union
from tests.fuzz.report import Report, SentinelResult, figures, merge, show
from tests.fuzz.sentinels import Places, Plans, Sentinel, prepare
from tests.support.chain import SERVICES, Chain, fresh_chain

CONSOLE: Final = Console(width=160)
SENTINEL_SECONDS: Final = 60.0
GIVE_UP_AFTER: Final = 3  # sentinels late in a row: the topic's consumer is stuck, stop feeding it


@dataclass(frozen=True)
class Target:
    """Where the chain to fuzz is."""

    kafka: str
    urls: dict[str, str]
    databases: dict[str, str]
    logs: tuple[Path, ...]

    @classmethod
    def from_environment(cls) -> Target:
        infra = infra_from_environment()
        if infra is None:
            raise SystemExit(
                "KAFKA_BOOTSTRAP_SERVERS and KETEN_ADMIN_DATABASE_URL: source infra/env.sh"
            )
        state = Path(os.environ.get("KETEN_STATE", ".state")) / "services"
        return cls(
            kafka_bootstrap(),
            {s: service_url(s) for s in SERVICES},
            dict(infra.service_database_urls),
            tuple(state / f"{s}.log" for s in SERVICES),
        )

    @classmethod
    def of(cls, chain: Chain) -> Target:
        return cls(
            chain.kafka_bootstrap,
            {s: f"http://127.0.0.1:{port}" for s, port in chain.ports.items()},
            dict(chain.databases),
            tuple(chain.state / f"{s}.log" for s in SERVICES),
        )


@dataclass(frozen=True)
class Options:
    per_topic: int = 250
    sentinel_every: int = 25
    seed: int = 2026
    run: str = field(default_factory=lambda: f"{random.getrandbits(32):08x}")
    excluded: tuple[str, ...] = ()  # variants and document operations left out


@dataclass
class Driven:
    published: list[Published] = field(default_factory=list)
    sentinels: list[SentinelResult] = field(default_factory=list)


async def _in_effect(sentinel: Sentinel, sent_at: float, api: Api) -> SentinelResult:
    while True:
        if await sentinel.check(api):
            return SentinelResult(sentinel.description, time.monotonic() - sent_at)
        if time.monotonic() - sent_at > SENTINEL_SECONDS:
            return SentinelResult(sentinel.description, None)
        await asyncio.sleep(0.2)


async def drive(
    topic: str,
    records: Sequence[FuzzRecord],
    *,
    plans: Plans,
    every: int,
    publisher: Publisher,
    api: Api,
) -> Driven:
    """Publishes `every` fuzzed records, then a sentinel, and so on; before each sentinel the
    one before must have taken effect, which also keeps the backlog to about two chunks."""
    driven = Driven()
    pending: tuple[Sentinel, float] | None = None
    for start in range(0, len(records), every):
        chunk = records[start : start + every]
        positions = await publisher.publish(topic, [r.wire for r in chunk])
        driven.published += [Published(r, *at) for r, at in zip(chunk, positions, strict=True)]
        if pending is not None:
            driven.sentinels.append(await _in_effect(*pending, api))
            if (
                all(s.seconds is None for s in driven.sentinels[-GIVE_UP_AFTER:])
                and len(driven.sentinels) >= GIVE_UP_AFTER
            ):
                return driven
        sentinel = plans.next(topic)
        [at] = await publisher.publish(topic, [sentinel.record.wire])
        driven.published.append(Published(sentinel.record, *at))
        pending = (sentinel, time.monotonic())
    if pending is not None:
        driven.sentinels.append(await _in_effect(*pending, api))
    return driven


def say(text: str) -> None:
    CONSOLE.print(text, markup=False, highlight=False)


async def fuzz(target: Target, options: Options) -> Report:
    """Fuzzes every command topic of `target` and checks the outcome (see the module doc)."""
    entities = Entities(options.run)
    clock = time.monotonic()
    say(
        f"keten fuzz: seed {options.seed}, run {options.run}, {options.per_topic:,} records per "
        f"command topic, a sentinel every {options.sentinel_every}"
    )
    if options.excluded:
        say(f"left out: {', '.join(options.excluded)}")
    fuzzed = {
        t: collect(t, options.per_topic, options.seed, entities, excluded=options.excluded)
        for t in COMMAND_TOPICS
    }
    seconds = {"generated": time.monotonic() - clock}
    say(f"generated {sum(map(len, fuzzed.values())):,} records in {seconds['generated']:.0f} s")
    sentinels_per_topic = math.ceil(options.per_topic / options.sentinel_every)
    places = Places(entities, sentinels_per_topic // 2 + 1, random.Random(options.seed))
    api, readiness = Api(target.urls), Readiness()
    try:
        async with Publisher(target.kafka) as publisher, readiness.watching(api):
            clock = time.monotonic()
            setup = await prepare(publisher, api, target.databases["registration"], places)
            plans = Plans(places)
            driven = await asyncio.gather(
                *(
                    drive(
                        t,
                        fuzzed[t],
                        plans=plans,
                        every=options.sentinel_every,
                        publisher=publisher,
                        api=api,
                    )
                    for t in COMMAND_TOPICS
                )
            )
            seconds["published"] = time.monotonic() - clock
            say(f"published in {seconds['published']:.0f} s; settling")
            published = {
                t: [p for p in setup if p.record.topic == t] + d.published
                for t, d in zip(COMMAND_TOPICS, driven, strict=True)
            }
            tables = await settle(target.databases, published)
            await readiness.poll(api)
    finally:
        await api.close()
    clock = time.monotonic()
    records = [p.record for items in published.values() for p in items]
    leaks = await find_leaks(
        target.kafka,
        tables.values(),
        target.logs,
        union(r.hidden for r in records),
        union(r.exposed for r in records),
    )
    topics, variants = [], []
    for topic, items in published.items():
        in_dlq = await dead_letter_positions(target.kafka, topic)
        sentinel_results = driven[COMMAND_TOPICS.index(topic)].sentinels
        found = figures(topic, items, tables[topic], in_dlq, sentinel_results, readiness)
        topics.append(found[0])
        variants.append(found[1])
    seconds["checked"] = time.monotonic() - clock
    return Report(
        options.seed,
        options.run,
        topics,
        merge(variants),
        readiness,
        leaks,
        seconds,
    )


async def on_fresh_chain(options: Options, admin_database_url: str, state: Path) -> Report:
    """Fuzzes a chain of its own, started for the run and stopped after it."""
    async with fresh_chain(admin_database_url, state, clock="wall") as chain:
        return await fuzz(Target.of(chain), options)


def _keep_logs_only(kafka_state: Path) -> None:
    """The stopped broker's data and jars go (tens of MB a run); its log stays."""
    for path in kafka_state.iterdir() if kafka_state.is_dir() else ():
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif path.name != "kafka.log":
            path.unlink()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.run", description=__doc__)
    parser.add_argument("--per-topic", type=int, default=Options.per_topic)
    parser.add_argument("--sentinel-every", type=int, default=Options.sentinel_every)
    parser.add_argument("--seed", type=int, default=Options.seed)
    parser.add_argument("--fresh-chain", action="store_true", help="start a chain of its own")
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="KIND",
        help="leave out a variant or document operation (repeatable)",
    )
    args = parser.parse_args(argv)
    options = Options(
        args.per_topic,
        args.sentinel_every,
        args.seed,
        excluded=tuple(args.exclude),
    )
    if args.fresh_chain:
        admin = os.environ.get("KETEN_ADMIN_DATABASE_URL")
        if not admin:
            raise SystemExit("KETEN_ADMIN_DATABASE_URL is unset: source infra/env.sh")
        state = Path(os.environ.get("KETEN_STATE", ".state")).resolve() / "fuzz" / options.run
        state.mkdir(parents=True, exist_ok=True)
        say(f"a chain of its own, its logs in {state}")
        try:
            report = asyncio.run(on_fresh_chain(options, admin, state))
        finally:
            _keep_logs_only(state / "kafka")
    else:
        report = asyncio.run(fuzz(Target.from_environment(), options))
    show(report, CONSOLE)
    return 1 if report.violations() else 0


if __name__ == "__main__":
    sys.exit(main())
