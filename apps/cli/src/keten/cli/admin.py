"""`keten rebuild` and `keten audit verify`: through each service's administration API."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from keten.cli.endpoints import SERVICE_PORTS, service_url

console = Console()


async def _projections(client: httpx.AsyncClient, service: str) -> list[str]:
    response = await client.get(f"{service_url(service)}/admin/projections")
    response.raise_for_status()
    names: dict[str, str] = response.json()
    return sorted(names)


async def _rebuild_one(
    client: httpx.AsyncClient, service: str, projection: str, as_of: datetime | None
) -> dict[str, Any]:
    params = {} if as_of is None else {"as_of": as_of.isoformat()}
    url = f"{service_url(service)}/admin/projections/{projection}/rebuild"
    result: dict[str, Any] = {}
    columns = (
        TextColumn(f"{service}.{projection}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("events", total=None)
        async with client.stream("POST", url, params=params) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                if not line:
                    continue
                message = orjson.loads(line)
                if "result" in message:
                    result = message["result"]
                else:
                    bar.update(task, completed=message["done"], total=message["total"])
    return result


async def _rebuild(targets: list[str], as_of: datetime | None) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=None) as client:  # noqa: S113 - a long replay
        if targets == ["--all"]:
            targets = [
                f"{service}.{name}"
                for service in SERVICE_PORTS
                for name in await _projections(client, service)
            ]
        results = []
        for target in targets:
            service, _, projection = target.partition(".")
            if service not in SERVICE_PORTS or not projection:
                raise SystemExit(f"keten: {target!r} is not <service>.<projection>")
            found = await _rebuild_one(client, service, projection, as_of)
            results.append({"target": target, **found})
        return results


def rebuild(targets: list[str], as_of: datetime | None) -> int:
    results = asyncio.run(_rebuild(targets, as_of))
    table = Table(title="keten rebuild")
    if as_of is not None:
        for column in ("projection", "as of", "readable in schema"):
            table.add_column(column)
        for r in results:
            table.add_row(r["target"], r["as_of"], r["schema"])
        console.print(table)
        return 0
    for column in ("projection", "events", "digest", "equals live"):
        table.add_column(column)
    for r in results:
        table.add_row(
            r["target"], str(r["events"]), r["digest"][:16], "yes" if r["equal"] else "NO"
        )
    console.print(table)
    return 0 if all(r["equal"] for r in results) else 1


async def _audits() -> list[tuple[str, dict[str, Any]]]:
    async with httpx.AsyncClient(timeout=None) as client:  # noqa: S113 - a full scan
        found = []
        for service in SERVICE_PORTS:
            response = await client.get(f"{service_url(service)}/admin/audit")
            response.raise_for_status()
            found.append((service, response.json()))
        return found


def audit_verify() -> int:
    reports = asyncio.run(_audits())
    table = Table(title="keten audit verify")
    for column in ("service", "events", "streams", "result"):
        table.add_column(column)
    for service, report in reports:
        verdict = "clean" if report["clean"] else f"{len(report['findings'])} problem(s)"
        table.add_row(service, str(report["events"]), str(report["streams"]), verdict)
    console.print(table)
    for service, report in reports:
        for finding in report["findings"]:
            console.print(f"[red]{service}[/red]: {finding}")
    return 0 if all(report["clean"] for _, report in reports) else 1
