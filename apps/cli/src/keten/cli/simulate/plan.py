"""What the generator produces: commands at simulated moments, in the order they are sent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum
from typing import Final

from keten.cli.simulate.calendar import moment
from keten.contracts.housing import RecordHousing
from keten.contracts.messages import Command
from keten.contracts.topics import HOUSING_COMMANDS
from keten.contracts.values import HousingKind

# Ids of a run's CloudEvents: a UUID named by scenario, seed and position in the plan.
EVENT_NAMESPACE: Final = uuid.UUID("5b1f2a47-2c1e-4f0e-9a53-6b6574656e21")


class Phase(IntEnum):
    """The parts of a simulated day, sent one after the other, each after the chain has caught
    up with the previous one: commands that compete for places or quota only meet inside a
    phase, where they travel on one partition in a known order."""

    SETUP = 0  # capacity.commands and quotas: locations, places, reception targets, quotas
    CASES = 1  # registration.commands: applications, tracks, decisions
    MOVES = 2  # placement.commands: manual transfers and departures
    HOUSING = 3  # housing.commands: municipalities report households housed


# The local hours of each phase [from, to): phase order is also time order within a day.
PHASE_HOURS: Final = {
    Phase.SETUP: (7, 8),
    Phase.CASES: (8, 17),
    Phase.MOVES: (17, 18),
    Phase.HOUSING: (18, 20),
}


@dataclass(frozen=True)
class HousingReport:
    """A municipality reports a household housed. Which municipality is known only once
    housing has paired the household, so the publisher fills it in from `PairedWithMunicipality`."""

    case_id: str
    kind: HousingKind
    moving_on: bool = False  # from a transit location: the household left reception before
    topic = HOUSING_COMMANDS

    def resolve(self, municipality_code: str) -> RecordHousing:
        return RecordHousing(
            case_id=self.case_id, municipality_code=municipality_code, kind=self.kind
        )

    @classmethod
    def type_name(cls) -> str:
        return RecordHousing.type_name()


Intent = Command | HousingReport


@dataclass(frozen=True)
class Step:
    """One command at a simulated moment; `subject` is the CloudEvent subject and Kafka key."""

    day: date
    phase: Phase
    minute: int
    subject: str
    source: str
    message: Intent

    @property
    def at(self) -> datetime:
        return moment(self.day, self.minute)

    @property
    def topic(self) -> str:
        topic = self.message.topic
        if topic is None:
            raise ValueError(f"{self.message.type_name()} has no topic")
        return topic


@dataclass(frozen=True)
class Forecast:
    """What the plan implies if every command is applied: per day, persons in reception and
    permit holders among them not yet housed; and the totals the scenario was calibrated on."""

    occupied: dict[date, int] = field(default_factory=dict)
    waiting: dict[date, int] = field(default_factory=dict)
    places: dict[date, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    scenario: str
    seed: int
    run_id: str
    first_day: date  # the run-in starts: the population present at `start` arrives
    start: date  # the window the summary reports on: [start, end)
    end: date
    scale: float
    periods: tuple[str, ...]
    steps: tuple[Step, ...]
    forecast: Forecast

    def event_id(self, sequence: int) -> str:
        """The CloudEvent id of the `sequence`th step: the same for the same scenario and seed."""
        return str(uuid.uuid5(EVENT_NAMESPACE, f"{self.scenario}/{self.seed}/{sequence}"))
