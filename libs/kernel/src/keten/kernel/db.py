"""Connection pools with the codecs the kernel relies on."""

from __future__ import annotations

from typing import Any, TypeAlias

import asyncpg
import orjson
from asyncpg.pool import PoolConnectionProxy

# A connection of its own or one borrowed from a pool: the kernel accepts either.
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"
Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"


def _encode_json(value: Any) -> str:
    return orjson.dumps(value).decode()


async def init_connection(conn: asyncpg.Connection[asyncpg.Record]) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name, encoder=_encode_json, decoder=orjson.loads, schema="pg_catalog"
        )


async def create_tables(conn: Connection, ddl: str) -> None:
    """Runs `ddl` (statements of the `IF NOT EXISTS` kind) in a transaction of its own; the
    processes of one database starting at once take turns on one advisory lock."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('keten.schema'))")
        await conn.execute(ddl)


async def _keep_session(conn: asyncpg.Connection[asyncpg.Record]) -> None:
    """A released connection goes back to the pool as it is (asyncpg still rolls back an open
    transaction first). The default reset costs a round trip per release to clear session
    state the kernel never leaves behind: settings are `SET LOCAL`, advisory locks are
    transaction-scoped or released by their taker, and nothing listens."""


async def create_pool(url: str, *, min_size: int = 2, max_size: int = 10) -> Pool:
    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        init=init_connection,
        reset=_keep_session,
        command_timeout=60,
    )
    assert pool is not None
    return pool


async def connect(url: str) -> asyncpg.Connection[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    await init_connection(conn)
    return conn
