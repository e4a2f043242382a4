"""The scenarios: `demo` (a quarter year, a few thousand households) and `crisis-2022`
(2022-H1 to 2023-H1, calibrated on the public figures of domain.md, run at 1:10).

Figures marked "domain.md" are public; the rest are stated assumptions, chosen so that the
simulated chain reproduces the public figures (see the unit tests, which check the plan
against them).
"""

from __future__ import annotations

from datetime import date
from typing import Final

from keten.cli.simulate.parameters import (
    Housing,
    Nationality,
    People,
    Places,
    Population,
    Procedure,
    Reunification,
    Scenario,
    Site,
    Spread,
)
from keten.contracts.civil_time import PLANNING_NORM

# First applications by nationality, as shares of the inflow, with the tracks they get. Safe
# countries (MAR, DZA, TUN, GEO) go to the safe-country track, low-recognition nationalities
# (COL, NGA) to their own; the rest mostly to the general procedure, some to Dublin.
NATIONALITIES: Final = (
    Nationality("SYR", 0.33, (("general", 0.88), ("dublin", 0.12)), 0.95, 0.30),
    Nationality("AFG", 0.10, (("general", 0.85), ("dublin", 0.15)), 0.90, 0.30),
    Nationality("TUR", 0.10, (("general", 0.95), ("dublin", 0.05)), 0.80, 0.25),
    Nationality("ERI", 0.05, (("general", 0.90), ("dublin", 0.10)), 0.90, 0.10),
    Nationality("YEM", 0.05, (("general", 0.80), ("dublin", 0.20)), 0.85, 0.15),
    Nationality("IRQ", 0.04, (("general", 0.85), ("dublin", 0.15)), 0.40, 0.35),
    Nationality("SDN", 0.03, (("general", 0.70), ("dublin", 0.30)), 0.75, 0.10),
    Nationality("SOM", 0.03, (("general", 0.75), ("dublin", 0.25)), 0.65, 0.15),
    Nationality("IRN", 0.03, (("general", 0.90), ("dublin", 0.10)), 0.55, 0.25),
    Nationality(
        "MAR", 0.05, (("safe_country", 0.80), ("dublin", 0.15), ("general", 0.05)), 0.05, 0.02
    ),
    Nationality(
        "DZA", 0.05, (("safe_country", 0.80), ("dublin", 0.15), ("general", 0.05)), 0.05, 0.02
    ),
    Nationality(
        "TUN", 0.02, (("safe_country", 0.80), ("dublin", 0.15), ("general", 0.05)), 0.05, 0.02
    ),
    Nationality(
        "GEO", 0.03, (("safe_country", 0.85), ("dublin", 0.10), ("general", 0.05)), 0.05, 0.30
    ),
    Nationality("COL", 0.04, (("low_recognition", 0.85), ("general", 0.15)), 0.15, 0.40),
    Nationality("NGA", 0.02, (("low_recognition", 0.70), ("general", 0.30)), 0.20, 0.15),
)

PEOPLE: Final = People(
    nationalities=NATIONALITIES,
    couple_share=0.12,
    single_parent_share=0.25,
    minors=((1, 0.25), (2, 0.30), (3, 0.22), (4, 0.13), (5, 0.07), (6, 0.03)),
    tie_share=0.08,
    tie_kinds=(("family", 0.60), ("work", 0.15), ("study", 0.10), ("medical", 0.15)),
)

JOINING: Final = Reunification(
    nationalities=(("SYR", 0.5), ("ERI", 0.2), ("TUR", 0.1), ("YEM", 0.1), ("AFG", 0.1)),
    with_children_share=0.7,
    tie_share=0.35,
    decision=Spread(14, 30, 75),
)

# After a final rejection: leaving on one's own, by force, or unseen; many stay for months.
DEPARTURES: Final = (
    ("voluntary", 0.25, Spread(14, 60, 180)),
    ("forced", 0.15, Spread(30, 150, 360)),
    ("unknown", 0.60, Spread(28, 120, 400)),
)

# The application centres (Ter Apel takes most), the accelerated-procedure AZCs, the HTL and
# the IBO: places at full scale.
SITES: Final = (
    Site("GM1950", "Ter Apel", "application_centre", 2000, applications_share=0.60),
    Site("GM1706", "Budel-Cranendonck", "application_centre", 900, applications_share=0.15),
    Site("GM0299", "Zevenaar", "application_centre", 500, applications_share=0.12),
    Site("GM0784", "Gilze en Rijen", "application_centre", 500, applications_share=0.13),
    Site("GM1706", "Budel-Dorplein", "accelerated_azc", 600),
    Site("GM0784", "Gilze", "accelerated_azc", 400),
    Site("GM0299", "Zevenaar-Oost", "accelerated_azc", 300),
    Site("GM0303", "Dronten", "accelerated_azc", 400),
    Site("GM0118", "Hoogeveen", "htl", 50),
    Site("GM0363", "Amsterdam-Noord", "ibo", 50),
)


def _months(first_year: int, first_month: int, figures: list[int]) -> dict[str, int]:
    found: dict[str, int] = {}
    year, month = first_year, first_month
    for figure in figures:
        found[f"{year:04d}-{month:02d}"] = figure
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


