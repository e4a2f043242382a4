"""When municipalities house the permit holders of a plan: at the pace of the public figures.

Each half year, municipalities house as many persons as the scenario says (domain.md: "housed"
per half year), a day's share at a time, from a queue of the permit holders paired so far: the
longest-waiting first, with some luck either way, large families later (003 §4.3.1), nobody
sooner than a few weeks after the permit. Whether the 14 weeks are kept follows from the queue.
"""

from __future__ import annotations

import heapq
import random
from datetime import date, timedelta
from typing import Final

from keten.cli.simulate.calendar import days, period_start
from keten.cli.simulate.lifecycle import Life, Setting
from keten.cli.simulate.parameters import Housing
from keten.cli.simulate.people import pick
from keten.cli.simulate.plan import HousingReport
from keten.contracts.civil_time import half_year

SATURDAY: Final = 5


def _daily_pace(housing: Housing, day: date, scale: float) -> float:
    """Persons housed per day in the period of `day`."""
    period = half_year(day)
    first = period_start(period)
    following = period_start(f"{first.year + 1}-H1" if first.month == 7 else f"{first.year}-H2")
    return housing.housed.get(period, 0) * scale / (following - first).days


def plan_housing(rng: random.Random, setting: Setting, lives: list[Life]) -> None:
    """Adds each permit holder's housing report (and a later move on from transit)."""
    housing = setting.scenario.housing
    entering = sorted(
        (
            (life.granted + timedelta(days=housing.earliest.draw(rng)), n, life)
            for n, life in enumerate(lives)
            if life.granted is not None
        ),
        key=lambda e: (e[0], e[1]),
    )
    queue: list[tuple[int, int, Life]] = []
    credit = 0.0
    position = 0
    for day in days(setting.first_day, (setting.end - setting.first_day).days):
        while position < len(entering) and entering[position][0] <= day:
            _, n, life = entering[position]
            assert life.granted is not None
            priority = life.granted.toordinal() + housing.luck.draw(rng)
            priority += housing.large_family_delay * max(life.persons - 4, 0)
            heapq.heappush(queue, (priority, n, life))
            position += 1
        # The run-in builds the population present at the start: nobody leaves it for a home.
        if day >= setting.scenario.start:
            credit += _daily_pace(housing, day, setting.scenario.scale)
        if day.weekday() >= SATURDAY:
            continue  # municipalities house on working days; the week's pace is kept
        while queue and credit >= queue[0][2].persons:
            _, _, life = heapq.heappop(queue)
            credit -= life.persons
            _house(rng, setting, life, day)
        if not queue:
            credit = 0.0  # an idle day's pace is not saved up


def _house(rng: random.Random, setting: Setting, life: Life, day: date) -> None:
    housing = setting.scenario.housing
    kind = pick(rng, housing.kinds)
    if not life.add(rng, setting, day, HousingReport(life.case_id, kind)):
        return
    life.left = day
    life.housed.append((day, kind))
    if kind == "transit" and rng.random() < housing.move_on_share:
        moved_on = day + timedelta(days=housing.move_on_after.draw(rng))
        onward = HousingReport(life.case_id, "regular", moving_on=True)
        if life.add(rng, setting, moved_on, onward):
            life.housed.append((moved_on, "regular"))
