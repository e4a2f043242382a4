"""`keten simulate` on the command line, and its summary as tables."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from keten.cli.main import parser
from keten.cli.simulate.command import scaled_scenario
from keten.cli.simulate.generator import generate
from keten.cli.simulate.render import render
from keten.cli.simulate.summary import _group


def test_the_command_line_takes_scenario_seed_speed_and_scale() -> None:
    args = parser().parse_args(
        ["simulate", "--scenario", "crisis-2022", "--seed", "3", "--speed", "0", "--scale", "0.05"]
    )
    assert (args.scenario, args.seed, args.speed, args.scale) == ("crisis-2022", 3, 0.0, 0.05)
    defaults = parser().parse_args(["simulate"])
    assert (defaults.scenario, defaults.seed, defaults.speed) == ("demo", 1, None)


def test_another_scale_is_another_run_with_ids_of_its_own() -> None:
    assert scaled_scenario("demo", None).name == "demo"
    smaller = scaled_scenario("demo", 0.05)
    assert smaller.name == "demo-x0.05"
    assert generate(smaller, 1).run_id == "sim-demo-x0.05-1"
    assert (
        generate(smaller, 1).forecast.counts["persons"]
        < generate(scaled_scenario("demo", None), 1).forecast.counts["persons"]
    )


def test_locations_are_summed_by_province_in_the_reference_order() -> None:
    rows = [
        {"province": "Utrecht", "capacity": 40, "occupied": 38},
        {"province": "Groningen", "capacity": 100, "occupied": 120},
        {"province": "Utrecht", "capacity": 10, "occupied": 0},
    ]
    grouped = _group(rows, "province", ("Groningen", "Utrecht"))
    assert grouped == [
        {"province": "Groningen", "locations": 1, "capacity": 100, "occupied": 120, "free": -20},
        {"province": "Utrecht", "locations": 2, "capacity": 50, "occupied": 38, "free": 12},
    ]


def _summary() -> dict[str, Any]:
    occupancy_row = {"locations": 2, "capacity": 100, "occupied": 90, "free": 10}
    figures = dict.fromkeys(("quota", "backlog", "obligation", "paired", "housed"), 5)
    figures |= {"awaiting": 0, "remaining": 0, "balance": 0}
    waiting = {"households": 1, "persons": 3}
    return {
        "scenario": "demo",
        "seed": 1,
        "run_id": "sim-demo-1",
        "scale": 0.125,
        "window": {"run_in_from": "2024-01-01", "from": "2024-01-15", "to": "2024-04-14"},
        "plan": {"commands": 10, "occupied_at_end": 90, "waiting_at_end": 3}
        | {"overdue_households_at_end": 1},
        "figures": {
            "occupancy": {
                "by_province": [{"province": "Utrecht", **occupancy_row, "reception_target": 7}],
                "by_type": [{"type": "azc", **occupancy_row}],
                "total": {
                    **occupancy_row,
                    "full_scale_occupied": 720,
                    "stable_stock": 41_000,
                    "over_capacity_locations": 0,
                },
                "national": {"capacity": 100, "occupied": 90, "stable_stock": 41_000},
            },
            "quota": {"2024-H1": {"rows": [{"province": "Utrecht", **figures}], "total": figures}},
            "housing_times": {
                "2024-H1": {
                    "households": 2,
                    "persons": 5,
                    "mean_weeks_from_permit": 12.5,
                    "p90_weeks_from_permit": 20.0,
                    "share_housed_within_14_weeks_of_pairing": 0.5,
                }
            },
            "waiting": dict.fromkeys(("open", "approaching", "overdue", "total"), waiting),
            "overdue": {"as_of": "2024-04-14T23:59:59+02:00", "households": 1, "persons": 3}
            | {"longest_days_overdue": 4},
            "alerts": {"housing_deadline_missed": 1},
            "commands": {
                "published": 10,
                "by_type": {"RegisterApplication": 10},
                "dead_lettered": {},
                "housing_reports_without_pairing": 0,
            },
        },
        "run": {"wall_seconds": 1.0, "catching_up_seconds": {}, "dead_letter_reasons": []},
    }


def test_the_summary_prints_as_tables() -> None:
    out = io.StringIO()
    render(_summary(), Console(file=out, width=120))
    text = out.getvalue()
    for title in ("Occupancy by province", "Housing quota 2024-H1", "Permit holders waiting"):
        assert title in text
    assert "housing_deadline_missed" in text
    assert "≈ 720 at full scale" in text
