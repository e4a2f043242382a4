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
from typing import Final, Literal

from keten.kernel.metrics import LOOP_STALLED_SECONDS, LOOP_STOPPED

STALL_SECONDS: Final = 30.0


State = Literal["stopped", "stalled"]


@dataclass
class LoopHealth:
    """One loop's health; its gauges read it when scraped, so they are never out of date."""

    name: str
    stopped: str | None = None  # why, when the loop has stopped
    busy_since: float | None = None  # when it took the records it still holds

    def __post_init__(self) -> None:
        LOOP_STOPPED.labels(self.name).set_function(lambda: float(self.stopped is not None))
        LOOP_STALLED_SECONDS.labels(self.name).set_function(self.stalled_seconds)

    def busy(self) -> None:
        """The loop holds records it is about to store."""
        if self.busy_since is None:
            self.busy_since = time.monotonic()

    def progressed(self) -> None:
        self.busy_since = None

    def stop(self, reason: str) -> None:
        self.stopped = reason

    def resume(self) -> None:
        self.stopped = None

    def stalled_seconds(self, now: float | None = None) -> float:
        if self.busy_since is None:
            return 0.0
        return (time.monotonic() if now is None else now) - self.busy_since

    def state(self, now: float | None = None) -> State | None:
        if self.stopped is not None:
            return "stopped"
        return "stalled" if self.stalled_seconds(now) >= STALL_SECONDS else None

    def problem(self, now: float | None = None) -> str | None:
        match self.state(now):
            case "stopped":
                return f"stopped: {self.stopped}"
            case "stalled":
                return f"no progress for {self.stalled_seconds(now):.0f} s with records waiting"
        return None


@dataclass
class Health:
    """Every loop of one service."""

    loops: dict[str, LoopHealth] = field(default_factory=dict)

    def loop(self, name: str) -> LoopHealth:
        if name not in self.loops:
            self.loops[name] = LoopHealth(name)
        return self.loops[name]

    def problems(self, now: float | None = None) -> dict[str, str]:
        found = {name: loop.problem(now) for name, loop in sorted(self.loops.items())}
        return {name: problem for name, problem in found.items() if problem is not None}
