"""A simulation run on a fresh chain, with or without the nemesis, then the checker, a replay
of every projection and an audit of every store; and the comparison of a faulted run's final
figures with an undisturbed run's."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from keten.contracts.topics import COMMAND_TOPICS
from tests.chaos.checker import Findings, check
from tests.chaos.nemesis import Fault, Injection, Nemesis, inject_while
from tests.chaos.postgres import Where, postgres_for_run
from tests.support.chain import ROOT, Chain, _killed_with_parent, fresh_chain

SCENARIO: Final = ("--scenario", "demo", "--seed", "1")
SIMULATION_TIMEOUT_SECONDS: Final = 1800.0
STATE: Final = Path(os.environ.get("KETEN_STATE", ROOT / ".state"))  # its owner can reach it
# No fault is begun once this share of the commands is on the command topics: the run's end
# (its last catching up and the summary, read from the query API) meets a settled chain.
STOP_AT_SHARE: Final = 0.95


@dataclass(frozen=True)
class Pace:
    first_after: float = 3.0  # seconds after the first command was published
    gap: tuple[float, float] = (1.0, 3.0)  # seconds between a recovery and the next fault


@dataclass
class Run:
    summary: dict[str, Any]
    injections: list[Injection]
    findings: Findings
    replay_problems: list[str] = field(default_factory=list)  # rebuild or audit complaints
    seconds: float = 0.0

    @property
    def commands(self) -> int:
        published: int = self.summary["figures"]["commands"]["published"]
        return published


async def commands_on_topics(bootstrap: str) -> int:
    """How many commands the simulation has published so far (the chain's broker is its own:
    nothing else writes its command topics)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in COMMAND_TOPICS
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [
                TopicPartition(topic, p)
                for topic in COMMAND_TOPICS
                for p in sorted(consumer.partitions_for_topic(topic) or ())
            ]
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        return sum(ends.values())
    finally:
        await consumer.stop()


Simulator = Literal["tolerant", "plain"]
SIMULATORS: Final[dict[str, str]] = {
    "tolerant": "tests.chaos.simulator",  # waits out a broker restart (see there)
    "plain": "keten.cli.main",
}


class Simulation:
    """`keten simulate` of the scenario as a process of its own, output kept in the state."""

    def __init__(self, chain: Chain, state: Path, simulator: Simulator = "tolerant") -> None:
        self.summary_file = state / "summary.json"
        self.output = state / "simulate.log"
        with self.output.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", SIMULATORS[simulator], "simulate", *SCENARIO,
                 "--summary-json", str(self.summary_file)],
                cwd=ROOT,
                env={**chain.env, "COLUMNS": "200"},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_killed_with_parent,  # noqa: PLW1509 - a prctl call, no locks
            )  # fmt: skip

    def running(self) -> bool:
        return self.process.poll() is None

    async def finish(self) -> dict[str, Any]:
        try:
            code = await asyncio.to_thread(self.process.wait, SIMULATION_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        if code != 0 or not self.summary_file.exists():
            tail = self.output.read_text(errors="replace")[-4000:]
            raise RuntimeError(f"keten simulate exited {code}:\n{tail}")
        summary: dict[str, Any] = orjson.loads(self.summary_file.read_bytes())
        return summary


async def simulate(
    admin_database_url: str,
    state: Path,
    faults: Sequence[Fault] = (),
    *,
    commands: int = 0,
    pace: Pace | None = None,
    seed: int = 1,
    postgres: Where = "own",
    simulator: Simulator = "tolerant",
) -> Run:
    """The scenario on a fresh chain in `state`; with `faults`, the nemesis injects them while
    fewer than `STOP_AT_SHARE` of the `commands` (the reference run's count) are published.
    The chain's databases are on a PostgreSQL cluster of the run's own, or on the shared one
    (`admin_database_url`'s). `simulator`: `keten simulate` as it is ("plain"), or with its
    waits outlasting a broker restart ("tolerant", tests/chaos/simulator.py)."""
    pace = pace or Pace()
    began = time.monotonic()
    async with (
        postgres_for_run(postgres, admin_database_url, STATE) as (admin_url, cluster),
        fresh_chain(admin_url, state) as chain,
    ):
        nemesis = Nemesis(chain, cluster, admin_url, rng=random.Random(seed))
        simulation = Simulation(chain, state, simulator)
        try:

            async def keep_going() -> bool:
                if not simulation.running():
                    return False
                published = 0
                with contextlib.suppress(Exception):
                    published = await commands_on_topics(chain.kafka_bootstrap)
                return published < STOP_AT_SHARE * commands

            await _publishing(simulation, chain)
            injections = await inject_while(
                nemesis, faults, keep_going, first_after=pace.first_after, gap=pace.gap
            )
            summary = await simulation.finish()
        finally:
            if simulation.running():
                simulation.process.kill()
        findings = await check(chain)
        replay_problems = await asyncio.to_thread(_replay_and_audit, chain)
    return Run(summary, injections, findings, replay_problems, time.monotonic() - began)


async def _publishing(simulation: Simulation, chain: Chain) -> None:
    """Returns once the simulation has checked the services and sent its first commands: a
    fault before would only stop it from starting."""
    while simulation.running():
        with contextlib.suppress(Exception):
            if await commands_on_topics(chain.kafka_bootstrap) > 0:
                return
        await asyncio.sleep(0.5)


def _replay_and_audit(chain: Chain) -> list[str]:
    """`keten rebuild --all` (every projection equals a replay of its store) and `keten audit
    verify` (no gaps, no broken hash chain)."""
    problems = []
    for args in (("rebuild", "--all"), ("audit", "verify")):
        done = subprocess.run(
            [sys.executable, "-m", "keten.cli.main", *args],
            env={**chain.env, "COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0 or (args[0] == "rebuild" and " NO " in done.stdout):
            problems.append(f"keten {' '.join(args)} exited {done.returncode}:\n{done.stdout}")
    return problems
