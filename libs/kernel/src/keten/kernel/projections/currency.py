"""How current a read is: every query response says the position of the projection it was read
from (`Keten-Position`), and `min_position=` waits, up to 5 s, until the projection is there.

A position is a place in the service's global order, written `<transaction id>.<position>`; the
projections of one service share that order, so a position seen on one read can be asked of
another (a pairing's position, asked of the quota).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Final

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from keten.kernel import checkpoints
from keten.kernel.db import Pool
from keten.kernel.eventstore import GlobalPosition

HEADER: Final = "Keten-Position"
PARAMETER: Final = "min_position"
WAIT_SECONDS: Final = 5.0
POLL_SECONDS: Final = 0.05


@dataclass
class ReadCurrency:
    """One request's: the position it asks for, and the position it was answered from."""

    wanted: GlobalPosition | None = None
    read: GlobalPosition | None = None


CURRENT: ContextVar[ReadCurrency | None] = ContextVar("keten_read_currency", default=None)


def checkpoint_name(schema: str) -> str:
    """The checkpoint a projection's runner keeps for the schema it feeds."""
    return f"projection:{schema}"


def format_position(position: GlobalPosition) -> str:
    return f"{position.transaction_id}.{position.position}"


def parse_position(text: str) -> GlobalPosition:
    """`<transaction id>.<position>`; ValueError otherwise."""
    transaction, dot, position = text.partition(".")
    if not dot or not transaction.isdigit() or not position.isdigit() or len(text) > 40:
        raise ValueError("a position is <transaction id>.<position>, as Keten-Position says")
    return GlobalPosition(int(transaction), int(position))


async def wait_until_reached(pool: Pool, schema: str, wanted: GlobalPosition) -> bool:
    """Waits up to `WAIT_SECONDS` for the schema's checkpoint to reach `wanted`."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        async with pool.acquire() as conn:
            at = await checkpoints.load(conn, checkpoint_name(schema))
        if at >= wanted:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(POLL_SECONDS)


def install(app: FastAPI) -> None:
    """Every response that read a projection carries `Keten-Position`; every read accepts
    `min_position` (422 when it is not a position)."""

    @app.middleware("http")
    async def read_currency(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        current = ReadCurrency()
        asked = request.query_params.get(PARAMETER)
        if asked is not None:
            try:
                current.wanted = parse_position(asked)
            except ValueError as exc:
                return JSONResponse({"detail": f"{PARAMETER}: {exc}"}, status_code=422)
        token = CURRENT.set(current)
        try:
            response = await call_next(request)
        finally:
            CURRENT.reset(token)
        if current.read is not None:
            response.headers[HEADER] = format_position(current.read)
        return response
