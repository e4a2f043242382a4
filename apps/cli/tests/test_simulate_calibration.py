"""The scenarios reproduce the public figures of domain.md, at their scale."""

from __future__ import annotations

from collections import Counter
from datetime import date
from functools import cache

from keten.cli.simulate.generator import generate
from keten.cli.simulate.plan import Plan
from keten.cli.simulate.scenarios import CRISIS_2022, DEMO
from keten.contracts.capacity import OpenLocation
from keten.contracts.housing import SetHousingQuota
from keten.contracts.registration import RegisterApplication
from keten.reference import PROVINCES, municipality


@cache
def crisis() -> Plan:
    return generate(CRISIS_2022, 1)


def _near(found: float, public: float, within: float) -> bool:
    return abs(found - public) <= within * public


def test_crisis_first_applications_follow_the_cbs_figure_for_2022() -> None:
    counts = crisis().forecast.counts
    assert _near(counts["applied_persons:2022"], 35_535 * 0.1, 0.01)


def test_crisis_occupancy_rises_past_the_stable_stock_as_in_2022() -> None:
    occupied = crisis().forecast.occupied
    assert _near(occupied[date(2022, 1, 1)], 36_864 * 0.1, 0.02)
    assert _near(occupied[date(2022, 6, 30)], 41_155 * 0.1, 0.10)
    assert _near(occupied[date(2022, 12, 31)], 51_805 * 0.1, 0.10)
    assert max(occupied[d] for d in occupied if d.year == 2022) > 41_000 * 0.1


def test_crisis_obligations_carry_the_backlog_as_in_the_public_table() -> None:
    """Quota plus the balance carried: 2022-H1 13,748, 2022-H2 15,333, 2023-H1 19,418."""
    counts = crisis().forecast.counts
    quotas = {"2022-H1": 1_000, "2022-H2": 1_350, "2023-H1": 2_120}
    obligations = {"2022-H1": 13_748, "2022-H2": 15_333, "2023-H1": 19_418}
    backlog = 375  # the run-in's half year: what 2021 left over
    for period, quota in quotas.items():
        obligation = quota + backlog
        assert _near(obligation, obligations[period] * 0.1, 0.02), period
        backlog = obligation - counts[f"housed_persons:{period}"]


def test_crisis_houses_as_many_persons_per_half_year_as_were_housed() -> None:
    counts = crisis().forecast.counts
    housed = {"2022-H1": 11_934, "2022-H2": 17_126, "2023-H1": 14_296}
    for period, persons in housed.items():
        assert _near(counts[f"housed_persons:{period}"], persons * 0.1, 0.02), period


def test_crisis_permit_holders_wait_in_reception_in_the_thousands() -> None:
    waiting = crisis().forecast.waiting
    assert 1_000 <= waiting[date(2022, 1, 1)] <= 1_400  # mid-2021 ≈ 11,000
    assert _near(waiting[date(2022, 11, 15)], 17_000 * 0.1, 0.20)


def test_quotas_are_the_national_figures_split_over_every_municipality() -> None:
    quotas: Counter[str] = Counter()
    municipalities: Counter[str] = Counter()
    for step in crisis().steps:
        if isinstance(step.message, SetHousingQuota):
            quotas[step.message.period] += step.message.persons
            municipalities[step.message.period] += 1
    assert quotas == {"2021-H2": 375, "2022-H1": 1_000, "2022-H2": 1_350, "2023-H1": 2_120}
    assert set(municipalities.values()) == {342}


def test_azcs_stand_in_every_province() -> None:
    provinces = set()
    for step in generate(DEMO, 3).steps:
        message = step.message
        if isinstance(message, OpenLocation) and message.type == "azc":
            known = municipality(message.municipality_code)
            assert known is not None
            provinces.add(known.province)
    assert provinces == set(PROVINCES)


def test_households_are_mostly_single_adults_and_families_up_to_eight() -> None:
    sizes = [
        s.message.household.persons
        for s in crisis().steps
        if isinstance(s.message, RegisterApplication)
    ]
    assert 1.6 <= sum(sizes) / len(sizes) <= 2.2
    assert 0.55 <= sizes.count(1) / len(sizes) <= 0.75
    assert max(sizes) == 8


def test_nationalities_and_tracks_follow_the_inflow() -> None:
    nationalities: Counter[str] = Counter()
    tracks: Counter[str] = Counter()
    for step in crisis().steps:
        message = step.message
        if isinstance(message, RegisterApplication):
            nationalities[message.nationality] += 1
        if step.message.type_name() == "AssignTrack":
            tracks[getattr(message, "track")] += 1  # noqa: B009 - the union has no track
    assert nationalities.most_common(1)[0][0] == "SYR"
    assert tracks.most_common(1)[0][0] == "general"
    assert 0.10 <= tracks["safe_country"] / sum(tracks.values()) <= 0.25


def test_the_demo_is_a_quarter_year_of_several_hundred_households() -> None:
    plan = generate(DEMO, 1)
    assert (plan.end - plan.start).days == 91
    assert 600 <= plan.forecast.counts["households"] <= 1_200
