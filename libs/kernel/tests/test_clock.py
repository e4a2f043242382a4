"""The simulated clock: time moves only when told, and wakes its sleepers when it does."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from keten.kernel.clock import EventTimeClock, SimulatedClock, WallClock

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


async def test_simulated_time_stands_still_until_told_to_move() -> None:
    # given
    clock = SimulatedClock(START)
    # when
    await asyncio.sleep(0.05)
    # then
    assert clock.now() == START


async def test_advancing_and_setting_move_the_simulated_time_forward() -> None:
    # given
    clock = SimulatedClock(START)
    # when
    clock.advance(timedelta(hours=2))
    clock.set(START + timedelta(days=1))
    # then
    assert clock.now() == START + timedelta(days=1)


async def test_simulated_time_never_goes_backwards() -> None:
    # given
    clock = SimulatedClock(START)
    clock.advance(timedelta(hours=1))
    # when
    clock.set(START)
    clock.advance(timedelta(hours=-5))
    # then
    assert clock.now() == START + timedelta(hours=1)


async def test_simulated_time_is_utc_whatever_zone_it_is_given_in() -> None:
    # given
    amsterdam_winter = timezone(timedelta(hours=1))
    # when
    clock = SimulatedClock(datetime(2025, 3, 1, 10, 0, tzinfo=amsterdam_winter))
    # then
    assert clock.now() == START
    assert clock.now().tzinfo is UTC


async def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SimulatedClock(datetime(2025, 3, 1, 9, 0))  # noqa: DTZ001 - the naive moment under test


async def test_a_sleeper_wakes_when_the_simulated_time_reaches_its_moment() -> None:
    # given
    clock = SimulatedClock(START)
    sleeper = asyncio.create_task(clock.sleep_until(START + timedelta(hours=1), max_seconds=30))
    # when the time moves, but not far enough
    clock.advance(timedelta(minutes=59))
    await asyncio.sleep(0.05)
    # then
    assert not sleeper.done()
    # when the time reaches the moment
    clock.advance(timedelta(minutes=1))
    # then
    async with asyncio.timeout(1):
        await sleeper


async def test_a_sleeper_returns_after_its_real_time_limit_when_the_time_stands_still() -> None:
    # given
    clock = SimulatedClock(START)
    loop = asyncio.get_running_loop()
    began = loop.time()
    # when
    await clock.sleep_until(START + timedelta(days=1), max_seconds=0.1)
    # then
    assert 0.09 <= loop.time() - began < 1.0
    assert clock.now() == START


async def test_sleeping_until_a_moment_already_past_returns_at_once() -> None:
    # given
    clock = SimulatedClock(START)
    # when / then
    async with asyncio.timeout(0.5):
        await clock.sleep_until(START - timedelta(hours=1), max_seconds=30)


async def test_the_wall_clock_tells_utc_and_sleeps_until_a_moment() -> None:
    # given
    clock = WallClock()
    moment = clock.now() + timedelta(seconds=0.1)
    # when
    await clock.sleep_until(moment, max_seconds=5)
    # then
    assert clock.now() >= moment
    assert clock.now().tzinfo is UTC


async def test_the_wall_clock_sleeps_no_longer_than_its_real_time_limit() -> None:
    # given
    clock = WallClock()
    loop = asyncio.get_running_loop()
    began = loop.time()
    # when
    await clock.sleep_until(clock.now() + timedelta(hours=1), max_seconds=0.1)
    # then
    assert loop.time() - began < 1.0


async def test_event_time_runs_on_from_the_newest_moment_seen_and_never_back() -> None:
    start = datetime(2022, 3, 1, 9, 0, tzinfo=UTC)
    clock = EventTimeClock(start)
    clock.observe(datetime(2022, 6, 1, tzinfo=UTC))
    clock.observe(datetime(2022, 4, 1, tzinfo=UTC))
    now = clock.now()
    assert datetime(2022, 6, 1, tzinfo=UTC) <= now < datetime(2022, 6, 1, 0, 1, tzinfo=UTC)


async def test_an_event_time_sleeper_wakes_when_a_later_message_is_seen() -> None:
    clock = EventTimeClock(datetime(2022, 3, 1, tzinfo=UTC))
    due = datetime(2022, 3, 15, tzinfo=UTC)
    sleeper = asyncio.create_task(clock.sleep_until(due, max_seconds=10))
    await asyncio.sleep(0.05)
    assert not sleeper.done()
    clock.observe(datetime(2022, 3, 16, tzinfo=UTC))
    await asyncio.wait_for(sleeper, 1)
    assert clock.now() >= due
