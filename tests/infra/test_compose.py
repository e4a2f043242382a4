"""docker-compose.yml and the Dockerfile run the chain as `make run` does, read without Docker."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from keten.kernel.settings import SETTING_NAMES
from tests.conftest import ROOT, load_infra_module

SERVICES: tuple[str, ...] = tuple(load_infra_module("databases").SERVICES)
# The query API's port per service, as ../shared/contract.md publishes them.
CONTRACT_PORTS = {"registration": 8081, "placement": 8082, "housing": 8083, "capacity": 8084}
INTERNAL_KAFKA = "kafka:9092"


def compose_file() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


COMPOSE = compose_file()


def container(name: str) -> dict[str, Any]:
    services = COMPOSE["services"]
    assert name in services, f"docker-compose.yml has no `{name}` service"
    entry = services[name]
    assert isinstance(entry, dict)
    return entry


def command(name: str) -> list[str]:
    raw = container(name).get("command")
    assert raw is not None, f"`{name}` has no command"
    return shlex.split(raw) if isinstance(raw, str) else [str(part) for part in raw]


def environment(name: str) -> dict[str, str]:
    raw = container(name).get("environment", {})
    if isinstance(raw, list):
        return dict(str(item).split("=", 1) for item in raw)
    return {str(key): str(value) for key, value in raw.items()}


def published_ports(name: str) -> set[tuple[int, int]]:
    """(host port, container port) pairs, from the short or the long syntax."""
    pairs: set[tuple[int, int]] = set()
    for entry in container(name).get("ports", []):
        if isinstance(entry, dict):
            pairs.add((int(entry["published"]), int(entry["target"])))
        else:
            *_, host, target = str(entry).split("/", 1)[0].split(":")
            pairs.add((int(host), int(target)))
    return pairs


def build_source(name: str) -> tuple[Path, Path]:
    """(context, Dockerfile) a container's image is built from."""
    build = container(name).get("build")
    assert build is not None, f"`{name}` is not built from the project"
    if isinstance(build, str):
        context, dockerfile = ROOT / build, "Dockerfile"
    else:
        context, dockerfile = (
            ROOT / build.get("context", "."),
            build.get("dockerfile", "Dockerfile"),
        )
    return context.resolve(), (context / dockerfile).resolve()


def healthcheck(name: str) -> str:
    test = container(name).get("healthcheck", {}).get("test")
    assert test, f"`{name}` has no healthcheck"
    return test if isinstance(test, str) else " ".join(str(part) for part in test)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    lines = [
        line
        for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    ]
    joined = "\n".join(lines).replace("\\\n", " ")
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, arguments = line.strip().partition(" ")
            instructions.append((keyword.upper(), " ".join(arguments.split())))
    return instructions


def test_compose_runs_a_container_for_each_service_of_the_chain() -> None:
    assert set(SERVICES) == set(CONTRACT_PORTS)
    for service in SERVICES:
        container(service)


