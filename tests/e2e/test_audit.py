"""`keten audit verify` on a clean chain, and after an event was edited by hand with psql."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

import orjson
import pytest

from tests.e2e.keten_cli import keten
from tests.support.chain import Chain
from tests.support.kafka import eventually, publish_raw

pytestmark = pytest.mark.integration

EDIT_BY_HAND = (
    "ALTER TABLE keten.events DISABLE TRIGGER USER;"
    " UPDATE keten.events SET data = jsonb_set(data, '{capacity}', '9999')"
    " WHERE stream_id = 'location-azc-1';"
    " ALTER TABLE keten.events ENABLE TRIGGER USER;"
)


def open_location(location_id: str) -> bytes:
    return orjson.dumps(
        {
            "specversion": "1.0",
            "id": f"open-{location_id}",
            "source": "coa/planning",
            "type": "OpenLocation",
            "time": datetime(2026, 3, 2, 9, 30, tzinfo=UTC).isoformat(),
            "subject": location_id,
            "data": {
                "location_id": location_id,
                "name": f"AZC {location_id}",
                "type": "azc",
                "municipality_code": "GM0014",
                "capacity": 400,
            },
        }
    )


async def test_audit_passes_on_a_clean_store_and_names_the_stream_of_a_tampered_event(
    chain: Chain,
) -> None:
    locations = [f"azc-{i}" for i in range(3)]
    await publish_raw(
        chain.kafka_bootstrap,
        "capacity.commands",
        [(location.encode(), open_location(location)) for location in locations],
    )

    async def all_opened() -> bool:
        result = keten(chain, "audit", "verify")
        return "capacity     │ 3 " in result.stdout.replace("┃", "│")

    await eventually(all_opened, timeout=60, interval=0.5)
    clean = keten(chain, "audit", "verify")
    assert clean.returncode == 0, clean.stdout + clean.stderr

    subprocess.run(
        [
            "psql",
            chain.databases["capacity"],
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            EDIT_BY_HAND,
        ],
        check=True,
        capture_output=True,
    )
    tampered = keten(chain, "audit", "verify")
    assert tampered.returncode == 1
    assert "location-azc-1" in tampered.stdout
    assert "location-azc-0" not in tampered.stdout
