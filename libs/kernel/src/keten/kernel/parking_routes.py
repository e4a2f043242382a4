"""`/admin/parked`: the messages this service keeps until a fact they need is recorded."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from keten.kernel.consumer import parking
from keten.kernel.db import Pool


def parking_router(pool: Pool) -> APIRouter:
    router = APIRouter(prefix="/admin/parked", tags=["administration"])

    @router.get("")
    async def listing(
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> list[dict[str, Any]]:
        """Parked messages, oldest event time first, each with what it waits for."""
        async with pool.acquire() as conn:
            parked = await parking.listing(conn, limit=limit)
        return [message.summary() for message in parked]

    return router
