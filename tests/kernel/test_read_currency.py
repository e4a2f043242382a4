"""Reads say how current they are: `Keten-Position` on every query response, and
`min_position=` waits (up to 5 s) until the projection has reached it."""

from __future__ import annotations

import asyncio
import time

import pytest

from keten.kernel import eventstore
from keten.kernel.db import Pool
from keten.kernel.eventstore import GlobalPosition
from keten.kernel.projections import ProjectionRunner, currency, reading
from keten.kernel.projections.currency import ReadCurrency, format_position, parse_position
from tests.kernel.events_for_tests import happened
from tests.support.counters import Counters

pytestmark = pytest.mark.integration


def test_a_position_is_written_and_read_back() -> None:
    position = GlobalPosition(1234, 56)
    assert parse_position(format_position(position)) == position
    for wrong in ("", "12", "a.b", "1.2.3", "-1.2", "1." + "9" * 40):
        with pytest.raises(ValueError, match="position"):
            parse_position(wrong)


async def test_a_read_waits_for_the_position_asked_and_says_where_it_read(pool: Pool) -> None:
    projection = Counters("currency", "KernelTestHappened")
    runner = ProjectionRunner(pool, projection)
    await runner.setup()
    async with pool.acquire() as conn:
        await eventstore.append(conn, "s-1", 0, [happened(1), happened(2)])
        head = await eventstore.head(conn)
    assert head is not None

    async def catch_up_later() -> None:
        await asyncio.sleep(0.5)
        await runner.catch_up()

    current = ReadCurrency(wanted=head)
    token = currency.CURRENT.set(current)
    started = time.monotonic()
    try:
        later = asyncio.create_task(catch_up_later())
        async with reading(pool, "proj_currency") as view:
            total = await view.fetchval("SELECT total FROM counters")
        await later
    finally:
        currency.CURRENT.reset(token)
    assert time.monotonic() - started >= 0.4  # it waited for the projection
    assert total == 3
    assert current.read == head
