"""The shared service runtime, with a service made up for the test, against the real parts."""

from __future__ import annotations

import uuid

import orjson
import pytest
from fastapi import APIRouter

from keten.kernel.projections import reading
from keten.kernel.service import ServiceContext, ServiceSpec, Subscription
from tests.kernel.consumer_app import apply_command
from tests.kernel.events_for_tests import TEST_EVENTS_TOPIC, KernelTestHappened, command_json
from tests.kernel.test_projections import counters
from tests.support.kafka import (
    ensure_topic,
    eventually,
    fresh_topic,
    publish_raw,
    read_to_end,
)
from tests.support.services import running_service

pytestmark = pytest.mark.integration


def counters_routes(ctx: ServiceContext) -> APIRouter:
    router = APIRouter()

    @router.get("/counters/{subject}")
    async def counters(subject: str) -> dict[str, int]:
        async with reading(ctx.pool, "proj_counters") as conn:
            row = await conn.fetchrow(
                "SELECT events, total FROM counters WHERE subject = $1", subject
            )
        return {"events": 0, "total": 0} if row is None else dict(row)

    return router


async def test_a_service_applies_commands_publishes_events_and_serves_its_projection(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    await ensure_topic(kafka_bootstrap, TEST_EVENTS_TOPIC)
    topic = await fresh_topic(kafka_bootstrap, "kernel.service")
    spec = ServiceSpec(
        name=f"kerneltest{uuid.uuid4().hex[:6]}",
        default_port=0,
        subscriptions=[Subscription("commands", (topic,), {"KernelTestDo": apply_command})],
        projections=[counters()],
        publishes=[KernelTestHappened],
        routes=counters_routes,
    )
    subject = f"case-{uuid.uuid4().hex[:8]}"
    async with running_service(spec, scratch_database, kafka_bootstrap) as api:
        await publish_raw(
            kafka_bootstrap,
            topic,
            [(subject.encode(), command_json(i, subject=subject)) for i in (1, 2, 3)],
        )

        async def projected() -> bool:
            found: dict[str, int] = (await api.get(f"/counters/{subject}")).json()
            return found == {"events": 3, "total": 6}

        await eventually(projected)
        metrics = (await api.get("/metrics")).text
        asyncapi = (await api.get("/asyncapi.json")).json()
        openapi = (await api.get("/openapi.json")).json()

    published = [
        r
        for r in await read_to_end(kafka_bootstrap, TEST_EVENTS_TOPIC)
        if r.key == subject.encode()
    ]
    assert len(published) == 3
    assert "keten_messages_processed_total" in metrics
    assert "KernelTestHappened" in str(asyncapi)
    assert "/counters/{subject}" in openapi["paths"]


async def test_a_service_rebuilds_its_projections_and_audits_its_store_on_request(
    kafka_bootstrap: str, scratch_database: str
) -> None:
    await ensure_topic(kafka_bootstrap, TEST_EVENTS_TOPIC)
    topic = await fresh_topic(kafka_bootstrap, "kernel.admin")
    spec = ServiceSpec(
        name=f"kerneltest{uuid.uuid4().hex[:6]}",
        default_port=0,
        subscriptions=[Subscription("commands", (topic,), {"KernelTestDo": apply_command})],
        projections=[counters()],
        routes=counters_routes,
    )
    subject = f"case-{uuid.uuid4().hex[:8]}"
    async with running_service(spec, scratch_database, kafka_bootstrap) as api:
        await publish_raw(
            kafka_bootstrap,
            topic,
            [(subject.encode(), command_json(i, subject=subject)) for i in range(1, 11)],
        )

        async def projected() -> bool:
            found: dict[str, int] = (await api.get(f"/counters/{subject}")).json()
            return found["events"] == 10

        await eventually(projected)
        lines = [
            orjson.loads(line)
            for line in (await api.post("/admin/projections/counters/rebuild")).text.splitlines()
        ]
        audit = (await api.get("/admin/audit")).json()
        digests = (await api.get("/admin/projections")).json()

    assert lines[-2] == {"done": 10, "total": 10}
    result = lines[-1]["result"]
    assert result["equal"] is True
    assert result["events"] == 10
    assert digests == {"counters": result["live_digest"]}
    assert audit == {"events": 10, "streams": 1, "clean": True, "findings": []}