CRISIS_2022: Final = Scenario(
    name="crisis-2022",
    title="The reception crisis, 2022-H1 to 2023-H1",
    start=date(2022, 1, 1),
    days=546,
    scale=0.1,
    # domain.md: COA occupancy Jan 2022 36,864; permit holders waiting mid-2021 ≈ 11,000,
    # Nov 2022 ≈ 17,000.
    population=Population(persons=36_864, run_in_days=98, permit_share=0.30),
    # domain.md: 35,535 first applications in 2022 (CBS), 38,375 in 2023; the monthly profile
    # (rising to the autumn 2022 peak) is an assumption.
    applications={
        **_months(
            2022, 1, [2000, 1900, 2100, 2200, 2500, 3000, 3300, 3600, 4300, 4200, 3700, 2735]
        ),
        **_months(2023, 1, [3000, 2600, 2800, 2700, 2900, 3200]),
    },
    # Assumption: about 17,000 family members a year join a permit holder.
    reunification=_months(2022, 1, [1400] * 18),
    # domain.md: the housing quota per half year (answer to parliamentary questions 2024Z12156).
    # Nobody is housed during the run-in, so its half year stands for what 2021 left over: its
    # quota is the backlog carried into 2022-H1 (13,748 obligation - 10,000 quota = 3,748).
    quotas={"2021-H2": 3_748, "2022-H1": 10_000, "2022-H2": 13_500, "2023-H1": 21_200},
    people=PEOPLE,
    joining=JOINING,
    procedure=Procedure(
        track_after=Spread(3, 8, 21),
        general_decision=Spread(60, 200, 420),
        dublin_decision=Spread(20, 45, 100),
        safe_country_decision=Spread(10, 21, 45),
        low_recognition_decision=Spread(14, 35, 75),
        accelerated_grant_rate=0.06,
        general_final_share=0.3,
        appeal=Spread(90, 200, 360),
        appeal_grant_rate=0.2,
        departures=DEPARTURES,
        htl_share=0.04,
        htl_after=Spread(5, 12, 25),
        ibo_share=0.005,
        ibo_after=Spread(10, 20, 45),
    ),
    # domain.md: persons housed per half year (2024Z12156).
    housing=Housing(
        housed={"2021-H2": 12_787, "2022-H1": 11_934, "2022-H2": 17_126, "2023-H1": 14_296},
        earliest=Spread(14, 21, 42),
        luck=Spread(0, 20, 90),
        large_family_delay=14,
        kinds=(("regular", 0.86), ("transit", 0.09), ("intermediate", 0.05)),
        move_on_share=0.6,
        move_on_after=Spread(90, 200, 330),
    ),
    places=Places(
        sites=SITES,
        azcs=85,
        azc_places=(350, 400),
        new_azcs=tuple((date(2022 + (m - 1) // 12, (m - 1) % 12 + 1, 15), 1) for m in range(3, 19)),
        # 004 (Aug 2022, Ter Apel): the crisis agreements; existing AZCs take 10 % more.
        expansions=((date(2022, 8, 26), 0.10),),
        planning_threshold=PLANNING_NORM,
        emergency_places=500,
        emergency_response=21,
        reception_target=None,
    ),
    default_speed=10 * 86_400.0,
)

DEMO: Final = Scenario(
    name="demo",
    title="A quarter year, February to April 2024, at 1:10",
    start=date(2024, 2, 5),
    days=91,
    scale=0.1,
    population=Population(persons=6_000, run_in_days=35, permit_share=0.35),
    # domain.md: 32,175 first applications in 2024; the months are an assumption.
    applications=_months(2024, 2, [2300, 2500, 2600, 2700]),
    reunification=_months(2024, 2, [1000, 1000, 1000, 1000]),
    quotas={"2024-H1": 18_750},
    people=PEOPLE,
    joining=JOINING,
    procedure=Procedure(
        track_after=Spread(2, 5, 12),
        general_decision=Spread(21, 50, 110),
        dublin_decision=Spread(14, 30, 60),
        safe_country_decision=Spread(7, 14, 30),
        low_recognition_decision=Spread(10, 21, 45),
        accelerated_grant_rate=0.06,
        general_final_share=0.45,
        appeal=Spread(30, 60, 120),
        appeal_grant_rate=0.2,
        departures=DEPARTURES,
        htl_share=0.04,
        htl_after=Spread(3, 7, 14),
        ibo_share=0.005,
        ibo_after=Spread(5, 10, 20),
    ),
    # Chosen so that the waiting list grows, as it did from 2023 on (domain.md: in 2025, 70 % of
    # permit holders were not housed within 14 weeks).
    housing=Housing(
        housed={"2024-H1": 4_800},
        earliest=Spread(14, 21, 42),
        luck=Spread(0, 40, 160),
        large_family_delay=14,
        kinds=(("regular", 0.86), ("transit", 0.09), ("intermediate", 0.05)),
        move_on_share=0.6,
        move_on_after=Spread(30, 60, 90),
    ),
    places=Places(
        sites=SITES,
        azcs=20,
        azc_places=(350, 400),
        new_azcs=((date(2024, 2, 15), 1), (date(2024, 3, 15), 1)),
        expansions=(),
        planning_threshold=PLANNING_NORM,
        emergency_places=500,
        emergency_response=7,
        # The Dispersal Act's forecast of 96,000 places, split by population (domain.md).
        reception_target=(date(2024, 2, 1), 96_000),
    ),
    default_speed=3 * 86_400.0,
)

SCENARIOS: Final = {s.name: s for s in (DEMO, CRISIS_2022)}
