"""`keten simulate`: checks the chain, plans the run, sends it with a progress bar, and prints
the summary."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sys
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from keten.cli.endpoints import SERVICE_PORTS, kafka_bootstrap, service_url
from keten.cli.simulate.generator import generate
from keten.cli.simulate.parameters import Scenario
from keten.cli.simulate.plan import Plan
from keten.cli.simulate.publisher import Published, Wiring, publish
from keten.cli.simulate.quiescence import Quiescence
from keten.cli.simulate.render import render
from keten.cli.simulate.routing import common_modulus
from keten.cli.simulate.scenarios import SCENARIOS
from keten.cli.simulate.summary import summarise
from keten.cli.simulate.wire import Observer, Sender

# Piped to a file, the tables keep their width rather than a terminal's 80 columns.
console = Console(width=None if sys.stdout.isatty() else 132)


class NotReadyError(RuntimeError):
    """The chain cannot take a simulation now."""


async def _check_services(client: httpx.AsyncClient) -> None:
    for service in SERVICE_PORTS:
        try:
            ready = (await client.get(f"{service_url(service)}/ready")).status_code == 200
        except httpx.TransportError:
            ready = False
        if not ready:
            raise NotReadyError(
                f"{service} is not ready at {service_url(service)}; start it (keten up)"
            )


async def _check_fresh(client: httpx.AsyncClient, plan: Plan) -> None:
    """A seed replayed on the same chain would only repeat ids: every command a duplicate."""
    first_case = next(
        s.subject for s in plan.steps if s.message.type_name() == "RegisterApplication"
    )
    response = await client.get(f"{service_url('registration')}/cases/{first_case}")
    if response.status_code == 200:
        raise NotReadyError(
            f"seed {plan.seed} of {plan.scenario} has run on this chain already ({first_case} "
            "exists): its commands would be skipped as duplicates; "
            "use another seed or a fresh chain"
        )


@contextlib.asynccontextmanager
async def _wired(
    plan: Plan, quiescence: Quiescence, client: httpx.AsyncClient
) -> AsyncIterator[Wiring]:
    bootstrap = kafka_bootstrap()
    sender = Sender(bootstrap, plan)
    observer = Observer(bootstrap, plan.run_id, quiescence)
    await sender.start()
    await observer.start()
    try:
        yield Wiring(sender, observer, quiescence, client)
    finally:
        await observer.stop()
        await sender.stop()


def scaled_scenario(name: str, scale: float | None) -> Scenario:
    """The scenario, at another scale if asked; its name (and so its ids) then says so."""
    scenario = SCENARIOS[name]
    if scale is None or scale == scenario.scale:
        return scenario
    return dataclasses.replace(scenario, name=f"{name}-x{scale:g}", scale=scale)


async def _simulate(scenario: Scenario, seed: int, speed: float | None) -> dict[str, Any]:
    quiescence = Quiescence(kafka_bootstrap())
    async with httpx.AsyncClient(timeout=120) as client:
        await _check_services(client)
        await quiescence.start()
        try:
            plan = generate(scenario, seed, common_modulus(quiescence.partition_counts()))
            await _check_fresh(client, plan)
            console.print(
                f"[bold]{scenario.title}[/bold]: {len(plan.steps):,} commands from "
                f"{plan.first_day} to {plan.end}, run id {plan.run_id}"
            )
            await quiescence.wait(client)
            async with _wired(plan, quiescence, client) as wiring:
                published = await _with_progress(plan, wiring, speed or scenario.default_speed)
                return await summarise(client, plan, published, wiring.observer.seen)
        finally:
            await quiescence.stop()


async def _with_progress(plan: Plan, wiring: Wiring, speed: float) -> Published:
    columns = (
        TextColumn("[bold]{task.fields[day]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days  {task.fields[commands]:,} commands"),
        TimeElapsedColumn(),
    )
    total_days = (plan.end - plan.first_day).days
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("simulating", total=total_days, day=str(plan.first_day), commands=0)

        def report(day: date, commands: int) -> None:
            bar.update(
                task, completed=(day - plan.first_day).days + 1, day=str(day), commands=commands
            )

        return await publish(plan, wiring, speed, report)


def simulate(
    scenario: str,
    seed: int,
    *,
    speed: float | None = None,
    scale: float | None = None,
    summary_json: Path | None = None,
) -> int:
    """Runs the scenario against the chain; prints the summary (and writes it as JSON)."""
    try:
        summary = asyncio.run(_simulate(scaled_scenario(scenario, scale), seed, speed))
    except NotReadyError as problem:
        console.print(f"[red]keten simulate:[/red] {problem}")
        return 1
    render(summary, console)
    if summary_json is not None:
        summary_json.write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    return 0 if not summary["figures"]["commands"]["dead_lettered"] else 1
