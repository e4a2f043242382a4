"""How occupancy adds up: municipalities into provinces, types, and the nation against the
stable stock of 41,000 places."""

from __future__ import annotations

from keten.capacity.domain.occupancy import (
    Figures,
    GroupFigures,
    LocationRecord,
    LocationStatus,
    by_municipality,
    by_province,
    by_type,
    national,
)
from keten.contracts.civil_time import STABLE_STOCK

PROVINCES = {"GM0106": "Drenthe", "GM0114": "Drenthe", "GM0014": "Groningen"}


def location(
    location_id: str,
    municipality: str,
    capacity: int,
    occupied: int,
    *,
    kind: str = "azc",
    status: LocationStatus = "open",
) -> LocationRecord:
    return LocationRecord(
        location_id=location_id,
        status=status,
        registered_capacity=capacity,
        occupied=occupied,
        name=location_id,
        type=kind,
        municipality_code=municipality,
        province=PROVINCES[municipality],
    )


LOCATIONS = [
    location("a", "GM0106", 400, 380),
    location("b", "GM0106", 50, 60, kind="htl"),
    location("c", "GM0114", 300, 150),
    location("d", "GM0014", 2000, 1900, kind="application_centre"),
    location("e", "GM0114", 500, 0, status="closed"),
]
TARGETS = {"GM0106": 600, "GM0114": 900, "GM0014": 1500, "GM0119": 200}


def _province_of(code: str) -> str | None:
    return {**PROVINCES, "GM0119": "Drenthe"}.get(code)


def test_a_municipality_sums_its_locations_and_shows_its_target() -> None:
    rows = {g.key: g for g in by_municipality(LOCATIONS, TARGETS)}

    assert rows["GM0106"] == GroupFigures("GM0106", Figures(450, 440), 600)
    assert rows["GM0106"].figures.free == 10


def test_a_municipality_with_a_target_but_no_location_is_shown_empty() -> None:
    rows = {g.key: g for g in by_municipality(LOCATIONS, TARGETS)}

    assert rows["GM0119"] == GroupFigures("GM0119", Figures(0, 0), 200)
    assert rows["GM0119"].figures.utilisation is None


def test_a_province_sums_its_municipalities_figures_and_targets() -> None:
    rows = {g.key: g for g in by_province(LOCATIONS, TARGETS, _province_of)}

    assert rows["Drenthe"] == GroupFigures("Drenthe", Figures(750, 590), 600 + 900 + 200)
    assert rows["Groningen"] == GroupFigures("Groningen", Figures(2000, 1900), 1500)


def test_a_province_without_any_target_shows_none() -> None:
    rows = by_province(LOCATIONS, {}, _province_of)

    assert [g.reception_target for g in rows] == [None, None]


def test_a_closed_location_counts_no_capacity() -> None:
    rows = {g.key: g for g in by_municipality(LOCATIONS, {})}

    assert rows["GM0114"].figures == Figures(300, 150)


def test_types_are_summed_apart() -> None:
    rows = {g.key: g.figures for g in by_type(LOCATIONS)}

    assert rows == {
        "application_centre": Figures(2000, 1900),
        "azc": Figures(700, 530),
        "htl": Figures(50, 60),
    }
    assert rows["htl"].free == -10
    assert rows["htl"].utilisation == 1.2


def test_national_occupancy_is_shown_against_the_stable_stock_of_41000() -> None:
    total = national(LOCATIONS)

    assert STABLE_STOCK == 41_000
    assert total.figures == Figures(2750, 2490)
    assert total.figures.utilisation == round(2490 / 2750, 4)
    assert total.stable_stock == 41_000
    assert total.stable_stock_free == 41_000 - 2490
    assert total.stable_stock_utilisation == round(2490 / 41_000, 4)


def test_persons_at_an_unregistered_location_count_nationally_but_in_no_group() -> None:
    stray = LocationRecord("x", "unregistered", registered_capacity=0, occupied=7)

    assert national([*LOCATIONS, stray]).figures == Figures(2750, 2497)
    assert by_type([stray]) == []
    assert by_municipality([stray], {}) == []
