"""The quota projection's running totals agree with its pairing rows, through new pairings,
pairings by hand that replace them, housing, and a schema made before the totals existed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Final

import pytest

from keten.contracts.housing import Housed, PairedWithMunicipality, PairingReason
from keten.contracts.messages import Event
from keten.contracts.values import Household
from keten.housing.projections.quota import QuotaProjection, read_figures
from keten.kernel.db import Connection, create_pool
from keten.kernel.eventstore import GlobalPosition, RecordedEvent
from keten.kernel.projections import schemas

pytestmark = pytest.mark.integration

SCHEMA: Final = "quota_totals_test"
H1: Final = datetime(2026, 3, 2, 10, tzinfo=UTC)
H2: Final = datetime(2026, 8, 3, 10, tzinfo=UTC)

# The figures' definition over the pairing rows themselves (what the totals must reproduce).
BY_ROWS: Final = """
SELECT municipality_code, paired_period, housed_period, sum(persons)::int AS persons
  FROM case_pairings GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""
TOTALS: Final = """
SELECT municipality_code, paired_period, housed_period, persons
  FROM pairing_totals ORDER BY 1, 2, 3
"""


def recorded(event: Event, at: datetime, n: int) -> RecordedEvent:
    return RecordedEvent(
        position=GlobalPosition(1, n),
        stream_id=f"test-{n}",
        version=1,
        event_id=f"e-{n}",
        event_type=event.type_name(),
        schema_version=event.schema_version,
        subject="test",
        topic=None,
        data=event.model_dump(mode="json"),
        occurred_at=at,
        recorded_at=at,
        correlation_id=None,
        causation_id=None,
        source="tests",
    )


def paired(case_id: str, code: str, persons: int) -> Event:
    return PairedWithMunicipality(
        case_id=case_id,
        municipality_code=code,
        persons=persons,
        household=Household(adults=1, minors=persons - 1),
        paired_on=date(2026, 3, 2),
        due_on=date(2026, 6, 8),
        manual=False,
        reason=PairingReason(rule="national"),
    )


def housed(case_id: str, code: str, persons: int, period: str) -> Event:
    return Housed(
        case_id=case_id, municipality_code=code, kind="regular", persons=persons, period=period
    )


async def rows(conn: Connection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in await conn.fetch(sql)]


async def test_totals_follow_pairings_replacements_and_housing(scratch_database: str) -> None:
    projection = QuotaProjection()
    history = [
        (paired("c1", "GM0014", 3), H1),
        (paired("c2", "GM0014", 2), H1),
        (paired("c3", "GM0034", 4), H1),
        (paired("c1", "GM0034", 3), H2),  # by hand: c1 moves to GM0034 in H2
        (housed("c2", "GM0014", 2, "2026-H2"), H2),
        (housed("c2", "GM0014", 2, "2026-H2"), H2),  # a second housing is not counted
        (housed("c3", "GM0034", 4, "2026-H1"), H1),
    ]
    pool = await create_pool(scratch_database)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await schemas.create_schema(conn, SCHEMA, projection)
            await schemas.use_schema(conn, SCHEMA)
            for n, (event, at) in enumerate(history):
                await projection.apply(conn, recorded(event, at, n))
            totals = await rows(conn, TOTALS)
            by_rows = await rows(conn, BY_ROWS)
            figures = {p: await read_figures(conn, p) for p in ("2026-H1", "2026-H2")}
            # a schema made before the totals: they are filled from the rows
            await conn.execute("DROP TABLE pairing_totals")
            await projection.create(conn)
            refilled = await rows(conn, TOTALS)
    finally:
        await pool.close()

    assert totals == by_rows == refilled
    assert totals == [
        ("GM0014", "2026-H1", "2026-H2", 2),
        ("GM0034", "2026-H1", "2026-H1", 4),
        ("GM0034", "2026-H2", None, 3),
    ]
    h1, h2 = figures["2026-H1"], figures["2026-H2"]
    assert (h1["GM0014"].paired, h1["GM0014"].awaiting, h1["GM0014"].housed) == (2, 2, 0)
    assert (h1["GM0034"].paired, h1["GM0034"].awaiting, h1["GM0034"].housed) == (4, 0, 4)
    assert (h2["GM0014"].paired, h2["GM0014"].awaiting, h2["GM0014"].housed) == (0, 0, 2)
    assert (h2["GM0034"].paired, h2["GM0034"].awaiting, h2["GM0034"].housed) == (3, 3, 0)
