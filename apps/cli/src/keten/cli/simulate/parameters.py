"""The parameter types a scenario is made of: flows, people, procedures, housing, places."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from keten.contracts.values import DepartureReason, HousingKind, LocationType, TieKind, Track


@dataclass(frozen=True)
class Spread:
    """A delay in days, drawn from a triangular distribution; never under one day."""

    low: float
    mode: float
    high: float

    def draw(self, rng: random.Random) -> int:
        return max(1, round(rng.triangular(self.low, self.high, self.mode)))


@dataclass(frozen=True)
class Nationality:
    """Who applies: a share of the inflow, the tracks they get, how often a permit is granted
    in the general track, and how often they come as a family."""

    code: str
    weight: float
    tracks: tuple[tuple[Track, float], ...]
    grant_rate: float
    family_share: float


@dataclass(frozen=True)
class People:
    """Households and their ties; sizes follow COA's inflow: mostly single adults, families of
    up to eight."""

    nationalities: tuple[Nationality, ...]
    couple_share: float  # of the households that are not families: two adults
    single_parent_share: float  # of families: one adult
    minors: tuple[tuple[int, float], ...]  # number of minors in a family, with weights
    tie_share: float  # households with a hard tie to a municipality
    tie_kinds: tuple[tuple[TieKind, float], ...]


@dataclass(frozen=True)
class Reunification:
    """Family members joining a permit holder (nareizigers): they pass an application centre,
    get a permit within weeks and wait for housing in reception like other permit holders."""

    nationalities: tuple[tuple[str, float], ...]
    with_children_share: float
    tie_share: float
    decision: Spread


@dataclass(frozen=True)
class Procedure:
    """Delays and outcomes, from application to decision and departure."""

    track_after: Spread  # application to track (end of the application phase)
    general_decision: Spread
    dublin_decision: Spread
    safe_country_decision: Spread
    low_recognition_decision: Spread
    accelerated_grant_rate: float  # a permit after all in an accelerated track
    general_final_share: float  # of general-track rejections: final at once (else appealed)
    appeal: Spread  # appealed rejection to the final decision
    appeal_grant_rate: float
    departures: tuple[tuple[DepartureReason, float, Spread], ...]  # after a final rejection
    htl_share: float  # safe-country single adults moved to the HTL
    htl_after: Spread  # track to the move
    ibo_share: float  # general-track single adults moved to intensive supervision
    ibo_after: Spread


@dataclass(frozen=True)
class Housing:
    """Municipalities house permit holders at the pace of the public figures: `housed`
    persons per half year, the longest-waiting first, with some luck either way (`luck`, in
    days of queue position) and large families later; never sooner than `earliest` after the
    permit (pairing, finding a home, moving). A share go to a transit location or an
    intermediate facility; some of those move on to regular housing later."""

    housed: dict[str, int]
    earliest: Spread
    luck: Spread
    large_family_delay: int  # days later in the queue per person above four
    kinds: tuple[tuple[HousingKind, float], ...]
    move_on_share: float
    move_on_after: Spread


@dataclass(frozen=True)
class Site:
    """A named location at a municipality, with its places at full scale."""

    municipality_code: str
    name: str
    type: LocationType
    places: int
    applications_share: float = 0.0  # for application centres: share of the applications


@dataclass(frozen=True)
class Places:
    """The reception locations: fixed sites, AZCs spread over the twelve provinces, AZCs
    opened later, expansions, and emergency locations opened when occupancy passes the
    planning threshold (COA plans at 96 %), some days after it does."""

    sites: tuple[Site, ...]
    azcs: int
    azc_places: tuple[int, int]
    new_azcs: tuple[tuple[date, int], ...]
    expansions: tuple[tuple[date, float], ...]
    planning_threshold: float
    emergency_places: int
    emergency_response: int  # days from passing the threshold to the opening
    reception_target: tuple[date, int] | None  # Dispersal Act: national places, split


@dataclass(frozen=True)
class Population:
    """Who is in reception when the window opens: they arrive over the run-in days before it,
    and `permit_share` of them are granted a permit during the run-in."""

    persons: int
    run_in_days: int
    permit_share: float


@dataclass(frozen=True)
class Scenario:
    """A simulated stretch of time with its flows at full national scale; `scale` multiplies
    every count of persons and places (the number of locations stays as it is)."""

    name: str
    title: str
    start: date
    days: int
    scale: float
    population: Population
    applications: dict[str, int]  # first applications (persons) per month, "2022-01"
    reunification: dict[str, int]  # family members joining (persons) per month
    quotas: dict[str, int]  # national housing quota (persons) per half year
    people: People
    joining: Reunification
    procedure: Procedure
    housing: Housing
    places: Places
    default_speed: float  # simulated seconds per wall-clock second
