from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import Infra
from tests.support.chain import Chain, fresh_chain


@pytest.fixture
async def chain(infra: Infra, tmp_path: Path) -> AsyncIterator[Chain]:
    async with fresh_chain(infra.admin_database_url, tmp_path) as running:
        yield running
