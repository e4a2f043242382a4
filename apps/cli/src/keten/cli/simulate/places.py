"""Reception locations in the plan: the sites, AZCs over the twelve provinces, AZCs opened
later, expansions, and emergency locations opened when occupancy passes COA's planning
threshold (96 %), some days late, as in 2022."""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from keten.cli.simulate.plan import PHASE_HOURS, Phase, Step
from keten.cli.simulate.routing import IdMaker
from keten.contracts.capacity import ChangeCapacity, OpenLocation
from keten.contracts.values import LocationType
from keten.reference import PROVINCES, municipalities, split_national_quota

PLANNER = "coa/capacity/simulator"
# Where households go at the end of the application phase (the transfer rule's types).
TRANSFER_TYPES: frozenset[LocationType] = frozenset({"accelerated_azc", "azc", "emergency"})
ID_KINDS: dict[LocationType, str] = {
    "application_centre": "ac-",
    "accelerated_azc": "vazc-",
    "azc": "azc-",
    "htl": "htl-",
    "ibo": "ibo-",
    "emergency": "nood-",
}


@dataclass(frozen=True)
class Opening:
    day: date
    location_id: str
    name: str
    type: LocationType
    municipality_code: str
    places: int

    def step(self, rng: random.Random) -> Step:
        command = OpenLocation(
            location_id=self.location_id,
            name=self.name,
            type=self.type,
            municipality_code=self.municipality_code,
            capacity=self.places,
        )
        return Step(self.day, Phase.SETUP, _minute(rng), self.location_id, PLANNER, command)


def _minute(rng: random.Random) -> int:
    start, stop = PHASE_HOURS[Phase.SETUP]
    return rng.randrange(start * 60, stop * 60)


def scaled(places: int, scale: float) -> int:
    return max(1, round(places * scale))


def province_populations() -> dict[str, int]:
    population: Counter[str] = Counter()
    for m in municipalities().values():
        population[m.province] += m.population
    return dict(population)


def azcs_per_province(count: int) -> dict[str, int]:
    """At least one AZC in every province, the rest by population (largest remainder)."""
    extra = split_national_quota(max(count - len(PROVINCES), 0), province_populations())
    return {province: 1 + extra[province] for province in PROVINCES}


def municipality_in(rng: random.Random, province: str, taken: set[str]) -> str:
    """A municipality of the province, the larger the likelier, one not used yet if any."""
    candidates = [m for m in municipalities().values() if m.province == province]
    free = [m for m in candidates if m.code not in taken] or candidates
    chosen = rng.choices(free, weights=[m.population for m in free])[0]
    taken.add(chosen.code)
    return chosen.code


class Planner:
    """Opens the locations of a plan and remembers their places per day."""

    def __init__(self, rng: random.Random, ids: IdMaker, scale: float) -> None:
        self._rng = rng
        self._ids = ids
        self._scale = scale
        self._taken: set[str] = set()
        self.openings: list[Opening] = []
        self.changes: list[Step] = []
        self._capacity: dict[str, int] = {}

    def scaled(self, places: int) -> int:
        return scaled(places, self._scale)

    def open(self, day: date, kind: LocationType, code: str, name: str, places: int) -> Opening:
        """Opens a location of `places` at full scale on `day`."""
        opening = Opening(
            day, self._ids.make(ID_KINDS[kind], 3), name, kind, code, self.scaled(places)
        )
        self.openings.append(opening)
        self._capacity[opening.location_id] = opening.places
        return opening

    def open_azc(self, day: date, province: str, places: int, kind: LocationType = "azc") -> None:
        code = municipality_in(self._rng, province, self._taken)
        label = "AZC" if kind == "azc" else "Noodopvang"
        self.open(day, kind, code, f"{label} {municipalities()[code].name}", places)

    def expand(self, day: date, fraction: float, reason: str) -> None:
        """Every AZC open by `day` takes `fraction` more places."""
        for opening in self.openings:
            if opening.type != "azc" or opening.day > day:
                continue
            before = self._capacity[opening.location_id]
            after = math.ceil(before * (1 + fraction))
            self._capacity[opening.location_id] = after
            command = ChangeCapacity(location_id=opening.location_id, capacity=after, reason=reason)
            self.changes.append(
                Step(day, Phase.SETUP, _minute(self._rng), opening.location_id, PLANNER, command)
            )

    def places_on(
        self, days: list[date], types: frozenset[LocationType] | None = None
    ) -> dict[date, int]:
        """Places open on each day (of the `types`, default all), expansions included."""
        total = dict.fromkeys(days, 0)
        for opening in self.openings:
            if types is not None and opening.type not in types:
                continue
            for day in days:
                if day >= opening.day:
                    total[day] += opening.places
        kinds = {o.location_id: o.type for o in self.openings}
        current = {o.location_id: o.places for o in self.openings}
        for change in sorted(self.changes, key=lambda c: c.day):
            command = change.message
            assert isinstance(command, ChangeCapacity)
            before, current[command.location_id] = current[command.location_id], command.capacity
            if types is not None and kinds[command.location_id] not in types:
                continue
            for day in days:
                if day >= change.day:
                    total[day] += command.capacity - before
        return total


def emergency_openings(  # noqa: PLR0913 - the planning rule's inputs, named
    planner: Planner,
    *,
    days: list[date],
    occupied: dict[date, int],
    threshold: float,
    block: int,
    response_days: int,
) -> None:
    """When the households transferred after their application phase fill more than
    `threshold` of the places they are transferred to, emergency locations of `block` places
    open `response_days` later, enough for the occupancy then expected; one wave at a time."""
    places = planner.places_on(days, TRANSFER_TYPES)
    population = province_populations()
    provinces = sorted(PROVINCES, key=lambda p: -population[p])
    size = planner.scaled(block)
    turn = 0
    opens_on: date | None = None
    last = days[-1]
    for day in days:
        if opens_on is not None and day < opens_on:
            continue
        if occupied[day] <= threshold * places[day]:
            continue
        opens_on = day + timedelta(days=response_days)
        if opens_on > last:
            return
        horizon = min(opens_on + timedelta(days=28), last)
        wanted = math.ceil(occupied[horizon] / threshold) - places[opens_on]
        for _ in range(max(1, math.ceil(wanted / size))):
            planner.open_azc(opens_on, provinces[turn % len(provinces)], block, "emergency")
            turn += 1
            for later in days:
                if later >= opens_on:
                    places[later] += planner.openings[-1].places
