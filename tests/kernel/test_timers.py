"""Durable timers against the real PostgreSQL: they fire once, on time, across restarts."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from structlog.testing import capture_logs

from keten.kernel import timers
from keten.kernel.clock import Clock, SimulatedClock, WallClock
from keten.kernel.db import Connection, Pool, create_pool
from keten.kernel.timers import DueTimer, TimerRunner

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.integration

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
KIND = "deadline"


class Recorder:
    """A handler that writes an effect in the firing transaction and remembers each call."""

    def __init__(self, wanted: int = 1) -> None:
        self.wanted = wanted
        self.successes = 0
        self.calls: list[DueTimer] = []
        self.wall_times: list[datetime] = []
        self.failing: set[str] = set()
        self.fired = asyncio.Event()

    async def __call__(self, conn: Connection, timer: DueTimer) -> None:
        self.calls.append(timer)
        self.wall_times.append(datetime.now(UTC))
        await conn.execute("INSERT INTO effects (timer_id) VALUES ($1)", timer.timer_id)
        await asyncio.sleep(0)  # let concurrent runners interleave
        if timer.timer_id in self.failing:
            raise RuntimeError("the handler failed")
        self.successes += 1
        if self.successes >= self.wanted:
            self.fired.set()

    def ids(self) -> list[str]:
        return [timer.timer_id for timer in self.calls]


async def prepare(conn: Connection) -> None:
    await timers.setup(conn)
    await conn.execute("CREATE TABLE IF NOT EXISTS effects (timer_id text NOT NULL)")


@pytest.fixture
async def timer_pool(pool: Pool) -> Pool:
    async with pool.acquire() as conn:
        await prepare(conn)
    return pool


def runner_for(
    pool: Pool,
    clock: Clock,
    recorder: Recorder,
    *,
    batch_size: int = 200,
    poll_seconds: float = 0.5,
) -> TimerRunner:
    return TimerRunner(
        pool, clock, {KIND: recorder}, batch_size=batch_size, poll_seconds=poll_seconds
    )


@contextlib.asynccontextmanager
async def running(*runners: TimerRunner) -> AsyncIterator[None]:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(runner.run(stop)) for runner in runners]
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def schedule(pool: Pool, timer_id: str, due_at: datetime, **payload: str) -> None:
    async with pool.acquire() as conn:
        await timers.schedule(conn, timer_id, KIND, due_at, payload)


async def effects(pool: Pool) -> list[str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT timer_id FROM effects ORDER BY timer_id")
    return [row["timer_id"] for row in rows]


async def test_a_timer_set_before_a_restart_fires_once_after_it(scratch_database: str) -> None:
    # given a timer set an hour ahead, and a runner that ran and stopped before it was due
    before = await create_pool(scratch_database)
    recorder = Recorder()
    async with before.acquire() as conn:
        await prepare(conn)
        await timers.schedule(conn, "deadline-1", KIND, START + timedelta(hours=1), {"h": "1"})
    async with running(runner_for(before, SimulatedClock(START), recorder, poll_seconds=0.05)):
        await asyncio.sleep(0.3)
    await before.close()
    assert recorder.calls == []
    # when a new process starts and its time comes
    after = await create_pool(scratch_database)
    try:
        clock = SimulatedClock(START + timedelta(minutes=30))
        async with running(runner_for(after, clock, recorder, poll_seconds=0.05)):
            clock.advance(timedelta(hours=1))
            async with asyncio.timeout(5):
                await recorder.fired.wait()
            await asyncio.sleep(0.3)
        # then it fired once, and a runner after another restart finds nothing to fire
        assert await runner_for(after, clock, recorder).fire_due() == 0
        assert recorder.calls == [
            DueTimer("deadline-1", KIND, START + timedelta(hours=1), {"h": "1"})
        ]
        assert await effects(after) == ["deadline-1"]
        async with after.acquire() as conn:
            assert await timers.pending_count(conn) == 0
            fired_at = await conn.fetchval("SELECT fired_at FROM keten.timers")
        assert fired_at == clock.now()
    finally:
        await after.close()


async def test_a_timer_already_due_fires_when_the_runner_starts(timer_pool: Pool) -> None:
    # given
    clock = SimulatedClock(START)
    recorder = Recorder()
    await schedule(timer_pool, "overdue", START - timedelta(days=3))
    # when
    async with running(runner_for(timer_pool, clock, recorder, poll_seconds=30)):
        async with asyncio.timeout(2):
            await recorder.fired.wait()
    # then
    assert recorder.ids() == ["overdue"]


async def test_two_runners_fire_each_of_200_timers_exactly_once(
    timer_pool: Pool, scratch_database: str
) -> None:
    # given 200 due timers and two runners, each with a pool of its own
    ids = [f"t-{n:03}" for n in range(200)]
    async with timer_pool.acquire() as conn, conn.transaction():
        for n, timer_id in enumerate(ids):
            await timers.schedule(conn, timer_id, KIND, START + timedelta(seconds=n), {})
    other_pool = await create_pool(scratch_database)
    clock = SimulatedClock(START + timedelta(hours=1))
    recorder = Recorder(wanted=len(ids))
    try:
        # when
        async with running(
            runner_for(timer_pool, clock, recorder, batch_size=7, poll_seconds=0.05),
            runner_for(other_pool, clock, recorder, batch_size=7, poll_seconds=0.05),
        ):
            async with asyncio.timeout(10):
                await recorder.fired.wait()
            await asyncio.sleep(0.2)
    finally:
        await other_pool.close()
    # then
    assert Counter(recorder.ids()) == Counter(ids)
    assert await effects(timer_pool) == ids
    async with timer_pool.acquire() as conn:
        assert await timers.pending_count(conn) == 0


async def test_a_cancelled_timer_never_fires(timer_pool: Pool) -> None:
    # given
    clock = SimulatedClock(START)
    recorder = Recorder()
    await schedule(timer_pool, "housed-in-time", START + timedelta(days=98))
    # when
    async with timer_pool.acquire() as conn:
        await timers.cancel(conn, "housed-in-time")
    clock.advance(timedelta(days=200))
    fired = await runner_for(timer_pool, clock, recorder).fire_due()
    # then
    assert fired == 0
    assert recorder.calls == []
    async with timer_pool.acquire() as conn:
        assert await timers.pending_count(conn) == 0


async def test_scheduling_a_fired_timer_again_has_no_effect(timer_pool: Pool) -> None:
    # given a timer that fired
    clock = SimulatedClock(START)
    recorder = Recorder()
    runner = runner_for(timer_pool, clock, recorder)
    await schedule(timer_pool, "once", START, round="first")
    assert await runner.fire_due() == 1
    # when it is scheduled and cancelled again, and its new time comes
    await schedule(timer_pool, "once", START + timedelta(hours=1), round="second")
    async with timer_pool.acquire() as conn:
        await timers.cancel(conn, "once")
    clock.advance(timedelta(days=1))
    # then it does not fire again, and its record is kept
    assert await runner.fire_due() == 0
    assert [timer.payload for timer in recorder.calls] == [{"round": "first"}]
    async with timer_pool.acquire() as conn:
        assert await conn.fetchval("SELECT payload FROM keten.timers") == {"round": "first"}


async def test_scheduling_a_pending_timer_again_moves_its_due_time(timer_pool: Pool) -> None:
    # given
    clock = SimulatedClock(START)
    recorder = Recorder()
    runner = runner_for(timer_pool, clock, recorder)
    await schedule(timer_pool, "moved", START + timedelta(hours=1), version="1")
    # when
    await schedule(timer_pool, "moved", START + timedelta(hours=3), version="2")
    clock.advance(timedelta(hours=2))
    fired_early = await runner.fire_due()
    clock.advance(timedelta(hours=1))
    fired_on_time = await runner.fire_due()
    # then
    assert (fired_early, fired_on_time) == (0, 1)
    assert recorder.calls == [DueTimer("moved", KIND, START + timedelta(hours=3), {"version": "2"})]


async def test_a_timer_scheduled_in_a_rolled_back_transaction_does_not_exist(
    timer_pool: Pool,
) -> None:
    # given
    async with timer_pool.acquire() as conn:
        # when
        with contextlib.suppress(RuntimeError):
            async with conn.transaction():
                await timers.schedule(conn, "never", KIND, START, {})
                raise RuntimeError("the events that caused it were not stored")
        # then
        assert await timers.pending_count(conn) == 0


async def test_a_failing_handler_does_not_stop_the_others_and_fires_later(
    timer_pool: Pool,
) -> None:
    # given three due timers, the handler failing for one of them
    clock = SimulatedClock(START)
    recorder = Recorder()
    recorder.failing.add("t-2")
    runner = runner_for(timer_pool, clock, recorder)
    for timer_id in ("t-1", "t-2", "t-3"):
        await schedule(timer_pool, timer_id, START, secret="V-1234567890")
    # when
    with capture_logs() as logs:
        first_round = await runner.fire_due()
    # then the others fired, the failed attempt's writes were undone, and the log holds no payload
    assert first_round == 2
    assert await effects(timer_pool) == ["t-1", "t-3"]
    assert logs == [
        {
            "event": "timer_handler_failed",
            "log_level": "warning",
            "timer_id": "t-2",
            "kind": KIND,
            "error": "RuntimeError",
        }
    ]
    assert "V-1234567890" not in repr(logs)
    # when the handler succeeds on a later round
    recorder.failing.clear()
    second_round = await runner.fire_due()
    # then
    assert second_round == 1
    assert await effects(timer_pool) == ["t-1", "t-2", "t-3"]
    assert recorder.ids() == ["t-1", "t-2", "t-3", "t-2"]


async def test_a_timer_that_keeps_failing_stops_the_runner_visibly_and_the_others_fire(
    timer_pool: Pool,
) -> None:
    # given a timer whose handler fails, in a running runner
    clock = SimulatedClock(START)
    recorder = Recorder()
    recorder.failing.add("stubborn")
    await schedule(timer_pool, "stubborn", START)
    runner = runner_for(timer_pool, clock, recorder, poll_seconds=0.1)
    async with running(runner):
        # when it has failed for a while, and another timer comes due
        await asyncio.sleep(1.0)
        await schedule(timer_pool, "other", START)
        runner.wake()
        async with asyncio.timeout(2):
            await recorder.fired.wait()
        attempts = recorder.ids().count("stubborn")
    # then it was tried a bounded number of times, no more, and the runner says it stopped
    assert attempts == timers.MAX_ATTEMPTS
    assert await effects(timer_pool) == ["other"]
    assert runner.health.problem() == (
        f"stopped: timer stubborn ({KIND}) cannot fire (RuntimeError)"
    )
    # when the cause is mended, its next try fires it, and the runner is healthy again
    recorder.failing.clear()
    runner._stopped = dict.fromkeys(runner._stopped, 0.0)  # its next try is due now
    assert await runner.fire_due() == 1
    assert await effects(timer_pool) == ["other", "stubborn"]
    assert runner.health.problem() is None


async def test_with_the_wall_clock_a_timer_fires_within_a_second_of_its_due_time(
    timer_pool: Pool,
) -> None:
    # given
    clock = WallClock()
    recorder = Recorder()
    due_at = clock.now() + timedelta(seconds=0.3)
    await schedule(timer_pool, "soon", due_at)
    # when
    async with running(runner_for(timer_pool, clock, recorder)):
        async with asyncio.timeout(5):
            await recorder.fired.wait()
    # then
    lateness = (recorder.wall_times[0] - due_at).total_seconds()
    assert 0 <= lateness < 1.0


async def test_advancing_the_simulated_clock_past_due_fires_the_timer_promptly(
    timer_pool: Pool,
) -> None:
    # given a runner that would only poll every 30 s
    clock = SimulatedClock(START)
    recorder = Recorder()
    await schedule(timer_pool, "deadline", START + timedelta(days=98))
    async with running(runner_for(timer_pool, clock, recorder, poll_seconds=30)):
        await asyncio.sleep(0.2)
        assert recorder.calls == []
        # when
        clock.advance(timedelta(days=98, seconds=1))
        # then
        async with asyncio.timeout(1):
            await recorder.fired.wait()
    assert recorder.ids() == ["deadline"]


async def test_a_timer_not_yet_due_in_simulated_time_does_not_fire_as_real_time_passes(
    timer_pool: Pool,
) -> None:
    # given
    clock = SimulatedClock(START)
    recorder = Recorder()
    await schedule(timer_pool, "later", START + timedelta(seconds=1))
    # when
    async with running(runner_for(timer_pool, clock, recorder, poll_seconds=0.1)):
        await asyncio.sleep(1.5)
    # then
    assert recorder.calls == []
    async with timer_pool.acquire() as conn:
        assert await timers.pending_count(conn) == 1


async def test_waking_the_runner_makes_it_notice_an_earlier_timer_at_once(
    timer_pool: Pool,
) -> None:
    # given a runner asleep until a timer far ahead, polling only every 30 s
    clock = SimulatedClock(START)
    recorder = Recorder()
    runner = runner_for(timer_pool, clock, recorder, poll_seconds=30)
    await schedule(timer_pool, "far", START + timedelta(days=28))
    async with running(runner):
        await asyncio.sleep(0.2)
        # when
        await schedule(timer_pool, "now", START)
        runner.wake()
        # then
        async with asyncio.timeout(1):
            await recorder.fired.wait()
    assert recorder.ids() == ["now"]
    async with timer_pool.acquire() as conn:
        assert await timers.next_due(conn) == START + timedelta(days=28)


async def test_setting_up_the_timers_from_several_connections_at_once_is_safe(
    timer_pool: Pool,
) -> None:
    # given
    async def set_up() -> None:
        async with timer_pool.acquire() as conn:
            await timers.setup(conn)

    # when
    await asyncio.gather(*(set_up() for _ in range(5)))
    # then
    async with timer_pool.acquire() as conn:
        assert await timers.pending_count(conn) == 0
