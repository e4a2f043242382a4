from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from keten.kernel import schema
from keten.kernel.db import Pool, create_pool


@pytest.fixture
async def pool(scratch_database: str) -> AsyncIterator[Pool]:
    """A pool on a fresh database with the event store's tables."""
    pool = await create_pool(scratch_database, min_size=2, max_size=20)
    async with pool.acquire() as conn:
        await schema.setup(conn)
    yield pool
    await pool.close()
