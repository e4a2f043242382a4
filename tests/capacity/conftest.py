from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from keten.capacity.app import spec
from tests.support.services import running_service


@pytest.fixture
async def capacity_api(
    kafka_bootstrap: str, scratch_database: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The capacity ledger on an empty store. Its consumer groups get a name of their own, so
    that another run of the suite at the same time cannot share their partitions."""
    service = dataclasses.replace(spec(), name=f"capacity{uuid.uuid4().hex[:8]}")
    async with running_service(service, scratch_database, kafka_bootstrap) as client:
        yield client
