"""The whole chain for end-to-end tests and benchmarks: a Kafka broker of its own (fresh
state), a fresh database per service, and the four services as processes, as `keten up` runs
them."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from tests.support.keys import dead_letter_private_key
from tests.support.services import free_port

ROOT = Path(__file__).resolve().parents[2]
PR_SET_PDEATHSIG = 1
SERVICES = ("registration", "placement", "housing", "capacity")


@dataclass
class Chain:
    """A running chain; `env` is what a client (the `keten` command) needs to reach it."""

    state: Path
    kafka_bootstrap: str
    databases: dict[str, str]
    ports: dict[str, int]
    clock: str = "simulated"  # KETEN_CLOCK: event time for simulations, "wall" for benchmarks
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    kafka: OwnKafka | None = None  # the chain's own broker, for tests that kill and restart it

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=self.kafka_bootstrap)
        for service, port in self.ports.items():
            env[f"KETEN_{service.upper()}_URL"] = f"http://127.0.0.1:{port}"
        return env

    def start(self, service: str) -> None:
        log = (self.state / f"{service}.log").open("ab")
        env = dict(
            self.env,
            DATABASE_URL=self.databases[service],
            HTTP_PORT=str(self.ports[service]),
            KETEN_CLOCK=self.clock,
            LOG_LEVEL="warning",
            # Only registration holds the private half of the dead-letter key.
            KETEN_DEAD_LETTER_PRIVATE_KEY=(
                str(dead_letter_private_key()) if service == "registration" else ""
            ),
        )
        self.processes[service] = subprocess.Popen(
            [sys.executable, "-m", f"keten.{service}"],
            env=env,
            stdout=log,
            stderr=log,
            preexec_fn=_killed_with_parent,  # noqa: PLW1509 - a prctl call, no locks
        )

    def kill(self, service: str) -> None:
        """SIGKILL: no shutdown, no flush; whatever was not committed is lost."""
        process = self.processes.pop(service)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    async def wait_ready(self, timeout: float = 90) -> None:
        async with httpx.AsyncClient(timeout=5) as client, asyncio.timeout(timeout):
            for service in SERVICES:
                while True:
                    process = self.processes[service]
                    if process.poll() is not None:
                        log = (self.state / f"{service}.log").read_text()[-2000:]
                        raise RuntimeError(f"{service} exited {process.returncode}: {log}")
                    with contextlib.suppress(httpx.TransportError):
                        url = f"http://127.0.0.1:{self.ports[service]}/ready"
                        if (await client.get(url)).status_code == 200:
                            break
                    await asyncio.sleep(0.2)

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()


def _killed_with_parent() -> None:
    """A service outlives nothing: if the test or benchmark that started it dies, so does it
    (Linux's parent-death signal), rather than run on against a broker that is gone."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _run(script: str, env: Mapping[str, str]) -> None:
    done = subprocess.run(
        ["bash", "-c", f"source infra/env.sh && {script}"],
        cwd=ROOT,
        env=dict(env),
        check=False,
        capture_output=True,
    )
    if done.returncode != 0:
        output = (done.stdout + done.stderr).decode(errors="replace")[-2000:]
        raise RuntimeError(f"`{script}` failed with exit code {done.returncode}: {output}")


@dataclass(frozen=True)
class OwnKafka:
    """A Kafka broker of a test's own, with the contract's topics."""

    bootstrap: str
    state: Path
    env: Mapping[str, str] = field(default_factory=dict, repr=False)  # start.sh's settings

    def start(self) -> None:
        """Starts the broker again (after `kill`) on its ports, with its state; returns once
        the process runs, not once it answers."""
        (self.state / "kafka" / "kafka.pid").unlink(missing_ok=True)  # a crash leaves it behind
        _run("infra/kafka/start.sh", self.env)

    @property
    def pid(self) -> int:
        return int((self.state / "kafka" / "kafka.pid").read_text())

    def freeze(self) -> None:
        """SIGSTOP: its connections stay open and nothing answers, as in a network partition."""
        os.kill(self.pid, signal.SIGSTOP)

    def kill(self, timeout: float = 10) -> None:
        """SIGKILL, as a crash would end it; returns once the process is gone."""
        pid = self.pid
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        stat = Path(f"/proc/{pid}/stat")
        while time.monotonic() < deadline:
            try:
                process_state = stat.read_text().rsplit(")", 1)[1].split()[0]
            except FileNotFoundError:
                return
            if process_state == "Z":  # dead, not yet reaped
                return
            time.sleep(0.05)
        raise RuntimeError(f"kafka (pid {pid}) still runs {timeout} s after SIGKILL")


@contextlib.contextmanager
def fresh_kafka(state: Path) -> Iterator[OwnKafka]:
    """Kafka on free ports with its state in `state` and the contract's topics; stopped after."""
    kafka_port, controller_port = free_port(), free_port()
    kafka_env = dict(
        os.environ,
        KETEN_STATE=str(state),
        KAFKA_PORT=str(kafka_port),
        KAFKA_CONTROLLER_PORT=str(controller_port),
        KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{kafka_port}",
    )
    try:
        _run("infra/kafka/start.sh && uv run --frozen python infra/topics.py", kafka_env)
        yield OwnKafka(f"127.0.0.1:{kafka_port}", state, kafka_env)
    finally:
        _run("infra/kafka/stop.sh", kafka_env)


@contextlib.asynccontextmanager
async def fresh_chain(
    admin_database_url: str, state: Path, clock: str = "simulated"
) -> AsyncIterator[Chain]:
    """Kafka on free ports with its state in `state`, fresh databases, the four services."""
    with fresh_kafka(state) as kafka:
        suffix = uuid.uuid4().hex[:8]
        databases = await _create_databases(admin_database_url, suffix)
        chain = Chain(
            state=state,
            kafka_bootstrap=kafka.bootstrap,
            databases=databases,
            ports={service: free_port() for service in SERVICES},
            clock=clock,
            kafka=kafka,
        )
        try:
            for service in SERVICES:
                chain.start(service)
            await chain.wait_ready()
            yield chain
        finally:
            chain.stop_all()
            await _drop_databases(admin_database_url, databases)


async def _create_databases(admin_url: str, suffix: str) -> dict[str, str]:
    conn = await asyncpg.connect(admin_url)
    base = admin_url.rsplit("/", 1)[0]
    try:
        names = {service: f"chain_{service}_{suffix}" for service in SERVICES}
        for name in names.values():
            await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    return {service: f"{base}/{name}" for service, name in names.items()}


async def _drop_databases(admin_url: str, databases: Mapping[str, str]) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        for url in databases.values():
            await conn.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")
    finally:
        await conn.close()
