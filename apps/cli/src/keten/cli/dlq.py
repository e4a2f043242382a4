"""`keten dlq list | show | replay`: the dead letters of every service, by topic and reason.

A dead letter is named `<service>:<id>`. Replaying one feeds it to the consumer that refused it;
once its cause is mended it takes effect, once however often it is replayed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
from rich.console import Console
from rich.table import Table

from keten.cli.endpoints import SERVICE_PORTS, service_url

console = Console()


def _name(text: str) -> tuple[str, int]:
    service, _, number = text.partition(":")
    if service not in SERVICE_PORTS or not number.isdigit():
        raise SystemExit(f"keten dlq: {text!r} is not <service>:<id> (see keten dlq list)")
    return service, int(number)


async def _listing(topic: str | None, reason: str | None) -> list[dict[str, Any]]:
    params = {k: v for k, v in {"topic": topic, "reason": reason}.items() if v is not None}
    async with httpx.AsyncClient(timeout=30) as client:
        found = []
        for service in SERVICE_PORTS:
            response = await client.get(f"{service_url(service)}/admin/dead-letters", params=params)
            response.raise_for_status()
            found += [{"service": service, **letter} for letter in response.json()]
        return found


def list_letters(topic: str | None, reason: str | None, *, as_json: bool) -> int:
    letters = asyncio.run(_listing(topic, reason))
    if as_json:
        print(orjson.dumps(letters, option=orjson.OPT_INDENT_2).decode())  # noqa: T201
        return 0
    table = Table(title="keten dlq list")
    for column in ("dead letter", "topic", "offset", "type", "stage", "reason", "state"):
        table.add_column(column)
    for d in letters:
        state = "resolved" if d["resolved"] else f"open, {d['replays']} replay(s)"
        table.add_row(
            f"{d['service']}:{d['id']}",
            f"{d['topic']}/{d['partition']}",
            str(d["offset"]),
            d["message_type"] or "-",
            d["stage"],
            d["reason"],
            state,
        )
    console.print(table)
    return 0


async def _show(service: str, letter_id: int) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(f"{service_url(service)}/admin/dead-letters/{letter_id}")
        if response.status_code == 404:
            raise SystemExit(f"keten dlq: {service} has no dead letter {letter_id}")
        response.raise_for_status()
        found: dict[str, Any] = response.json()
        return found


def show(name: str) -> int:
    service, letter_id = _name(name)
    letter = asyncio.run(_show(service, letter_id))
    print(orjson.dumps(letter, option=orjson.OPT_INDENT_2).decode())  # noqa: T201
    return 0


async def _replay(names: list[str], *, replay_all: bool, topic: str | None) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=None) as client:  # noqa: S113 - many replays
        results = []
        if replay_all:
            for service in SERVICE_PORTS:
                params = {} if topic is None else {"topic": topic}
                url = f"{service_url(service)}/admin/dead-letters/replay"
                response = await client.post(url, params=params)
                response.raise_for_status()
                results += [{"service": service, **r} for r in response.json()["letters"]]
            return results
        for name in names:
            service, letter_id = _name(name)
            url = f"{service_url(service)}/admin/dead-letters/{letter_id}/replay"
            response = await client.post(url)
            if response.status_code in (404, 409):
                raise SystemExit(f"keten dlq: {name}: {response.json()['detail']}")
            response.raise_for_status()
            results.append({"service": service, **response.json()})
        return results


def replay(names: list[str], *, replay_all: bool, topic: str | None, as_json: bool) -> int:
    if not names and not replay_all:
        raise SystemExit("keten dlq replay: name <service>:<id> ... or --all")
    results = asyncio.run(_replay(names, replay_all=replay_all, topic=topic))
    if as_json:
        print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())  # noqa: T201
    else:
        table = Table(title="keten dlq replay")
        for column in ("dead letter", "outcome", "reason"):
            table.add_column(column)
        for r in results:
            reason = r["reason"] if r["outcome"] == "dead_lettered" else ""
            table.add_row(f"{r['service']}:{r['id']}", r["outcome"], reason)
        console.print(table)
    return 0 if all(r["outcome"] != "dead_lettered" for r in results) else 1