def test_every_service_and_the_setup_step_are_built_from_the_one_dockerfile() -> None:
    sources = {build_source(name) for name in (*SERVICES, "setup")}
    assert sources == {(ROOT.resolve(), (ROOT / "Dockerfile").resolve())}
    assert (ROOT / "Dockerfile").is_file()


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_runs_its_own_python_module(service: str) -> None:
    assert command(service) == ["python", "-m", f"keten.{service}"]


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_given_exactly_the_settings_the_code_reads(service: str) -> None:
    assert set(environment(service)) == set(SETTING_NAMES)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_uses_its_own_role_and_database(service: str) -> None:
    url = urlsplit(environment(service)["DATABASE_URL"])
    assert url.scheme == "postgresql"
    assert (url.username, url.password) == (service, service)
    assert (url.hostname, url.port) == ("postgres", 5432)
    assert url.path == f"/{service}"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_serves_its_contract_port_and_publishes_it(service: str) -> None:
    env = environment(service)
    port = CONTRACT_PORTS[service]
    assert env["HTTP_PORT"] == str(port)
    assert env["HTTP_HOST"] == "0.0.0.0"  # noqa: S104 - inside its container, for the port mapping
    assert (port, port) in published_ports(service)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_reaches_kafka_on_the_listener_for_containers(service: str) -> None:
    assert environment(service)["KAFKA_BOOTSTRAP_SERVERS"] == INTERNAL_KAFKA
    assert INTERNAL_KAFKA in environment("kafka")["KAFKA_ADVERTISED_LISTENERS"]


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_follows_the_wall_clock_and_logs_at_info(service: str) -> None:
    env = environment(service)
    assert (env["KETEN_CLOCK"], env["LOG_LEVEL"]) == ("wall", "info")


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_starts_only_after_the_setup_step_succeeded(service: str) -> None:
    depends_on = container(service).get("depends_on")
    assert isinstance(depends_on, dict), "the condition needs the long depends_on syntax"
    assert depends_on["setup"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_healthy_only_when_ready(service: str) -> None:
    assert "/ready" in healthcheck(service)


def test_setup_provisions_the_databases_and_then_creates_the_topics() -> None:
    script = " ".join(command("setup"))
    assert "python infra/databases.py" in script
    assert "python infra/topics.py" in script
    env = environment("setup")
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == INTERNAL_KAFKA
    assert "KETEN_PARTITIONS" in env


def test_setup_provisions_as_the_administrator_postgres_creates() -> None:
    admin = urlsplit(environment("setup")["KETEN_ADMIN_DATABASE_URL"])
    postgres = environment("postgres")
    assert (admin.username, admin.password) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
    )
    assert admin.path == f"/{postgres['POSTGRES_DB']}"
    assert (admin.hostname, admin.port) == ("postgres", 5432)


def test_setup_waits_for_a_healthy_broker_and_database() -> None:
    depends_on = container("setup")["depends_on"]
    assert depends_on["kafka"]["condition"] == "service_healthy"
    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert "kafka-" in healthcheck("kafka")
    assert "pg_isready" in healthcheck("postgres")


def test_kafka_is_a_single_kraft_node_that_creates_no_topics_on_its_own() -> None:
    kafka = container("kafka")
    env = environment("kafka")
    assert kafka["image"] == "apache/kafka:4.1.1"
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"].lower() == "false"
    replication = [key for key in env if key.endswith("REPLICATION_FACTOR")]
    assert "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR" in replication
    assert "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR" in replication
    assert all(env[key] == "1" for key in replication)


def test_postgres_is_published_where_the_host_setup_listens() -> None:
    assert container("postgres")["image"] == "postgres:15"
    env = environment("postgres")
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_DB"]) == ("keten",) * 3
    assert (55432, 5432) in published_ports("postgres")


def test_the_image_installs_the_locked_workspace_without_dev_tools() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    runs = " ".join(arguments for keyword, arguments in instructions if keyword == "RUN")
    assert "pip install" in runs
    assert "uv" in runs
    assert "uv sync --frozen --no-dev" in runs
    copied = " ".join(arguments for keyword, arguments in instructions if keyword == "COPY")
    for part in ("pyproject.toml", "uv.lock", "libs/", "services/", "infra/"):
        assert part in copied


def test_the_image_runs_as_a_non_root_user() -> None:
    users = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "USER"]
    assert users, "the Dockerfile sets no USER"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_the_build_context_leaves_out_state_environments_and_caches() -> None:
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    }
    assert {".state", ".venv", ".git", "**/__pycache__"} <= ignored


@pytest.mark.parametrize("service", SERVICES)
def test_only_registration_holds_the_private_half_of_the_dead_letter_key(service: str) -> None:
    env = environment(service)
    assert env["KETEN_DEAD_LETTER_PUBLIC_KEY"] == "/keys/dead-letters.pub"
    private = "/keys/dead-letters.key" if service == "registration" else ""
    assert env["KETEN_DEAD_LETTER_PRIVATE_KEY"] == private
