"""The clock the timers follow: real time in production, simulated time in tests and replays."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What time it is, and a way to wait for a moment.

    `now()` is timezone-aware UTC. `sleep_until` returns once the clock has reached `moment`,
    or after at most `max_seconds` of real time, whichever comes first: callers re-check.
    """

    def now(self) -> datetime: ...

    async def sleep_until(self, moment: datetime, max_seconds: float) -> None: ...


class WallClock:
    """Real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, moment: datetime, max_seconds: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_seconds

        def left() -> float:
            return min((moment - self.now()).total_seconds(), deadline - loop.time())

        # The loop's timer may wake a hair early: sleep again for what is left.
        while (delay := left()) > 0:  # noqa: ASYNC110 - no event marks a moment of real time
            await asyncio.sleep(delay)


class SimulatedClock:
    """Time that only moves when told to, and never backwards.

    Sleepers are woken when the simulated time reaches their moment: each move of the time
    sets the event the sleepers wait on and replaces it with a fresh one.
    """

    def __init__(self, start: datetime) -> None:
        self._now = _utc(start)
        self._moved = asyncio.Event()

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        """Moves the time to `moment`; a moment before now is ignored."""
        moment = _utc(moment)
        if moment <= self._now:
            return
        self._now = moment
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()

    def advance(self, delta: timedelta) -> None:
        self.set(self._now + delta)

    async def sleep_until(self, moment: datetime, max_seconds: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_seconds
        while self._now < moment:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            moved = self._moved
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await moved.wait()


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a clock's moments are timezone-aware")
    return moment.astimezone(UTC)


class EventTimeClock:
    """The newest event time seen, running on at real speed in between.

    For simulations and replays of history: timers follow the time of the messages as they
    arrive (a pairing made on 3 March 2022 is overdue when the stream reaches mid-June 2022,
    not at once because the wall clock says 2026), and between messages time flows as usual.
    """

    def __init__(self, start: datetime) -> None:
        self._anchor = _utc(start)
        self._anchor_at = time.monotonic()
        self._moved = asyncio.Event()

    def now(self) -> datetime:
        return self._anchor + timedelta(seconds=time.monotonic() - self._anchor_at)

    def observe(self, moment: datetime) -> None:
        """Moves the time forward to `moment` if it is later than now."""
        moment = _utc(moment)
        if moment <= self.now():
            return
        self._anchor, self._anchor_at = moment, time.monotonic()
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()

    async def sleep_until(self, moment: datetime, max_seconds: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_seconds
        while (left := min((moment - self.now()).total_seconds(), deadline - loop.time())) > 0:
            moved = self._moved
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(left):
                    await moved.wait()
