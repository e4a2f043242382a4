"""`keten up`, `keten down` and `keten status`."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from keten.cli.endpoints import SERVICE_PORTS, service_url

console = Console()
_METRIC = re.compile(
    r"^(keten_consumer_lag|keten_relay_backlog)\{[^}]*\} ([0-9.e+]+)$", re.MULTILINE
)


def project_root() -> Path:
    """The checkout whose infra/ scripts start the broker, the database and the services."""
    if "KETEN_ROOT" in os.environ:
        return Path(os.environ["KETEN_ROOT"])
    for folder in (Path.cwd(), *Path.cwd().parents, *Path(__file__).resolve().parents):
        if (folder / "infra" / "up.sh").is_file():
            return folder
    sys.exit("keten: cannot find the project's infra/ scripts; run from the checkout")


def _script(*args: str) -> int:
    root = project_root()
    command = f'source "{root}/infra/env.sh" && ' + " && ".join(args)
    return subprocess.call(["bash", "-c", command], cwd=root)  # noqa: S603, S607


def up() -> int:
    """Starts Kafka, PostgreSQL and the four services, and waits until each is ready."""
    return _script("infra/up.sh", "infra/services.sh start")


def down() -> int:
    return _script("infra/down.sh")


async def _service_status(client: httpx.AsyncClient, service: str) -> tuple[str, str, int, int]:
    url = service_url(service)
    try:
        ready = (await client.get(f"{url}/ready")).status_code == 200
        metrics = (await client.get(f"{url}/metrics")).text
    except httpx.TransportError:
        return service, "down", 0, 0
    lag = backlog = 0.0
    for name, value in _METRIC.findall(metrics):
        if name == "keten_consumer_lag":
            lag += float(value)
        else:
            backlog += float(value)
    return service, "ready" if ready else "starting", int(lag), int(backlog)


async def _statuses() -> list[tuple[str, str, int, int]]:
    async with httpx.AsyncClient(timeout=5) as client:
        return list(await asyncio.gather(*(_service_status(client, s) for s in SERVICE_PORTS)))


def status() -> int:
    table = Table(title="keten status")
    for column in ("service", "state", "consumer lag", "relay backlog", "api"):
        table.add_column(column)
    rows = asyncio.run(_statuses())
    for service, state, lag, backlog in rows:
        table.add_row(service, state, str(lag), str(backlog), service_url(service))
    console.print(table)
    return 0 if all(state == "ready" for _, state, _, _ in rows) else 1
