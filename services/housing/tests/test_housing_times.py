"""The report of waiting times: permit to housing, and housing within 14 weeks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from keten.housing.domain.reports import HousedHousehold, housing_times, nearest_rank

CET = timezone(timedelta(hours=1))
PERMIT = datetime(2026, 1, 5, 9, 0, tzinfo=CET)


def household(weeks: int, due_in_weeks: int = 15) -> HousedHousehold:
    return HousedHousehold(
        permit_at=PERMIT,
        housed_at=PERMIT + timedelta(weeks=weeks),
        due_on=(PERMIT + timedelta(weeks=due_in_weeks)).date(),
        persons=2,
    )


def test_mean_and_90th_percentile_in_weeks_and_the_share_housed_in_time() -> None:
    # given ten households housed 10..19 weeks after their permit, due 15 weeks after it
    households = [household(w) for w in range(10, 20)]
    # when
    times = housing_times(households)
    # then
    assert times.households == 10
    assert times.persons == 20
    assert times.mean_weeks_from_permit == 14.5
    assert times.p90_weeks_from_permit == 18.0
    assert times.share_housed_within_term == 0.6


def test_housed_on_the_local_due_date_is_in_time_and_a_minute_later_is_not() -> None:
    # given a due date of 20 April 2026 (summer time: 21:59 UTC is 23:59 in Amsterdam)
    last_minute = datetime(2026, 4, 20, 21, 59, tzinfo=UTC)
    on_time = HousedHousehold(PERMIT, last_minute, date(2026, 4, 20), 1)
    late = HousedHousehold(PERMIT, last_minute + timedelta(minutes=1), date(2026, 4, 20), 1)
    # then
    assert housing_times([on_time]).share_housed_within_term == 1.0
    assert housing_times([late]).share_housed_within_term == 0.0


def test_no_households_give_no_figures() -> None:
    times = housing_times([])
    assert (times.households, times.mean_weeks_from_permit) == (0, None)


def test_the_percentile_is_by_nearest_rank() -> None:
    assert nearest_rank([5.0, 1.0, 3.0], 0.9) == 5.0
    assert nearest_rank([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9) == 9.0
