"""The composition root every service shares: database, broker, relay, projections, timers and
the HTTP query API, started together and stopped together.

A service describes itself with a `ServiceSpec`; `run(spec)` wires the rest. Nothing here knows
any particular service.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import uvicorn
from fastapi import APIRouter, FastAPI, Response
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from keten.contracts.messages import Event
from keten.kernel import schema
from keten.kernel.admin import admin_router
from keten.kernel.clock import Clock, EventTimeClock, WallClock
from keten.kernel.consumer import Handler, RecordProcessor, subscribe
from keten.kernel.db import Connection, Pool, create_pool
from keten.kernel.deadletter_routes import dead_letter_router
from keten.kernel.health import Health
from keten.kernel.logging import configure, get_logger
from keten.kernel.outbox import OutboxRelay
from keten.kernel.producer import KafkaProducer
from keten.kernel.projections import Projection, ProjectionRunner
from keten.kernel.settings import Settings
from keten.kernel.timers import TimerHandler, TimerRunner

log = get_logger(__name__)


@dataclass(frozen=True)
class Subscription:
    """One consumer group: the topics it reads and a handler per message type it applies."""

    name: str
    topics: tuple[str, ...]
    handlers: Mapping[str, Handler]


@dataclass(frozen=True)
class ServiceContext:
    """What the service's HTTP routes and set-up may use."""

    settings: Settings
    pool: Pool
    clock: Clock
    projections: Mapping[str, Projection]


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    default_port: int
    subscriptions: Sequence[Subscription] = ()
    projections: Sequence[Projection] = ()
    timers: Mapping[str, TimerHandler] = field(default_factory=dict)
    publishes: Sequence[type[Event]] = ()
    routes: Callable[[ServiceContext], APIRouter] | None = None
    description: str = ""
    # The service's own tables beside its projections', created once at start.
    setup: Callable[[Connection], Awaitable[None]] | None = None


def make_clock(settings: Settings) -> Clock:
    """Wall-clock time, or (`KETEN_CLOCK=simulated`) the time of the newest message seen, so
    that a simulation's timers follow its simulated time."""
    if settings.clock == "simulated":
        return EventTimeClock(start=datetime(2000, 1, 1, tzinfo=UTC))
    return WallClock()


async def _resume_event_time(clock: Clock, conn: Connection) -> None:
    """After a restart, simulated time goes on from the newest event in the store."""
    if isinstance(clock, EventTimeClock):
        newest = await conn.fetchval("SELECT max(occurred_at) FROM keten.events")
        if newest is not None:
            clock.observe(newest)


