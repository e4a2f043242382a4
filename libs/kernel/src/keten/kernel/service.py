"""The composition root every service shares: database, broker, relay, projections, timers and
the HTTP query API, started together and stopped together.

A service describes itself with a `ServiceSpec`; `run(spec)` wires the rest. Nothing here knows
any particular service.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType
from typing import Any, Final

import uvicorn
from fastapi import APIRouter, FastAPI, Response
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from keten.contracts.messages import Event
from keten.kernel import schema
from keten.kernel.admin import admin_router
from keten.kernel.chain_clock import chain_clock
from keten.kernel.clock import Clock, EventTimeClock, WallClock
from keten.kernel.consumer import Handler, RecordProcessor, subscribe
from keten.kernel.consumer.unparking import Unparker
from keten.kernel.db import Connection, Pool, create_pool
from keten.kernel.deadletter_routes import dead_letter_router
from keten.kernel.health import Health
from keten.kernel.health_alerts import HealthAlerts
from keten.kernel.logging import configure, get_logger
from keten.kernel.outbox import OutboxRelay
from keten.kernel.parking_routes import parking_router
from keten.kernel.producer import KafkaProducer
from keten.kernel.projections import Projection, ProjectionRunner, currency
from keten.kernel.settings import Settings
from keten.kernel.timers import TimerHandler, TimerRunner

log = get_logger(__name__)

# A service ends within 15 s of SIGTERM, whatever is gone. uvicorn gives open responses (a
# streaming rebuild) HTTP_GRACE_SECONDS, then the service stops in the rest of SHUTDOWN_SECONDS,
# every step on that one deadline. What has not finished in its time is cancelled: each effect
# is one database transaction, rolled back when cancelled or when its connection is terminated,
# and a consumer commits a record's offset only after the record's transaction has committed.
SHUTDOWN_SECONDS: Final = 12
HTTP_GRACE_SECONDS: Final = 4
# The service's stop, step by step (at most): consumer batches in flight (faststream waits
# CONSUMER_GRACE_SECONDS for them) and the background loops finish together, what still runs is
# cancelled and given CANCEL_SECONDS to unwind; then the producer; then the pool, terminated.
DRAIN_SECONDS: Final = 3.0
CONSUMER_GRACE_SECONDS: Final = 2.0
CANCEL_SECONDS: Final = 1.0
PRODUCER_SECONDS: Final = 1.5
POOL_SECONDS: Final = 2.0
# The last resort: should anything hang all the same, the process ends then (exit code 1).
EXIT_DEADLINE_SECONDS: Final = 14.0


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
    """Wall-clock time, or (`KETEN_CLOCK=simulated`) the time of the newest message seen by
    any service of the chain (`keten.kernel.chain_clock`), so that a simulation's timers
    follow its simulated time."""
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
        self.chain_clock = chain_clock(spec.name, self.clock, settings, self.health)
        self.processors: dict[str, RecordProcessor] = {}
        self.dead_letter_key = settings.dead_letter_key()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.broker = KafkaBroker(
            settings.kafka_bootstrap_servers,
            allow_auto_create_topics=False,
            client_id=spec.name,
            logger=None,
            graceful_timeout=CONSUMER_GRACE_SECONDS,
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
            relay = OutboxRelay(
                pool,
                producer,
                name=f"{self.spec.name}.outbox",
                health=self.health.loop(f"{self.spec.name}.outbox"),
            )
            timer_runner = TimerRunner(
                pool, self.clock, self.spec.timers, health=self.health.loop("timers")
            )

            unparker = Unparker(
                pool,
                self.processors,
                self.dead_letter_key,
                max_wait=self.settings.parking_max_wait,
                health=self.health.loop("parking"),
            )

            def committed() -> None:
                relay.wake()
                timer_runner.wake()
                unparker.wake()
                for runner in runners:
                    runner.wake()

            self._subscribe(pool, committed)
            alerts = HealthAlerts(self.spec.name, self.health, pool, self.clock)
            loops = [
                relay.run(self._stop),
                alerts.run(self._stop),
                unparker.run(self._stop),
                *(r.run(self._stop) for r in runners),
            ]
            if self.spec.timers:
                loops.append(timer_runner.run(self._stop))
            if self.chain_clock is not None:
                loops.append(self.chain_clock.run(self._stop, producer))
            self._tasks = [asyncio.create_task(loop) for loop in loops]
            await self.broker.start()
            self.ready = True
            log.info("service.started", service=self.spec.name)
            yield ServiceContext(
                self.settings, pool, self.clock, {p.name: p for p in self.spec.projections}
            )
        finally:
            self.ready = False
            await self._shut_down(producer, pool)

    async def _shut_down(self, producer: KafkaProducer, pool: Pool) -> None:
        """Stops everything within SHUTDOWN_SECONDS - HTTP_GRACE_SECONDS, whatever is gone."""
        deadline = _Deadline(SHUTDOWN_SECONDS - HTTP_GRACE_SECONDS)
        self._stop.set()
        # The consumers (faststream lets batches in flight finish, then cancels their tasks and
        # leaves the groups) and the relay, projection and timer loops, together.
        drain = [self.broker.stop(), *self._tasks]
        await _settle("drain", drain, deadline, DRAIN_SECONDS)
        await _settle("producer", [producer.stop()], deadline, PRODUCER_SECONDS)
        await _settle("pool", [pool.close()], deadline, POOL_SECONDS)
        # A connection still held (an abandoned rebuild's): closed, its transaction rolled back.
        pool.terminate()
        log.info("service.stopped", service=self.spec.name, seconds=deadline.spent())

    def _subscribe(self, pool: Pool, committed: Callable[[], None]) -> None:
        observe = self.chain_clock.seen if self.chain_clock is not None else (lambda _: None)
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
                clock=None if isinstance(self.clock, EventTimeClock) else self.clock.now,
                timers=self.spec.timers,
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
            app.include_router(parking_router(ctx.pool))
            yield

    app = FastAPI(
        title=f"keten {service.spec.name}",
        version="1.0.0",
        lifespan=lifespan,
        description=service.spec.description,
    )
    currency.install(app)

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


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._start = self._loop.time()
        self._end = self._start + seconds

    def left(self, at_most: float) -> float:
        return max(min(at_most, self._end - self._loop.time()), 0.0)

    def spent(self) -> float:
        return round(self._loop.time() - self._start, 2)


async def _settle(
    step: str, work: Sequence[Awaitable[Any]], deadline: _Deadline, at_most: float
) -> None:
    """Waits for `work`, all together, at most `at_most` seconds and never past `deadline`;
    cancels what still runs and gives it up to CANCEL_SECONDS to unwind. Failures are logged,
    never raised: the stop goes on."""
    tasks = [asyncio.ensure_future(item) for item in work]
    if not tasks:
        return
    _, running = await asyncio.wait(tasks, timeout=deadline.left(at_most))
    if running:
        log.warning("service.stop_cancels", step=step, tasks=len(running))
        for task in running:
            task.cancel()
        _, running = await asyncio.wait(running, timeout=deadline.left(CANCEL_SECONDS))
        if running:
            log.warning("service.stop_abandons", step=step, tasks=len(running))
    for task in tasks:
        if task.done() and not task.cancelled() and (error := task.exception()) is not None:
            log.warning("service.stop_failed", step=step, error=type(error).__name__)


class _Server(uvicorn.Server):
    """uvicorn's server, whose first SIGTERM or SIGINT also arms the last resort: should the
    stop hang all the same, the process ends EXIT_DEADLINE_SECONDS after the signal."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if not self.should_exit:
            last_resort = threading.Timer(EXIT_DEADLINE_SECONDS, _overran)
            last_resort.daemon = True
            last_resort.start()
        super().handle_exit(sig, frame)


def _overran() -> None:
    log.error("service.stop_overran", seconds=EXIT_DEADLINE_SECONDS)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1)


def _exit_normally(sig: int, frame: FrameType | None) -> None:  # noqa: ARG001 - a signal handler
    raise SystemExit(0)


def main(spec: ServiceSpec) -> None:
    """`python -m keten.<service>`: runs the service until SIGTERM or SIGINT, then stops it
    within SHUTDOWN_SECONDS and exits with code 0."""
    settings = Settings.from_environment(spec.name, spec.default_port)
    configure(settings.log_level)
    service = Service(spec, settings)
    server = _Server(
        uvicorn.Config(
            http_app(service),
            host=settings.http_host,
            port=settings.http_port,
            log_config=None,
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=HTTP_GRACE_SECONDS,
        )
    )
    # Once stopped, uvicorn raises the signal that stopped it again, to end as that signal
    # would: the end of a clean stop is a normal exit.
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, _exit_normally)
    asyncio.run(server.serve())
