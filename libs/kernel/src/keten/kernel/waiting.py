"""How the kernel's loops sleep: until the first of several things happens (a wake-up, the stop,
a due time), or at most a while."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any


async def first_of(*waits: Awaitable[Any], seconds: float | None = None) -> None:
    """Returns once any of `waits` is done, or after `seconds`; the rest are cancelled."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def first_event(*events: asyncio.Event, seconds: float | None = None) -> None:
    """Returns once any of `events` is set, or after `seconds`."""
    await first_of(*(event.wait() for event in events), seconds=seconds)
