"""The plan of a run: every command of a scenario at its simulated moment, from a seed.

Pure and deterministic: `random.Random` seeded by scenario and seed, no clock, no I/O. The same
scenario, seed and partition count give the same plan, ids included.
"""

from __future__ import annotations

import calendar
import itertools
import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from keten.cli.simulate.calendar import days, month_key, period_start, periods_between
from keten.cli.simulate.forecast import forecast, transferred_by_day
from keten.cli.simulate.housing import plan_housing
from keten.cli.simulate.lifecycle import Life, Setting, SpecialPlaces, live, special_move
from keten.cli.simulate.parameters import Scenario
from keten.cli.simulate.people import Applicant, applicant, joining_applicant
from keten.cli.simulate.places import Planner, azcs_per_province, emergency_openings
from keten.cli.simulate.plan import PHASE_HOURS, Phase, Plan, Step
from keten.cli.simulate.routing import IdMaker
from keten.contracts.capacity import SetReceptionTarget
from keten.contracts.civil_time import half_year
from keten.contracts.housing import SetHousingQuota
from keten.reference import split_over_municipalities

MINISTRY = "rijksoverheid/simulator"


def run_id(scenario: Scenario, seed: int) -> str:
    """The prefix of every case and location id of a run: its records are told apart by it."""
    return f"sim-{scenario.name}-{seed}"


def generate(scenario: Scenario, seed: int, partitions: int = 3) -> Plan:
    """The plan of `scenario` for `seed`; ids land on partition 0 of `partitions`."""
    rng = random.Random(f"{scenario.name}:{seed}")
    ids = IdMaker(run_id(scenario, seed), partitions)
    first_day = scenario.start - timedelta(days=scenario.population.run_in_days)
    end = scenario.start + timedelta(days=scenario.days)
    all_days = days(first_day, (end - first_day).days)
    planner = Planner(rng, ids, scenario.scale)
    _open_locations(rng, planner, scenario, first_day)
    setting = _setting(planner, scenario, first_day, end)
    lives = [
        *_present_at_start(rng, ids, setting),
        *_arrivals(
            rng, ids, setting, scenario.applications, lambda r: applicant(r, scenario.people)
        ),
        *_arrivals(
            rng,
            ids,
            setting,
            scenario.reunification,
            lambda r: joining_applicant(r, scenario.joining, scenario.people),
        ),
    ]
    plan_housing(rng, setting, lives)
    for life in lives:
        special_move(rng, setting, life)
    emergency_openings(
        planner,
        days=[d for d in all_days if d >= scenario.start],
        occupied=transferred_by_day(lives, all_days),
        threshold=scenario.places.planning_threshold,
        block=scenario.places.emergency_places,
        response_days=scenario.places.emergency_response,
    )
    steps = [
        *(opening.step(rng) for opening in planner.openings),
        *planner.changes,
        *_quotas(rng, scenario, first_day, end),
        *_reception_targets(rng, scenario),
        *(step for life in lives for step in life.steps),
    ]
    ordered = sorted(enumerate(steps), key=lambda s: (s[1].day, s[1].phase, s[1].minute, s[0]))
    return Plan(
        scenario=scenario.name,
        seed=seed,
        run_id=run_id(scenario, seed),
        first_day=first_day,
        start=scenario.start,
        end=end,
        scale=scenario.scale,
        periods=tuple(periods_between(first_day, end - timedelta(days=1))),
        steps=tuple(step for _, step in ordered),
        forecast=forecast(lives, all_days, planner.places_on(all_days), scenario.start),
    )


def _open_locations(
    rng: random.Random, planner: Planner, scenario: Scenario, first_day: date
) -> None:
    places = scenario.places
    for site in places.sites:
        planner.open(first_day, site.type, site.municipality_code, site.name, site.places)
    for province, count in azcs_per_province(places.azcs).items():
        for _ in range(count):
            planner.open_azc(first_day, province, rng.randint(*places.azc_places))
    provinces = list(azcs_per_province(places.azcs))
    turn = itertools.count()
    for day, count in places.new_azcs:
        for _ in range(count):
            province = provinces[next(turn) % len(provinces)]
            planner.open_azc(day, province, rng.randint(*places.azc_places))
    for day, fraction in places.expansions:
        planner.expand(day, fraction, f"crisis agreement: AZCs take {fraction:.0%} more places")


def _setting(planner: Planner, scenario: Scenario, first_day: date, end: date) -> Setting:
    shares = {s.name: s.applications_share for s in scenario.places.sites}
    centres = tuple(
        (o.location_id, shares[o.name]) for o in planner.openings if o.type == "application_centre"
    )
    special = {
        o.type: SpecialPlaces(o.location_id, o.places)
        for o in planner.openings
        if o.type in ("htl", "ibo")
    }
    return Setting(scenario, first_day, end, centres, special.get("htl"), special.get("ibo"))


def _present_at_start(rng: random.Random, ids: IdMaker, setting: Setting) -> Iterator[Life]:
    """The population in reception when the window opens: households arriving over the run-in
    until the persons still there at the start reach the figure; some granted a permit."""
    scenario = setting.scenario
    population = scenario.population
    wanted = round(population.persons * scenario.scale)
    run_in = population.run_in_days
    present = 0
    while present < wanted:
        applied_on = setting.first_day + timedelta(days=rng.randrange(run_in - 1))
        granted_on = None
        if rng.random() < population.permit_share:
            latest = (scenario.start - applied_on).days - 1
            granted_on = applied_on + timedelta(days=rng.randint(2, max(2, latest)))
        who = applicant(rng, scenario.people)
        life = live(rng, setting, ids.make("c"), who, applied_on, granted_on=granted_on)
        if life.left is None or life.left >= scenario.start:
            present += life.persons
        yield life


def _arrivals(
    rng: random.Random,
    ids: IdMaker,
    setting: Setting,
    monthly: dict[str, int],
    who: Callable[[random.Random], Applicant],
) -> Iterator[Life]:
    """Households applying day by day in the window, the persons per month as in `monthly`."""
    scenario = setting.scenario
    owed = 0.0
    for day in days(scenario.start, scenario.days):
        month_days = calendar.monthrange(day.year, day.month)[1]
        owed += monthly.get(month_key(day), 0) * scenario.scale / month_days
        while owed > 0:
            household = who(rng)
            owed -= household.persons
            yield live(rng, setting, ids.make("c"), household, day)


def _setup_minute(rng: random.Random) -> int:
    start, stop = PHASE_HOURS[Phase.SETUP]
    return rng.randrange(start * 60, stop * 60)


def _quotas(rng: random.Random, scenario: Scenario, first_day: date, end: date) -> Iterator[Step]:
    """Each half year's national quota, split by population, sent when the period starts."""
    for period in periods_between(first_day, end - timedelta(days=1)):
        national = scenario.quotas.get(period)
        if national is None:
            continue
        day = max(period_start(period), first_day)
        assert half_year(day) == period
        for code, persons in split_over_municipalities(round(national * scenario.scale)).items():
            command = SetHousingQuota(municipality_code=code, period=period, persons=persons)
            yield Step(day, Phase.SETUP, _setup_minute(rng), code, MINISTRY, command)


def _reception_targets(rng: random.Random, scenario: Scenario) -> Iterator[Step]:
    """The Dispersal Act's places per municipality, split by population."""
    target = scenario.places.reception_target
    if target is None:
        return
    day, national = target
    for code, places in split_over_municipalities(round(national * scenario.scale)).items():
        command = SetReceptionTarget(municipality_code=code, places=places)
        yield Step(day, Phase.SETUP, _setup_minute(rng), code, MINISTRY, command)
