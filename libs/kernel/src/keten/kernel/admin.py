"""Administration endpoints every service serves: its projections' digests, rebuilds (with
progress streamed as JSON lines) and the audit of its event store."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from keten.kernel import audit
from keten.kernel.db import Pool
from keten.kernel.projections import Projection, build_as_of, live_digest, rebuild


def _line(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value) + b"\n"


async def _rebuilding(
    pool: Pool, projection: Projection, *, swap: bool, as_of: AwareDatetime | None
) -> AsyncIterator[bytes]:
    progress: asyncio.Queue[tuple[int, int]] = asyncio.Queue()

    def report(done: int, total: int) -> None:
        progress.put_nowait((done, total))

    async def work() -> dict[str, Any]:
        if as_of is not None:
            schema = await build_as_of(pool, projection, as_of, progress=report)
            return {"projection": projection.name, "as_of": as_of.isoformat(), "schema": schema}
        result = await rebuild(pool, projection, swap=swap, progress=report)
        return {
            "projection": result.projection,
            "events": result.events,
            "digest": result.digest,
            "live_digest": result.live_digest,
            "equal": result.equal,
            "swapped": result.swapped,
        }

    # A client that goes away, or a shutdown, cancels the rebuild: it never swaps unseen.
    task = asyncio.create_task(work())
    try:
        while not task.done():
            try:
                done, total = await asyncio.wait_for(progress.get(), 0.5)
            except TimeoutError:
                continue
            yield _line({"done": done, "total": total})
        while not progress.empty():
            done, total = progress.get_nowait()
            yield _line({"done": done, "total": total})
        yield _line({"result": await task})
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def admin_router(pool: Pool, projections: dict[str, Projection]) -> APIRouter:
    router = APIRouter(prefix="/admin", tags=["administration"])

    def find(name: str) -> Projection:
        if name not in projections:
            raise HTTPException(404, f"no projection {name!r}; known: {sorted(projections)}")
        return projections[name]

    @router.get("/projections")
    async def digests() -> dict[str, str]:
        """Each projection's digest: a SHA-256 over its rows in a fixed order."""
        return {name: await live_digest(pool, p) for name, p in sorted(projections.items())}

    @router.post("/projections/{name}/rebuild")
    async def rebuild_projection(
        name: str,
        swap: bool = False,  # noqa: FBT001, FBT002 - a query flag
        as_of: Annotated[AwareDatetime | None, Query()] = None,
    ) -> StreamingResponse:
        """Replays the log into a fresh copy and compares it with the live projection (and
        with `swap`, puts it in place); with `as_of`, keeps the historical view for reads.
        Streams `{"done", "total"}` lines, then `{"result": …}`."""
        stream = _rebuilding(pool, find(name), swap=swap, as_of=as_of)
        return StreamingResponse(stream, media_type="application/x-ndjson")

    @router.get("/audit")
    async def verify() -> dict[str, Any]:
        """Gaps in stream versions and breaks in the hash chain of the event store."""
        async with pool.acquire() as conn:
            report = await audit.verify(conn)
        return {
            "events": report.events,
            "streams": report.streams,
            "clean": report.clean,
            "findings": [f.describe() for f in report.findings],
        }

    return router
