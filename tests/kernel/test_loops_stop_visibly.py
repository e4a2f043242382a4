"""A projection that cannot apply an event stops visibly, after a bounded number of attempts,
instead of failing in a silent loop; once its cause is mended it goes on."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from keten.kernel import eventstore
from keten.kernel.clock import SimulatedClock
from keten.kernel.db import Connection, Pool
from keten.kernel.eventstore import RecordedEvent
from keten.kernel.health import Health
from keten.kernel.health_alerts import HealthAlerts
from keten.kernel.projections import ProjectionRunner
from keten.kernel.projections import runner as projections_runner
from tests.kernel.events_for_tests import happened
from tests.support.counters import Counters

pytestmark = pytest.mark.integration
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Fussy(Counters):
    """Counters that cannot apply the counter 13, until told it may."""

    def __init__(self) -> None:
        super().__init__("fussy", "KernelTestHappened")
        self.attempts = 0
        self.mended = False

    async def apply(self, conn: Connection, event: RecordedEvent) -> None:
        if event.data["counter"] == 13 and not self.mended:
            self.attempts += 1
            raise KeyError("a bug in the projection")
        await super().apply(conn, event)


async def test_a_projection_that_cannot_apply_an_event_stops_visibly_then_resumes(
    pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(projections_runner, "STOPPED_RETRY_SECONDS", 0.5)
    async with pool.acquire() as conn:
        await eventstore.append(conn, "s-1", 0, [happened(12), happened(13), happened(14)])
    projection = Fussy()
    runner = ProjectionRunner(pool, projection, idle_seconds=0.01)
    await runner.setup()
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        async with asyncio.timeout(20):
            while runner.health.stopped is None:  # noqa: ASYNC110 - polls the runner's state
                await asyncio.sleep(0.05)
        problem = runner.health.problem()
        attempts = projection.attempts
        await asyncio.sleep(0.2)
        assert projection.attempts <= attempts + 1  # stopped: no longer tried at full pace
        projection.mended = True
        async with asyncio.timeout(20):
            while runner.health.stopped is not None:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
    assert attempts == projections_runner.MAX_ATTEMPTS
    assert problem == "stopped: cannot apply the event after start (KeyError)"
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT events, total FROM proj_fussy.counters")
    assert [(r["events"], r["total"]) for r in rows] == [(3, 39)]


async def test_a_stopped_or_stalled_loop_raises_one_alert_while_it_lasts(pool: Pool) -> None:
    health = Health()
    alerts = HealthAlerts("capacity", health, pool, SimulatedClock(T0))
    projection = health.loop("projection.occupancy")

    projection.stop("cannot apply the event after 1/2 (KeyError)")
    raised = [await alerts.look() for _ in range(3)]
    projection.resume()
    await alerts.look()
    projection.stop("cannot apply the event after 1/2 (KeyError)")
    raised.append(await alerts.look())

    assert raised == [1, 0, 0, 1]
    async with pool.acquire() as conn:
        events = await eventstore.read_stream(conn, "health-capacity")
    assert [(e.topic, e.data["kind"], e.data["summary"]) for e in events] == [
        (
            "alerts",
            "service_degraded",
            "capacity: projection.occupancy stopped: cannot apply the event after 1/2 (KeyError)",
        )
    ] * 2
