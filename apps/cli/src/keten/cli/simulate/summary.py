"""The figures at the end of a run, read from the query API and the observed topics, as a
plain dict (JSON-able; two runs of one seed on fresh chains give equal `figures`)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any, Final

import httpx

from keten.cli.endpoints import service_url
from keten.cli.simulate.plan import Plan
from keten.cli.simulate.publisher import Published
from keten.cli.simulate.wire import Observed
from keten.contracts.civil_time import AMSTERDAM, STABLE_STOCK
from keten.reference import PROVINCES

PAIRING_STATUSES: Final = ("open", "approaching", "overdue")
LOCATION_TYPES: Final = ("application_centre", "accelerated_azc", "azc", "htl", "ibo", "emergency")
LIMIT: Final = 10_000


def end_moment(plan: Plan) -> datetime:
    """The last moment of the window: overdue counts as of then."""
    return datetime.combine(plan.end - timedelta(days=1), time(23, 59, 59), tzinfo=AMSTERDAM)


async def _get(client: httpx.AsyncClient, service: str, path: str, **params: Any) -> Any:
    response = await client.get(f"{service_url(service)}{path}", params=params)
    response.raise_for_status()
    return response.json()


def _group(rows: list[dict[str, Any]], key: str, order: tuple[str, ...]) -> list[dict[str, Any]]:
    sums: dict[str, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(("locations", "capacity", "occupied"), 0)
    )
    for row in rows:
        figures = sums[row[key] or "unknown"]
        figures["locations"] += 1
        figures["capacity"] += row["capacity"]
        figures["occupied"] += row["occupied"]
    ranked = [k for k in order if k in sums] + sorted(set(sums) - set(order))
    return [{key: k, **sums[k], "free": sums[k]["capacity"] - sums[k]["occupied"]} for k in ranked]


async def _occupancy(client: httpx.AsyncClient, plan: Plan) -> dict[str, Any]:
    """The run's own locations by province and type; the national figures of the chain."""
    report = await _get(client, "capacity", "/occupancy", by="location")
    mine = [r for r in report["rows"] if r["location_id"].startswith(f"{plan.run_id}-")]
    provinces = await _get(client, "capacity", "/occupancy", by="province")
    targets = {r["province"]: r["reception_target"] for r in provinces["rows"]}
    by_province = _group(mine, "province", PROVINCES)
    for row in by_province:
        row["reception_target"] = targets.get(row["province"])
    national = (await _get(client, "capacity", "/occupancy", by="national"))["rows"][0]
    occupied = sum(r["occupied"] for r in mine)
    return {
        "by_province": by_province,
        "by_type": _group(mine, "type", LOCATION_TYPES),
        "total": {
            "locations": len(mine),
            "capacity": sum(r["capacity"] for r in mine),
            "occupied": occupied,
            "full_scale_occupied": round(occupied / plan.scale),
            "stable_stock": STABLE_STOCK,
            "over_capacity_locations": sum(1 for r in mine if r["over_capacity"]),
        },
        "national": {k: national[k] for k in ("capacity", "occupied", "stable_stock")},
    }


async def _quota(client: httpx.AsyncClient, plan: Plan) -> dict[str, Any]:
    tables = {}
    for period in plan.periods:
        table = await _get(client, "housing", "/quota", period=period, by="province")
        rows = [
            {k: v for k, v in r.items() if k not in ("municipality", "municipality_code")}
            for r in table["rows"]
        ]
        tables[period] = {"rows": rows, "total": table["total"]}
    return tables


def _mine(plan: Plan, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["case_id"].startswith(f"{plan.run_id}-")]


async def _waiting(client: httpx.AsyncClient, plan: Plan) -> dict[str, Any]:
    """Permit holders paired and not housed, by the state of their deadline."""
    found: dict[str, Any] = {}
    for status in PAIRING_STATUSES:
        listed = await _get(client, "housing", "/pairings", status=status, limit=LIMIT)
        rows = _mine(plan, listed["pairings"])
        found[status] = {"households": len(rows), "persons": sum(r["persons"] for r in rows)}
        found[status]["truncated"] = len(listed["pairings"]) >= LIMIT
    found["total"] = {
        "households": sum(found[s]["households"] for s in PAIRING_STATUSES),
        "persons": sum(found[s]["persons"] for s in PAIRING_STATUSES),
    }
    return found


async def _overdue(client: httpx.AsyncClient, plan: Plan) -> dict[str, Any]:
    as_of = end_moment(plan)
    listed = await _get(client, "housing", "/deadlines/overdue", as_of=as_of.isoformat())
    rows = _mine(plan, listed["pairings"])
    return {
        "as_of": as_of.isoformat(),
        "households": len(rows),
        "persons": sum(r["persons"] for r in rows),
        "longest_days_overdue": max((r["days_overdue"] for r in rows), default=0),
    }


async def _housing_times(client: httpx.AsyncClient, plan: Plan) -> dict[str, Any]:
    """Per half year: households housed, weeks from permit to home, share within 14 weeks."""
    times = {}
    for period in plan.periods:
        report = await _get(client, "housing", "/reports/housing-times", period=period)
        times[period] = {k: v for k, v in report.items() if k not in ("period", "as_of")}
    return times


async def _figures(client: httpx.AsyncClient, plan: Plan) -> dict[str, Any]:
    return {
        "occupancy": await _occupancy(client, plan),
        "quota": await _quota(client, plan),
        "housing_times": await _housing_times(client, plan),
        "waiting": await _waiting(client, plan),
        "overdue": await _overdue(client, plan),
    }


async def stable_figures(client: httpx.AsyncClient, plan: Plan) -> dict[str, Any]:
    """The figures once two reads in a row agree: the projections trail the event stores."""
    previous = await _figures(client, plan)
    for _ in range(20):
        await asyncio.sleep(0.3)
        current = await _figures(client, plan)
        if current == previous:
            return current
        previous = current
    return previous


async def summarise(
    client: httpx.AsyncClient, plan: Plan, published: Published, observed: Observed
) -> dict[str, Any]:
    figures = await stable_figures(client, plan)
    figures["alerts"] = dict(sorted(observed.alerts.items()))
    figures["commands"] = {
        "published": sum(published.commands.values()),
        "by_type": dict(sorted(published.commands.items())),
        "dead_lettered": dict(sorted(observed.dead_letters.items())),
        "housing_reports_without_pairing": published.unpaired_housing,
        "expected_events_missing": published.missing_effects,
    }
    return {
        "scenario": plan.scenario,
        "seed": plan.seed,
        "run_id": plan.run_id,
        "scale": plan.scale,
        "window": {
            "run_in_from": plan.first_day.isoformat(),
            "from": plan.start.isoformat(),
            "to": (plan.end - timedelta(days=1)).isoformat(),
        },
        "plan": {
            "commands": len(plan.steps),
            "occupied_at_end": plan.forecast.counts["occupied_at_end"],
            "waiting_at_end": plan.forecast.counts["waiting_at_end"],
            "overdue_households_at_end": plan.forecast.counts.get("overdue_households_at_end", 0),
        },
        "figures": figures,
        "run": {
            "wall_seconds": round(published.wall_seconds, 1),
            "catching_up_seconds": {
                phase: round(seconds, 1) for phase, seconds in published.catching_up_seconds.items()
            },
            "dead_letter_reasons": observed.dead_letter_reasons,
        },
    }
