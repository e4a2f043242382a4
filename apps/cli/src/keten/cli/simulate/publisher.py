"""Sends a plan phase by phase, paced by `--speed`, letting the chain catch up in between.

Each simulated day is sent in its phases (plan.Phase): set-up, cases, moves, housing. After
each phase the publisher waits until the services have applied it and everything it set off,
so the next phase meets a settled chain; within a phase the run's case and location messages
share one partition, so the services apply them in the plan's order. That, with the ids and
times fixed by the plan, makes a run reproducible for its seed on a fresh chain.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import httpx

from keten.cli.simulate.calendar import moment
from keten.cli.simulate.effects import Effect, effects_of
from keten.cli.simulate.plan import HousingReport, Phase, Plan
from keten.cli.simulate.quiescence import Quiescence
from keten.cli.simulate.wire import Observer, Sender

Report = Callable[[date, int], None]
# How long the topics must hold still after the expected effects: effects no command predicts
# (households placed when places free up, alerts) need the relays a moment. Set-up phases
# open locations, whose new places the waiting households take, and so wait longest.
FINAL_SETTLE_SECONDS: Final = 1.0
SETTLE_SECONDS: Final = {
    Phase.SETUP: 0.3,
    Phase.CASES: 0.05,
    Phase.MOVES: 0.05,
    Phase.HOUSING: 0.05,
}


@dataclass
class Published:
    commands: Counter[str] = field(default_factory=Counter)  # by message type
    unpaired_housing: int = 0  # housing reports dropped: the case was never paired
    missing_effects: int = 0  # expected events that never came (their command was refused)
    wall_seconds: float = 0.0
    catching_up_seconds: defaultdict[str, float] = field(
        default_factory=lambda: defaultdict(float)
    )  # by phase


@dataclass(frozen=True)
class Wiring:
    sender: Sender
    observer: Observer
    quiescence: Quiescence
    client: httpx.AsyncClient


async def publish(plan: Plan, wiring: Wiring, speed: float, report: Report) -> Published:
    """Sends every step at its simulated time; `speed` simulated seconds pass per second of
    wall-clock time at most (0: as fast as the chain goes)."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    origin = moment(plan.first_day, 0)
    done = Published()
    expected: Counter[Effect] = Counter()
    for (day, phase), group in itertools.groupby(
        enumerate(plan.steps), key=lambda entry: (entry[1].day, entry[1].phase)
    ):
        batch = list(group)
        if speed > 0:
            due = began + (batch[0][1].at - origin).total_seconds() / speed
            await asyncio.sleep(max(due - loop.time(), 0))
        if phase is Phase.HOUSING:
            await wiring.observer.catch_up()
        acknowledgements: list[Any] = []
        awaited: set[Effect] = set()
        for sequence, step in batch:
            municipality = None
            if isinstance(step.message, HousingReport):
                municipality = wiring.observer.seen.pairings.get(step.message.case_id)
                if municipality is None:
                    done.unpaired_housing += 1
                    continue
            acknowledgements.append(await wiring.sender.send(sequence, step, municipality))
            done.commands[step.message.type_name()] += 1
            for effect in effects_of(step):
                expected[effect] += 1
                awaited.add(effect)
        await asyncio.gather(*acknowledgements)
        sent_at = loop.time()
        done.missing_effects += await wiring.observer.wait_for({e: expected[e] for e in awaited})
        await wiring.quiescence.wait(wiring.client, settle=SETTLE_SECONDS[phase])
        done.catching_up_seconds[phase.name.lower()] += loop.time() - sent_at
        report(day, sum(done.commands.values()))
    await wiring.quiescence.wait(wiring.client, settle=FINAL_SETTLE_SECONDS)
    await wiring.observer.catch_up()
    done.wall_seconds = loop.time() - began
    return done
