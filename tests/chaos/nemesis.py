"""The nemesis (in the spirit of Jepsen's and of Kafka's system tests): faults injected into a
running chain one at a time, each followed by its recovery.

- `sigkill <service>`: SIGKILL, no shutdown, then the service is started again;
- `sigterm <service>`: SIGTERM, the service must stop by itself (exit 0, within its budget),
  then it is started again;
- `restart_postgres`: the shared PostgreSQL cluster restarted with `-m fast` (every connection
  of every service cut, every open transaction rolled back);
- `kill_broker`: `kill -9` of the chain's own Kafka broker, then the broker started again on
  its ports with its state.

A recovery ends when the target answers again and every service is ready. The scheduler
(`inject_while`) injects a list of faults at intervals while a condition holds (a simulation
is still publishing).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

from tests.chaos.postgres import PostgresCluster
from tests.support.chain import SERVICES, Chain

SIGTERM_BUDGET_SECONDS: Final = 30.0  # the kernel promises 15 s; more is a remark
RECOVERY_TIMEOUT_SECONDS: Final = 180.0


class Kind(StrEnum):
    SIGKILL = "sigkill"
    SIGTERM = "sigterm"
    RESTART_POSTGRES = "restart_postgres"
    KILL_BROKER = "kill_broker"


KINDS: Final = tuple(Kind)
PER_SERVICE: Final = (Kind.SIGKILL, Kind.SIGTERM)


@dataclass(frozen=True)
class Fault:
    kind: Kind
    target: str  # a service for the per-service kinds, else "postgres" or "kafka"

    def __str__(self) -> str:
        return f"{self.kind} {self.target}"


def fault(kind: Kind, service: str = "") -> Fault:
    if kind in PER_SERVICE:
        assert service in SERVICES, service
        return Fault(kind, service)
    return Fault(kind, "postgres" if kind is Kind.RESTART_POSTGRES else "kafka")


def every_kind_on_every_service() -> list[Fault]:
    """Each per-service kind on each service, PostgreSQL and the broker once; the shared
    faults early, so that the busy part of a run meets them."""
    k, t = Kind.SIGKILL, Kind.SIGTERM
    return [
        fault(k, "registration"),
        fault(Kind.RESTART_POSTGRES),
        fault(t, "placement"),
        fault(Kind.KILL_BROKER),
        fault(k, "housing"),
        fault(t, "capacity"),
        fault(k, "placement"),
        fault(t, "registration"),
        fault(k, "capacity"),
        fault(t, "housing"),
    ]


def rotation(count: int, offset: int = 0) -> list[Fault]:
    """`count` faults, the four kinds in turn, the services in turn for each per-service kind;
    `offset` continues an earlier rotation."""
    faults = []
    for n in range(offset, offset + count):
        kind = KINDS[n % len(KINDS)]
        service = SERVICES[(n // len(KINDS)) % len(SERVICES)]
        faults.append(fault(kind, service))
    return faults


@dataclass(frozen=True)
class Injection:
    fault: Fault
    at: float  # seconds after the schedule began
    down: float  # seconds from the fault until the target was started again
    recovered: float  # seconds from the fault until the chain was ready again
    remark: str = ""  # what went otherwise than promised; empty when nothing did


@dataclass
class Nemesis:
    """Injects faults into `chain`, one at a time, and waits for its recovery."""

    chain: Chain
    postgres: PostgresCluster
    admin_database_url: str
    rng: random.Random = field(default_factory=lambda: random.Random(1))
    injections: list[Injection] = field(default_factory=list)
    began: float = field(default_factory=time.monotonic)

    async def inject(self, chosen: Fault) -> Injection:
        start = time.monotonic()
        remark = ""
        match chosen.kind:
            case Kind.SIGKILL:
                await asyncio.to_thread(self.chain.kill, chosen.target)
                await asyncio.sleep(self.rng.uniform(0.0, 1.5))
                down = time.monotonic() - start
                self.chain.start(chosen.target)
            case Kind.SIGTERM:
                remark = await self._terminate(chosen.target)
                await asyncio.sleep(self.rng.uniform(0.0, 1.0))
                down = time.monotonic() - start
                self.chain.start(chosen.target)
            case Kind.RESTART_POSTGRES:
                await asyncio.to_thread(self.postgres.restart)
                down = time.monotonic() - start
                await self._database_answers()
            case Kind.KILL_BROKER:
                kafka = self.chain.kafka
                assert kafka is not None, "the chain's broker is not its own"
                await asyncio.to_thread(kafka.kill)
                await asyncio.sleep(self.rng.uniform(0.0, 2.0))
                down = time.monotonic() - start
                await asyncio.to_thread(kafka.start)
                await self._broker_answers()
        await self.chain.wait_ready(timeout=RECOVERY_TIMEOUT_SECONDS)
        injection = Injection(
            chosen, start - self.began, down, time.monotonic() - start, remark
        )  # fmt: skip
        self.injections.append(injection)
        return injection

    async def _terminate(self, service: str) -> str:
        """SIGTERM; what went otherwise than the kernel promises (exit 0, in its budget)."""
        process = self.chain.processes.pop(service)
        began = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.to_thread(process.wait, SIGTERM_BUDGET_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait, 30)
            return f"{service} still ran {SIGTERM_BUDGET_SECONDS:.0f} s after SIGTERM"
        took = time.monotonic() - began
        if code != 0:
            return f"{service} exited {code} after SIGTERM ({took:.1f} s)"
        return ""

    async def _database_answers(self) -> None:
        async with asyncio.timeout(RECOVERY_TIMEOUT_SECONDS):
            while True:
                try:
                    conn = await asyncpg.connect(self.admin_database_url, timeout=5)
                except (OSError, asyncpg.PostgresError):
                    await asyncio.sleep(0.2)
                    continue
                await conn.close()
                return

    async def _broker_answers(self) -> None:
        assert self.chain.kafka is not None
        host, port = self.chain.kafka.bootstrap.rsplit(":", 1)
        async with asyncio.timeout(RECOVERY_TIMEOUT_SECONDS):
            while True:  # first the port (a client would log every refused connection)
                try:
                    _, writer = await asyncio.open_connection(host, int(port))
                except OSError:
                    await asyncio.sleep(0.2)
                    continue
                writer.close()
                break
            while True:
                admin = AIOKafkaAdminClient(
                    bootstrap_servers=self.chain.kafka.bootstrap, request_timeout_ms=5000
                )
                try:
                    await admin.start()
                    if await admin.list_topics():
                        return
                except Exception:  # noqa: S110 - not yet up: try again
                    pass
                finally:
                    with contextlib.suppress(Exception):
                        await admin.close()
                await asyncio.sleep(0.3)


async def inject_while(
    nemesis: Nemesis,
    faults: Sequence[Fault],
    keep_going: Callable[[], Awaitable[bool]],
    *,
    first_after: float,
    gap: tuple[float, float],
) -> list[Injection]:
    """Injects `faults` in order, the first after `first_after` seconds, each next one a random
    `gap` after the previous recovery, as long as `keep_going()` says so."""
    done: list[Injection] = []
    await asyncio.sleep(first_after)
    for chosen in faults:
        if not await keep_going():
            break
        done.append(await nemesis.inject(chosen))
        await asyncio.sleep(nemesis.rng.uniform(*gap))
    return done


def table(injections: Sequence[Injection]) -> str:
    """Injections by kind: how many, on what, how long the target was down and the chain took
    to be ready again, and the remarks."""
    lines = [
        f"{'kind':<17} {'count':>5}  {'targets':<56} {'down s':>7} {'ready s':>8}  remarks",
    ]
    for kind in KINDS:
        mine = [i for i in injections if i.fault.kind is kind]
        targets = Counter(i.fault.target for i in mine)
        shown = ", ".join(f"{t} {n}" for t, n in sorted(targets.items()))
        down = max((i.down for i in mine), default=0.0)
        ready = max((i.recovered for i in mine), default=0.0)
        remarks = sum(1 for i in mine if i.remark)
        lines.append(
            f"{kind:<17} {len(mine):>5}  {shown:<56} {down:>7.1f} {ready:>8.1f}  {remarks}"
        )
    lines.append(f"{'total':<17} {len(injections):>5}  (down/ready: the longest of each kind)")
    lines.extend(f"  remark: {i.fault} at {i.at:.0f} s: {i.remark}" for i in injections if i.remark)
    return "\n".join(lines)
