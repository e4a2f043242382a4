"""The civil time of the rules: Amsterdam dates, due dates, warnings, breaches, month terms."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from keten.contracts.civil_time import (
    AMSTERDAM,
    DEADLINE_WARNING,
    ENTITLEMENT_TERM,
    HOUSING_TERM,
    HTL_STAY,
    PLANNING_NORM,
    STABLE_STOCK,
    TRANSIT_STAY,
    Term,
    add_months,
    add_years,
    breach_day,
    breach_moment,
    civil_date,
    due_date,
    half_year,
    start_of_day,
    warning_moment,
)

CET = timezone(timedelta(hours=1))
CEST = timezone(timedelta(hours=2))


def test_the_named_terms() -> None:
    assert Term(days=98) == HOUSING_TERM
    assert HOUSING_TERM.days == 14 * 7
    assert Term(days=14) == DEADLINE_WARNING
    assert Term(days=28) == ENTITLEMENT_TERM
    assert Term(months=3) == HTL_STAY
    assert Term(months=12) == TRANSIT_STAY
    assert STABLE_STOCK == 41_000
    assert PLANNING_NORM == 0.96
    assert str(AMSTERDAM) == "Europe/Amsterdam"


def test_paired_on_12_february_is_due_on_21_may_and_missed_from_22_may_midnight() -> None:
    # given a pairing on 12 February 2026 (winter time), due in summer time
    paired_at = datetime(2026, 2, 12, 10, 0, tzinfo=CET)
    # when
    due_on = due_date(paired_at, HOUSING_TERM)
    # then
    assert due_on == date(2026, 5, 21)
    assert breach_day(due_on) == date(2026, 5, 22)
    assert breach_moment(due_on) == datetime(2026, 5, 22, 0, 0, tzinfo=CEST)
    assert breach_moment(due_on) == datetime(2026, 5, 21, 22, 0, tzinfo=UTC)
    assert warning_moment(due_on) == datetime(2026, 5, 7, 0, 0, tzinfo=CEST)


def test_a_civil_date_is_the_amsterdam_date_not_the_utc_date() -> None:
    assert civil_date(datetime(2026, 4, 30, 21, 59, tzinfo=UTC)) == date(2026, 4, 30)
    assert civil_date(datetime(2026, 4, 30, 22, 0, tzinfo=UTC)) == date(2026, 5, 1)
    assert civil_date(datetime(2026, 1, 31, 22, 59, tzinfo=UTC)) == date(2026, 1, 31)
    assert civil_date(datetime(2026, 1, 31, 23, 0, tzinfo=UTC)) == date(2026, 2, 1)


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        civil_date(datetime(2026, 3, 10, 14, 0))  # noqa: DTZ001 - the naive moment under test
    with pytest.raises(ValueError, match="timezone-aware"):
        due_date(datetime(2026, 3, 10, 14, 0), HOUSING_TERM)  # noqa: DTZ001


def test_the_start_of_a_day_is_a_utc_instant_at_local_midnight() -> None:
    winter = start_of_day(date(2026, 1, 15))
    summer = start_of_day(date(2026, 7, 15))
    assert winter.tzinfo is UTC
    assert winter == datetime(2026, 1, 14, 23, 0, tzinfo=UTC)
    assert summer == datetime(2026, 7, 14, 22, 0, tzinfo=UTC)
    assert civil_date(winter) == date(2026, 1, 15)
    assert civil_date(summer) == date(2026, 7, 15)
    assert civil_date(winter - timedelta(microseconds=1)) == date(2026, 1, 14)


def test_the_march_change_makes_a_local_day_23_hours_long() -> None:
    # summer time begins on 29 March 2026 at 02:00 CET
    assert start_of_day(date(2026, 3, 29)) == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert start_of_day(date(2026, 3, 30)) == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    day = start_of_day(date(2026, 3, 30)) - start_of_day(date(2026, 3, 29))
    assert day == timedelta(hours=23)


def test_the_october_change_makes_a_local_day_25_hours_long() -> None:
    # winter time begins on 25 October 2026 at 03:00 CEST
    assert start_of_day(date(2026, 10, 25)) == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    assert start_of_day(date(2026, 10, 26)) == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)
    assert start_of_day(date(2026, 10, 26)) - start_of_day(date(2026, 10, 25)) == timedelta(
        hours=25
    )


def test_a_term_started_in_winter_is_breached_at_midnight_summer_time() -> None:
    # given a final rejection in winter time, due after the March change
    due_on = due_date(datetime(2026, 3, 10, 14, 0, tzinfo=CET), ENTITLEMENT_TERM)
    # then
    assert due_on == date(2026, 4, 7)
    assert breach_moment(due_on) == datetime(2026, 4, 7, 22, 0, tzinfo=UTC)


def test_a_term_started_in_summer_is_breached_at_midnight_winter_time() -> None:
    # given a pairing in summer time, due after the October change
    due_on = due_date(datetime(2026, 8, 10, 11, 0, tzinfo=CEST), HOUSING_TERM)
    # then
    assert due_on == date(2026, 11, 16)
    assert breach_moment(due_on) == datetime(2026, 11, 16, 23, 0, tzinfo=UTC)
    assert warning_moment(due_on) == datetime(2026, 11, 2, 0, 0, tzinfo=CET)


def test_a_term_starts_on_the_amsterdam_date_of_its_moment() -> None:
    # 23:30 UTC on 9 March is 00:30 on 10 March in Amsterdam
    assert due_date(datetime(2026, 3, 9, 23, 30, tzinfo=UTC), ENTITLEMENT_TERM) == date(2026, 4, 7)
    # 21:59 UTC on 5 October is 23:59 on 5 October in Amsterdam
    assert due_date(datetime(2026, 10, 5, 21, 59, tzinfo=UTC), ENTITLEMENT_TERM) == date(
        2026, 11, 2
    )


def test_a_leap_day_counts_as_one_of_the_days() -> None:
    assert HOUSING_TERM.after(date(2028, 1, 1)) == date(2028, 4, 8)
    assert HOUSING_TERM.after(date(2027, 1, 1)) == date(2027, 4, 9)
    assert HOUSING_TERM.after(date(2028, 2, 29)) == date(2028, 6, 6)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),  # 2028 is a leap year
        (date(2027, 11, 29), 3, date(2028, 2, 29)),
        (date(2025, 11, 29), 3, date(2026, 2, 28)),
        (date(2026, 5, 31), 3, date(2026, 8, 31)),
        (date(2026, 3, 31), 3, date(2026, 6, 30)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 10, 15), 3, date(2027, 1, 15)),
        (date(2026, 12, 31), 0, date(2026, 12, 31)),
        (date(2028, 5, 31), -3, date(2028, 2, 29)),
        (date(2027, 1, 15), -3, date(2026, 10, 15)),
    ],
)
def test_adding_months_clamps_to_the_end_of_the_month(
    day: date, months: int, expected: date
) -> None:
    assert add_months(day, months) == expected


def test_a_year_from_29_february_ends_on_28_february() -> None:
    assert add_years(date(2028, 2, 29), 1) == date(2029, 2, 28)
    assert add_years(date(2028, 2, 29), 4) == date(2032, 2, 29)
    assert add_years(date(2027, 3, 1), 1) == date(2028, 3, 1)
    assert TRANSIT_STAY.after(date(2028, 2, 29)) == date(2029, 2, 28)
    assert TRANSIT_STAY.after(date(2026, 7, 15)) == date(2027, 7, 15)


def test_an_htl_stay_is_3_calendar_months_breached_from_the_next_local_midnight() -> None:
    # given an arrival at the HTL on 30 November 2027 (winter time)
    due_on = due_date(datetime(2027, 11, 30, 15, 0, tzinfo=CET), HTL_STAY)
    # then it runs until 29 February 2028 (a leap year), exceeded from 1 March 00:00 CET
    assert due_on == date(2028, 2, 29)
    assert breach_moment(due_on) == datetime(2028, 3, 1, 0, 0, tzinfo=CET)
    # and a stay from 31 May runs until 31 August, exceeded from 1 September 00:00 CEST
    summer = due_date(datetime(2026, 5, 31, 9, 0, tzinfo=CEST), HTL_STAY)
    assert summer == date(2026, 8, 31)
    assert breach_moment(summer) == datetime(2026, 9, 1, 0, 0, tzinfo=CEST)
    # and its warning is 14 days before, at local midnight
    assert warning_moment(summer) == datetime(2026, 8, 17, 0, 0, tzinfo=CEST)


def test_a_month_term_counts_back_for_its_date_before() -> None:
    assert HTL_STAY.before(date(2026, 8, 31)) == date(2026, 5, 31)
    assert DEADLINE_WARNING.before(date(2026, 3, 18)) == date(2026, 3, 4)
    assert warning_moment(date(2026, 8, 31), HTL_STAY) == start_of_day(date(2026, 5, 31))


def test_the_half_year_of_a_civil_date() -> None:
    assert half_year(date(2026, 1, 1)) == "2026-H1"
    assert half_year(date(2026, 6, 30)) == "2026-H1"
    assert half_year(date(2026, 7, 1)) == "2026-H2"
    assert half_year(date(2026, 12, 31)) == "2026-H2"
