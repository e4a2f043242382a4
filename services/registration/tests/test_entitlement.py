"""The end of reception 28 days after a final rejection, in Amsterdam civil time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from keten.registration.domain.entitlement import entitlement_end

CET = timezone(timedelta(hours=1))
CEST = timezone(timedelta(hours=2))


def test_rejected_before_the_march_change_ends_at_local_midnight_in_summer_time() -> None:
    # given a final rejection in winter time (CET)
    rejected_at = datetime(2026, 3, 10, 14, 0, tzinfo=CET)
    # when
    end = entitlement_end(rejected_at)
    # then the due date is 28 days on; it has ended from 00:00 CEST the day after = 22:00 UTC
    assert end.due_date == date(2026, 4, 7)
    assert end.breached_at == datetime(2026, 4, 7, 22, 0, tzinfo=UTC)


def test_rejected_before_the_october_change_ends_at_local_midnight_in_winter_time() -> None:
    # given a final rejection in summer time (CEST)
    rejected_at = datetime(2026, 10, 5, 9, 15, tzinfo=CEST)
    # when
    end = entitlement_end(rejected_at)
    # then it has ended from 00:00 CET the day after the due date = 23:00 UTC
    assert end.due_date == date(2026, 11, 2)
    assert end.breached_at == datetime(2026, 11, 2, 23, 0, tzinfo=UTC)


def test_the_rejection_date_is_the_amsterdam_date_not_the_utc_date() -> None:
    # given 23:30 UTC on 9 March, which is already 00:30 on 10 March in Amsterdam
    rejected_at = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    # when
    end = entitlement_end(rejected_at)
    # then
    assert end.due_date == date(2026, 4, 7)


def test_a_rejection_late_in_the_amsterdam_evening_counts_from_that_evening() -> None:
    # given 23:59 in Amsterdam on 5 October (21:59 UTC)
    rejected_at = datetime(2026, 10, 5, 21, 59, tzinfo=UTC)
    # when
    end = entitlement_end(rejected_at)
    # then
    assert end.due_date == date(2026, 11, 2)


def test_the_breach_instant_is_utc() -> None:
    end = entitlement_end(datetime(2026, 6, 1, 12, 0, tzinfo=CEST))
    assert end.breached_at.tzinfo is UTC
    assert end.breached_at == datetime(2026, 6, 29, 22, 0, tzinfo=UTC)


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        entitlement_end(datetime(2026, 3, 10, 14, 0))  # noqa: DTZ001 - the naive moment under test
