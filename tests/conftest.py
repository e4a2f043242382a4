"""Where the real broker and database are.

From the environment when set (`make test` sets it); else from testcontainers when a Docker
daemon answers; else every test that needs them fails, saying how to start them.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import pytest

ROOT = Path(__file__).resolve().parent.parent
HOW_TO_START = (
    "start the real broker and database with `make run` (or `make infra-up`), "
    "or run the tests through `make test`"
)


def load_infra_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"infra_{name}", ROOT / "infra" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Infra:
    kafka_bootstrap: str
    admin_database_url: str
    service_database_urls: dict[str, str]


def reachable(host_port: str) -> bool:
    host, port = host_port.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except OSError:
        return False


def docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]  # noqa: PLC0415 - only with Docker

        docker.from_env(timeout=3).ping()
    except Exception:
        return False
    return True


def infra_from_environment() -> Infra | None:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    admin_url = os.environ.get("KETEN_ADMIN_DATABASE_URL")
    if not bootstrap or not admin_url:
        return None
    databases = load_infra_module("databases")
    urls = {
        service: os.environ.get(f"{service.upper()}_DATABASE_URL")
        or databases.service_database_url(admin_url, service)
        for service in databases.SERVICES
    }
    return Infra(bootstrap, admin_url, urls)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    found = infra_from_environment()
    if found is not None:
        for name, address in [
            ("Kafka", found.kafka_bootstrap.split(",")[0]),
            ("PostgreSQL", found.admin_database_url.rsplit("@", 1)[1].split("/")[0]),
        ]:
            if not reachable(address):
                pytest.fail(f"{name} is not answering on {address}: {HOW_TO_START}", pytrace=False)
        yield found
    elif docker_answers():
        yield from infra_from_containers()
    else:
        pytest.fail(
            "no Kafka or PostgreSQL: KAFKA_BOOTSTRAP_SERVERS and KETEN_ADMIN_DATABASE_URL are "
            f"unset and no Docker daemon answers; {HOW_TO_START}",
            pytrace=False,
        )


def infra_from_containers() -> Iterator[Infra]:
    import asyncio  # noqa: PLC0415

    from testcontainers.kafka import KafkaContainer  # noqa: PLC0415
    from testcontainers.postgres import PostgresContainer  # noqa: PLC0415

    databases = load_infra_module("databases")
    topics = load_infra_module("topics")
    with (
        KafkaContainer("apache/kafka:4.1.1").with_kraft() as kafka,
        PostgresContainer("postgres:15", username="keten", password="keten", dbname="keten") as pg,
    ):
        admin_url = pg.get_connection_url(driver=None)
        bootstrap = kafka.get_bootstrap_server()
        os.environ["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
        asyncio.run(databases.provision(admin_url))
        asyncio.run(topics.main())
        urls = {s: databases.service_database_url(admin_url, s) for s in databases.SERVICES}
        yield Infra(bootstrap, admin_url, urls)


@pytest.fixture
def kafka_bootstrap(infra: Infra) -> str:
    return infra.kafka_bootstrap


@pytest.fixture
async def scratch_database(infra: Infra) -> AsyncIterator[str]:
    """A database of its own for one test, dropped afterwards."""
    async for url in _scratch_database(infra):
        yield url


@pytest.fixture
async def other_scratch_database(infra: Infra) -> AsyncIterator[str]:
    """A second database for a test that runs two services, each with its own store."""
    async for url in _scratch_database(infra):
        yield url


async def _scratch_database(infra: Infra) -> AsyncIterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin: Any = await asyncpg.connect(infra.admin_database_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    base = infra.admin_database_url.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    admin = await asyncpg.connect(infra.admin_database_url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()
