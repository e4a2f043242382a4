"""Runs parked messages again once what they wait for is recorded; gives up on those that
waited too long. One loop per service, for all its consumers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Final

from keten.kernel.consumer import parking
from keten.kernel.consumer.model import Outcome
from keten.kernel.consumer.parking import ParkedMessage
from keten.kernel.consumer.processor import RecordProcessor
from keten.kernel.db import Pool
from keten.kernel.health import LoopHealth
from keten.kernel.logging import get_logger
from keten.kernel.metrics import MESSAGES_UNPARKED, PARKED_MESSAGES
from keten.kernel.sealing import DeadLetterKey, open_personal
from keten.kernel.waiting import first_event

log = get_logger(__name__)

PAGE: Final = 200
MAX_PAGES: Final = 50  # pages a round runs before it looks at the limit and the gauge again


class Unparker:
    """Wakes on the service's commits (a fact may have been recorded) and every poll."""

    def __init__(  # noqa: PLR0913 - the collaborators and settings, named
        self,
        pool: Pool,
        processors: Mapping[str, RecordProcessor],
        key: DeadLetterKey,
        *,
        max_wait: timedelta,
        poll_seconds: float = 1.0,
        health: LoopHealth | None = None,
    ) -> None:
        self.health = health or LoopHealth("parking")
        self._pool = pool
        self._processors = processors
        self._key = key
        self._max_wait = max_wait
        self._poll_seconds = poll_seconds
        self._woken = asyncio.Event()
        self._tended_at: float | None = None  # when it last gave up on and counted what waits

    def wake(self) -> None:
        self._woken.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._woken.clear()
            try:
                await self.round()
            except Exception as exc:  # noqa: BLE001 - an outage must not end the loop
                log.warning("parking.round_failed", error=type(exc).__name__)
            await first_event(self._woken, stop, seconds=self._poll_seconds)

    async def round(self) -> int:
        """Runs every ready message, oldest event time first, until none is ready; returns how
        many ran. Once a poll (not on every commit that wakes it) it also gives up on what
        waited too long and counts what waits."""
        tending = self._tended_at is None or (
            time.monotonic() - self._tended_at >= self._poll_seconds
        )
        if tending:
            await self._give_up_overdue()
        ran = await self._run_ready()
        if tending:
            await self._count()
            self._tended_at = time.monotonic()
        return ran

    async def _give_up_overdue(self) -> None:
        async with self._pool.acquire() as conn:
            overdue = await parking.overdue(conn, list(self._processors), self._max_wait, PAGE)
        for parked in overdue:
            if await self._processors[parked.consumer].give_up(parked, self._opened(parked)):
                log.warning(
                    "message.waited_too_long",
                    consumer=parked.consumer,
                    message_id=parked.message_id,
                    message_type=parked.message_type,
                    waited_for=parked.what,
                )

    async def _run_ready(self) -> int:
        ran = 0
        for _ in range(MAX_PAGES):
            async with self._pool.acquire() as conn:
                ready = await parking.ready(conn, list(self._processors), PAGE)
            if not ready:
                break
            self.health.busy()
            for parked in ready:
                await self._rerun(parked)
                ran += 1
            self.health.progressed()
        return ran

    async def _rerun(self, parked: ParkedMessage) -> None:
        processor = self._processors[parked.consumer]
        outcome = await processor.rerun(parked.record(self._opened(parked)))
        MESSAGES_UNPARKED.labels(parked.consumer, outcome.value).inc()
        if outcome in (Outcome.DUPLICATE, Outcome.IGNORED):
            # It took effect otherwise (its inbox row says so): it waits for nothing.
            async with self._pool.acquire() as conn:
                await parking.unpark(conn, parked.consumer, parked.message_id)
        elif outcome is Outcome.PARKED:
            async with self._pool.acquire() as conn:
                await parking.wait_again(conn, parked)

    def _opened(self, parked: ParkedMessage) -> bytes:
        return open_personal(self._key, parked.value) if parked.sealed else parked.value

    async def _count(self) -> None:
        async with self._pool.acquire() as conn:
            counts = await parking.counts(conn)
        for consumer in self._processors:
            PARKED_MESSAGES.labels(consumer).set(counts.get(consumer, 0))
