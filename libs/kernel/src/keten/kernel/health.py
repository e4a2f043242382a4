"""Whether a service's loops are doing their work: what `/ready`, `/metrics` and `keten status`
tell.

A loop is not healthy when it has **stopped** (a projection or timer that cannot apply
something: it waits for a person, not for time) or is **stalled** (a consumer holding records
it has not been able to store for `STALL_SECONDS`, whatever the reason: a database outage or a
fault not yet isolated).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Final

from keten.kernel.metrics import LOOP_STALLED_SECONDS, LOOP_STOPPED

STALL_SECONDS: Final = 30.0


@dataclass
class LoopHealth:
    name: str
    stopped: str | None = None  # why, when the loop has stopped
    busy_since: float | None = None  # when it took the records it still holds

    def busy(self) -> None:
        """The loop holds records it is about to store."""
        if self.busy_since is None:
            self.busy_since = time.monotonic()

    def progressed(self) -> None:
        self.busy_since = None
        LOOP_STALLED_SECONDS.labels(self.name).set(0)

    def stop(self, reason: str) -> None:
        self.stopped = reason
        LOOP_STOPPED.labels(self.name).set(1)

    def resume(self) -> None:
        self.stopped = None
        LOOP_STOPPED.labels(self.name).set(0)

    def problem(self, now: float | None = None) -> str | None:
        if self.stopped is not None:
            return f"stopped: {self.stopped}"
        if self.busy_since is None:
            return None
        stalled = (time.monotonic() if now is None else now) - self.busy_since
        LOOP_STALLED_SECONDS.labels(self.name).set(stalled)
        if stalled >= STALL_SECONDS:
            return f"no progress for {stalled:.0f} s with records waiting"
        return None


@dataclass
class Health:
    """Every loop of one service."""

    loops: dict[str, LoopHealth] = field(default_factory=dict)

    def loop(self, name: str) -> LoopHealth:
        if name not in self.loops:
            self.loops[name] = LoopHealth(name)
            LOOP_STOPPED.labels(name).set(0)
        return self.loops[name]

    def problems(self, now: float | None = None) -> dict[str, str]:
        found = {name: loop.problem(now) for name, loop in sorted(self.loops.items())}
        return {name: problem for name, problem in found.items() if problem is not None}
