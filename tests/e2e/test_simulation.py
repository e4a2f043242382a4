"""The whole chain as one product: the demo simulation through four service processes.

Each run gets fresh state: a Kafka broker of its own and fresh databases.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import Infra
from tests.e2e.keten_cli import keten
from tests.support import summaries
from tests.support.chain import Chain, fresh_chain
from tests.support.kafka import read_to_end
from tests.support.summaries import differences

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1800)]

DEMO = ("simulate", "--scenario", "demo", "--seed", "1")


def figures(summary_file: Path) -> dict[str, Any]:
    """What the summary says of the chain (leaving out how long it took)."""
    summary: dict[str, Any] = orjson.loads(summary_file.read_bytes())
    return summaries.figures(summary)


def simulate(chain: Chain, summary_file: Path) -> None:
    result = keten(chain, *DEMO, "--summary-json", str(summary_file), timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


async def get(chain: Chain, service: str, path: str) -> Any:
    async with httpx.AsyncClient(base_url=chain.env[f"KETEN_{service.upper()}_URL"]) as api:
        response = await api.get(path, timeout=60)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="module")
async def undisturbed(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo's figures from an undisturbed run, checked for the chain's invariants."""
    state = tmp_path_factory.mktemp("undisturbed")
    async with fresh_chain(infra.admin_database_url, state) as chain:
        await asyncio.to_thread(simulate, chain, state / "summary.json")
        await assert_invariants(chain)
    return figures(state / "summary.json")


async def assert_invariants(chain: Chain) -> None:
    rebuilt = keten(chain, "rebuild", "--all")
    assert rebuilt.returncode == 0, rebuilt.stdout
    assert "NO" not in rebuilt.stdout
    audited = keten(chain, "audit", "verify")
    assert audited.returncode == 0, audited.stdout

    # Occupancy adds up to the persons placement reports in reception.
    in_reception = Counter[str]()
    for record in await read_to_end(chain.kafka_bootstrap, "placement.events"):
        event = orjson.loads(record.value)
        data = event["data"]
        if event["type"] == "AdmittedToApplicationCentre":
            in_reception[data["case_id"]] += data["persons"]
        elif event["type"] == "LeftReception":
            in_reception[data["case_id"]] -= data["persons"]
    national = (await get(chain, "capacity", "/occupancy?by=national"))["rows"][0]
    assert national["occupied"] == sum(in_reception.values())
    assert national["occupied"] > 0

    # No location over capacity.
    locations = (await get(chain, "capacity", "/occupancy?by=location"))["rows"]
    assert [row["location_id"] for row in locations if row["over_capacity"]] == []

    # Quota figures add up from municipalities to provinces to the nation.
    for period in ("2024-H1",):
        by_municipality = await get(chain, "housing", f"/quota?period={period}&by=municipality")
        by_province = await get(chain, "housing", f"/quota?period={period}&by=province")
        for province in by_province["rows"]:
            rows = [r for r in by_municipality["rows"] if r["province"] == province["province"]]
            for figure in ("quota", "paired", "housed", "obligation", "remaining"):
                assert province[figure] == sum(r[figure] for r in rows), (province, figure)
        for figure in ("quota", "paired", "housed"):
            assert by_province["total"][figure] == sum(r[figure] for r in by_province["rows"])
        assert by_province["total"]["quota"] > 0


@pytest.fixture
async def second_chain(infra: Infra, tmp_path: Path) -> AsyncIterator[Chain]:
    async with fresh_chain(infra.admin_database_url, tmp_path) as chain:
        yield chain


async def test_the_demo_twice_on_fresh_state_gives_the_same_summary(
    undisturbed: dict[str, Any], second_chain: Chain, tmp_path: Path
) -> None:
    await asyncio.to_thread(simulate, second_chain, tmp_path / "again.json")
    assert differences(figures(tmp_path / "again.json"), undisturbed) == {}
    assert undisturbed["figures"]["commands"]["published"] > 1000


async def test_a_service_killed_mid_simulation_ends_with_the_undisturbed_figures(
    undisturbed: dict[str, Any], second_chain: Chain, tmp_path: Path
) -> None:
    summary_file = tmp_path / "killed.json"
    run = subprocess.Popen(
        [sys.executable, "-m", "keten.cli.main", *DEMO, "--summary-json", str(summary_file)],
        env=second_chain.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    await asyncio.sleep(25)
    assert run.poll() is None, "the simulation ended before the kill"
    second_chain.kill("placement")
    await asyncio.sleep(2)
    second_chain.start("placement")
    await second_chain.wait_ready()
    returncode = await asyncio.to_thread(run.wait, 900)
    assert returncode == 0, run.stderr.read().decode()[-3000:] if run.stderr else ""
    assert differences(figures(summary_file), undisturbed) == {}
