"""Schemas that hold a projection's tables, and the digest of their rows."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from keten.kernel import checkpoints
from keten.kernel.db import Connection, Pool
from keten.kernel.projections import currency
from keten.kernel.projections.model import Projection

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def checked(identifier: str) -> str:
    """Schema and table names are built from projection names: keep them plain."""
    if not _IDENTIFIER.match(identifier):
        raise ValueError(f"not a plain identifier: {identifier!r}")
    return identifier


async def use_schema(conn: Connection, schema: str) -> None:
    """Points unqualified names at `schema` for the rest of the current transaction."""
    await conn.execute(f"SET LOCAL search_path TO {checked(schema)}, public")


async def create_schema(conn: Connection, schema: str, projection: Projection) -> None:
    async with conn.transaction():
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {checked(schema)}")
        await use_schema(conn, schema)
        await projection.create(conn)


async def drop_schema(conn: Connection, schema: str) -> None:
    await conn.execute(f"DROP SCHEMA IF EXISTS {checked(schema)} CASCADE")


async def schema_exists(conn: Connection, schema: str) -> bool:
    found = await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema)
    return found is not None


async def digest(conn: Connection, schema: str, projection: Projection) -> str:
    """SHA-256 over every row of every table, in a fixed order: equal rows, equal digest."""
    total = hashlib.sha256()
    for table in sorted(projection.tables):
        rows_digest = await conn.fetchval(
            f"SELECT encode(sha256(convert_to(coalesce("  # noqa: S608 - checked names
            f"string_agg(t::text, E'\\n' ORDER BY t::text), ''), 'UTF8')), 'hex') "
            f"FROM {checked(schema)}.{checked(table)} t"
        )
        total.update(f"{table}:{rows_digest}\n".encode())
    return total.hexdigest()


@asynccontextmanager
async def reading(pool: Pool, schema: str) -> AsyncIterator[Connection]:
    """A read-only transaction whose unqualified names are `schema`'s tables. Within a request
    that asks for a position, it first waits for the projection to reach it; it notes the
    position it reads at, for the response's `Keten-Position`."""
    current = currency.CURRENT.get()
    if current is not None and current.wanted is not None:
        await currency.wait_until_reached(pool, schema, current.wanted)
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        await use_schema(conn, schema)
        if current is not None:
            current.read = await checkpoints.load(conn, currency.checkpoint_name(schema))
        yield conn
