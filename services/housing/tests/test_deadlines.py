"""The date rules: 14 weeks after pairing, the warning, the transit year, half years."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from keten.contracts.civil_time import add_years
from keten.housing.domain.calendar import housing_deadline, period_of, transit_stay_limit

CET = timezone(timedelta(hours=1))
CEST = timezone(timedelta(hours=2))


def test_the_due_date_is_98_days_after_the_local_date_of_pairing() -> None:
    # given a pairing in the afternoon of 2 March 2026
    paired_at = datetime(2026, 3, 2, 14, 0, tzinfo=CET)
    # when
    deadline = housing_deadline(paired_at)
    # then
    assert deadline.due_on == date(2026, 6, 8)


def test_a_deadline_across_the_march_dst_change_is_breached_at_midnight_summer_time() -> None:
    # given a pairing in winter time, with its due date after the change of 29 March 2026
    paired_at = datetime(2026, 2, 20, 9, 30, tzinfo=CET)
    # when
    deadline = housing_deadline(paired_at)
    # then it is breached from 00:00 local on the day after the due date, in summer time
    assert deadline.due_on == date(2026, 5, 29)
    assert deadline.breached_at == datetime(2026, 5, 30, 0, 0, tzinfo=CEST)
    assert deadline.breached_at == datetime(2026, 5, 29, 22, 0, tzinfo=UTC)
    assert deadline.warn_at == datetime(2026, 5, 15, 0, 0, tzinfo=CEST)


def test_a_deadline_across_the_october_dst_change_is_breached_at_midnight_winter_time() -> None:
    # given a pairing in summer time, due after the change of 25 October 2026
    paired_at = datetime(2026, 8, 10, 11, 0, tzinfo=CEST)
    # when
    deadline = housing_deadline(paired_at)
    # then
    assert deadline.due_on == date(2026, 11, 16)
    assert deadline.breached_at == datetime(2026, 11, 16, 23, 0, tzinfo=UTC)
    assert deadline.warn_at == datetime(2026, 11, 2, 0, 0, tzinfo=CET)


def test_a_warning_before_and_a_breach_after_a_dst_change_each_fall_on_local_midnight() -> None:
    # given a pairing whose warning falls in winter time and whose breach in summer time
    paired_at = datetime(2025, 12, 10, 12, 0, tzinfo=CET)
    # when
    deadline = housing_deadline(paired_at)
    # then
    assert deadline.due_on == date(2026, 3, 18)
    assert deadline.warn_at == datetime(2026, 3, 4, 0, 0, tzinfo=CET)
    assert (deadline.breached_at - deadline.warn_at) == timedelta(days=15)
    # and across the change itself a local day is 23 hours long
    spring = housing_deadline(datetime(2025, 12, 21, 12, 0, tzinfo=CET))
    assert spring.due_on == date(2026, 3, 29)
    assert spring.breached_at - datetime(2026, 3, 29, 0, 0, tzinfo=CET) == timedelta(hours=23)


def test_the_pairing_date_is_the_amsterdam_date_not_the_utc_date() -> None:
    # given a pairing at 23:30 UTC on 30 April, which is 1 May in Amsterdam
    paired_at = datetime(2026, 4, 30, 23, 30, tzinfo=UTC)
    # when
    deadline = housing_deadline(paired_at)
    # then
    assert deadline.due_on == date(2026, 5, 1) + timedelta(days=98)


def test_a_leap_day_counts_as_one_of_the_98_days() -> None:
    # given pairings on 1 January of a leap year and of a common year
    in_leap_year = housing_deadline(datetime(2028, 1, 1, 10, 0, tzinfo=CET))
    in_common_year = housing_deadline(datetime(2027, 1, 1, 10, 0, tzinfo=CET))
    # then
    assert in_leap_year.due_on == date(2028, 4, 8)
    assert in_common_year.due_on == date(2027, 4, 9)


def test_a_pairing_on_a_leap_day_is_due_98_days_later() -> None:
    assert housing_deadline(datetime(2028, 2, 29, 10, 0, tzinfo=CET)).due_on == date(2028, 6, 6)


def test_a_transit_stay_from_29_february_ends_on_28_february_a_year_later() -> None:
    # given an arrival at a transit location on a leap day
    limit = transit_stay_limit(datetime(2028, 2, 29, 15, 0, tzinfo=CET))
    # then
    assert limit.due_on == date(2029, 2, 28)
    assert limit.breached_at == datetime(2029, 3, 1, 0, 0, tzinfo=CET)


def test_a_transit_stay_lasts_one_calendar_year() -> None:
    limit = transit_stay_limit(datetime(2026, 7, 15, 10, 0, tzinfo=CEST))
    assert limit.due_on == date(2027, 7, 15)
    assert limit.breached_at == datetime(2027, 7, 16, 0, 0, tzinfo=CEST)
    assert add_years(date(2027, 3, 1), 1) == date(2028, 3, 1)


def test_the_half_year_follows_the_amsterdam_calendar() -> None:
    # 30 June 23:30 UTC is already 1 July in Amsterdam
    assert period_of(datetime(2026, 6, 30, 21, 59, tzinfo=UTC)) == "2026-H1"
    assert period_of(datetime(2026, 6, 30, 22, 0, tzinfo=UTC)) == "2026-H2"
    assert period_of(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "2027-H1"
