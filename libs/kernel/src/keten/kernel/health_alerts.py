"""An alert for people when a loop of the service stops or stalls: an `Alert` of kind
`service_degraded` on `alerts`, through the service's own store like every other event.

Each problem is raised once while it lasts; when it is gone and comes back, it is raised again.
An alert that cannot be stored now (the database is the problem) is tried on the next look.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Final

from keten.contracts.alerts import Alert
from keten.kernel import eventstore
from keten.kernel.clock import Clock
from keten.kernel.db import Pool
from keten.kernel.eventstore import NewEvent
from keten.kernel.health import Health, State
from keten.kernel.logging import get_logger

log = get_logger(__name__)
LOOK_EVERY_SECONDS: Final = 5.0


def stream_id(service: str) -> str:
    return f"health-{service}"


class HealthAlerts:
    def __init__(self, service: str, health: Health, pool: Pool, clock: Clock) -> None:
        self._service = service
        self._health = health
        self._pool = pool
        self._clock = clock
        self._raised: dict[str, State] = {}  # loop -> the state already alerted

    async def look(self) -> int:
        """Raises an alert for each new problem; returns how many it raised."""
        loops = self._health.loops
        states = {name: loop.state() for name, loop in loops.items()}
        self._raised = {name: state for name, state in self._raised.items() if states[name]}
        new = {
            name: state
            for name, state in states.items()
            if state is not None and self._raised.get(name) != state
        }
        if not new:
            return 0
        async with self._pool.acquire() as conn, conn.transaction():
            version = len(await eventstore.read_stream(conn, stream_id(self._service)))
            events = [
                self._alert(name, loops[name].problem() or state)
                for name, state in sorted(new.items())
            ]
            await eventstore.append(conn, stream_id(self._service), version, events)
        self._raised.update(new)
        return len(new)

    def _alert(self, loop: str, problem: str) -> NewEvent:
        alert = Alert(
            kind="service_degraded",
            subject_id=self._service,
            summary=f"{self._service}: {loop} {problem}"[:300],
            figures={"loop": loop[:200]},
        )
        return NewEvent(
            message=alert,
            subject=self._service,
            occurred_at=self._clock.now(),
            source=f"keten/{self._service}",
        )

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.look()
            except Exception as exc:  # noqa: BLE001 - tried again on the next look
                log.warning("health_alert.failed", error=type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), LOOK_EVERY_SECONDS)
