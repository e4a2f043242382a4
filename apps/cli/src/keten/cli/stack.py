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


Status = tuple[str, str, int, int, int, int]


def _state(ready: httpx.Response) -> str:
    if ready.status_code == 200:
        return "ready"
    problems: dict[str, str] = ready.json().get("problems", {})
    if not problems:
        return "starting"
    return "not ready: " + "; ".join(f"{loop} {problem}" for loop, problem in problems.items())


async def _service_status(client: httpx.AsyncClient, service: str) -> Status:
    url = service_url(service)
    try:
        state = _state(await client.get(f"{url}/ready"))
        metrics = (await client.get(f"{url}/metrics")).text
        letters = (await client.get(f"{url}/admin/dead-letters")).json()
        parked = (await client.get(f"{url}/admin/parked")).json()
    except (httpx.TransportError, ValueError):
        return service, "down", 0, 0, 0, 0
    lag = backlog = 0.0
    for name, value in _METRIC.findall(metrics):
        if name == "keten_consumer_lag":
            lag += float(value)
        else:
            backlog += float(value)
    unresolved = sum(1 for letter in letters if not letter["resolved"])
    return service, state, int(lag), int(backlog), unresolved, len(parked)


async def _statuses() -> list[Status]:
    async with httpx.AsyncClient(timeout=5) as client:
        return list(await asyncio.gather(*(_service_status(client, s) for s in SERVICE_PORTS)))


def status() -> int:
    table = Table(title="keten status")
    columns = ("service", "state", "consumer lag", "relay backlog", "dead letters", "parked")
    for column in (*columns, "api"):
        table.add_column(column)
    rows = asyncio.run(_statuses())
    for service, state, *figures in rows:
        table.add_row(service, state, *map(str, figures), service_url(service))
    console.print(table)
    return 0 if all(row[1] == "ready" for row in rows) else 1