class Service:
    """A running service: owns its pool, producer, broker and background loops."""

    def __init__(self, spec: ServiceSpec, settings: Settings) -> None:
        self.spec = spec
        self.settings = settings
        self.clock = make_clock(settings)
        self.ready = False
        self.health = Health()
        self.processors: dict[str, RecordProcessor] = {}
        self.dead_letter_key = settings.dead_letter_key()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.broker = KafkaBroker(
            settings.kafka_bootstrap_servers,
            allow_auto_create_topics=False,
            client_id=spec.name,
            logger=None,
        )
        self._document_publishers()

    def _document_publishers(self) -> None:
        for event in self.spec.publishes:
            if event.topic is not None:
                self.broker.publisher(
                    event.topic,
                    schema=event,
                    title=f"{event.topic}:{event.type_name()}",
                    description=event.__doc__,
                )

    def asyncapi(self) -> dict[str, Any]:
        spec = AsyncAPI(self.broker, title=f"keten {self.spec.name}", version="1.0.0")
        document: dict[str, Any] = spec.to_specification().to_jsonable()
        return document

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[ServiceContext]:
        pool = await create_pool(self.settings.database_url, max_size=20)
        producer = KafkaProducer(self.settings.kafka_bootstrap_servers, client_id=self.spec.name)
        try:
            async with pool.acquire() as conn:
                await schema.setup(conn)
                if self.spec.setup is not None:
                    await self.spec.setup(conn)
                await _resume_event_time(self.clock, conn)
            runners = [
                ProjectionRunner(pool, p, health=self.health.loop(f"projection.{p.name}"))
                for p in self.spec.projections
            ]
            for runner in runners:
                await runner.setup()
            await producer.start()
            relay = OutboxRelay(pool, producer, name=f"{self.spec.name}.outbox")
            timer_runner = TimerRunner(
                pool, self.clock, self.spec.timers, health=self.health.loop("timers")
            )

            def committed() -> None:
                relay.wake()
                timer_runner.wake()
                for runner in runners:
                    runner.wake()

            self._subscribe(pool, committed)
            loops = [relay.run(self._stop), *(r.run(self._stop) for r in runners)]
            if self.spec.timers:
                loops.append(timer_runner.run(self._stop))
            self._tasks = [asyncio.create_task(loop) for loop in loops]
            await self.broker.start()
            self.ready = True
            log.info("service.started", service=self.spec.name)
            yield ServiceContext(
                self.settings, pool, self.clock, {p.name: p for p in self.spec.projections}
            )
        finally:
            self.ready = False
            self._stop.set()
            await self.broker.stop()
            for task in self._tasks:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, 10)
            await producer.stop()
            await pool.close()

    def _subscribe(self, pool: Pool, committed: Callable[[], None]) -> None:
        observe = self.clock.observe if isinstance(self.clock, EventTimeClock) else (lambda _: None)
        for sub in self.spec.subscriptions:
            name = f"{self.spec.name}.{sub.name}"
            processor = RecordProcessor(
                name,
                pool,
                sub.handlers,
                self.dead_letter_key,
                on_commit=committed,
                stopping=self._stop.is_set,
                observe_time=observe,
            )
            self.processors[name] = processor
            subscribe(
                self.broker,
                processor,
                *sub.topics,
                description=f"applies {', '.join(sorted(sub.handlers))}",
                health=self.health.loop(name),
            )


def http_app(service: Service) -> FastAPI:
    """The query API with /health, /ready, /metrics and /asyncapi.json; runs the service."""
    context: dict[str, ServiceContext] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service.running() as ctx:
            context["ctx"] = ctx
            if service.spec.routes is not None:
                app.include_router(service.spec.routes(ctx))
            app.include_router(admin_router(ctx.pool, dict(ctx.projections)))
            app.include_router(
                dead_letter_router(ctx.pool, service.processors, service.dead_letter_key)
            )
            yield

    app = FastAPI(
        title=f"keten {service.spec.name}",
        version="1.0.0",
        lifespan=lifespan,
        description=service.spec.description,
    )

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready")
    async def ready(response: Response) -> dict[str, Any]:
        if not service.ready or "ctx" not in context:
            response.status_code = 503
            return {"status": "starting"}
        problems = service.health.problems()
        try:
            async with context["ctx"].pool.acquire(timeout=2) as conn:
                await conn.fetchval("SELECT 1", timeout=2)
        except Exception as exc:  # noqa: BLE001 - any failure: the database does not answer
            problems["database"] = f"does not answer ({type(exc).__name__})"
        if problems:
            response.status_code = 503
            return {"status": "not ready", "problems": problems}
        return {"status": "ready"}

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/asyncapi.json")
    async def asyncapi() -> dict[str, Any]:
        return service.asyncapi()

    return app


def main(spec: ServiceSpec) -> None:
    """`python -m keten.<service>`: runs the service until SIGTERM or SIGINT."""
    settings = Settings.from_environment(spec.name, spec.default_port)
    configure(settings.log_level)
    service = Service(spec, settings)
    server = uvicorn.Server(
        uvicorn.Config(
            http_app(service),
            host=settings.http_host,
            port=settings.http_port,
            log_config=None,
            access_log=False,
            lifespan="on",
        )
    )
    asyncio.run(server.serve())
