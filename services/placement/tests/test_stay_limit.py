"""The HTL stay limit: 3 calendar months from the local date of arrival, warned of 14 days
before, breached from 00:00 Amsterdam on the day after, raised only while the stay lasts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from keten.contracts.alerts import Alert
from keten.contracts.civil_time import AMSTERDAM
from keten.contracts.placement import StayLimitApproaching, StayLimitExceeded
from keten.contracts.values import Household
from keten.kernel.decider import Decision
from keten.placement.domain import stay_limit
from keten.placement.domain.case import Case


def local(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=AMSTERDAM)


@pytest.mark.parametrize(
    ("arrival", "due_on", "warned", "breached"),
    [
        # across the change to summer time: the moments are local midnights all the same
        (local(2027, 3, 1, 10), date(2027, 6, 1), local(2027, 5, 18), local(2027, 6, 2)),
        # the end of the month clamps; in a leap year to the 29th
        (local(2026, 11, 30, 15), date(2027, 2, 28), local(2027, 2, 14), local(2027, 3, 1)),
        (local(2027, 11, 30, 15), date(2028, 2, 29), local(2028, 2, 15), local(2028, 3, 1)),
        # the local date counts: 23:30 UTC on 31 December is 1 January in Amsterdam
        (
            datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
            date(2027, 4, 1),
            local(2027, 3, 18),
            local(2027, 4, 2),
        ),
    ],
)
def test_an_htl_stay_is_limited_to_3_calendar_months(
    arrival: datetime, due_on: date, warned: datetime, breached: datetime
) -> None:
    approaching, exceeded = stay_limit.timers("c-1", 2, "htl-1", "htl", arrival)

    assert stay_limit.limit_on("htl", arrival) == due_on
    assert (approaching.kind, approaching.due_at) == ("htl_stay_approaching", warned)
    assert (exceeded.kind, exceeded.due_at) == ("htl_stay_exceeded", breached)
    assert approaching.payload == {
        "case_id": "c-1",
        "stay": 2,
        "location_id": "htl-1",
        "due_on": due_on.isoformat(),
    }


def test_other_stays_are_not_limited() -> None:
    for kind in ("application_centre", "azc", "accelerated_azc", "ibo", "emergency", None):
        assert stay_limit.timers("c-1", 1, "x-1", kind, local(2027, 3, 1)) == ()
        assert stay_limit.limit_on(kind, local(2027, 3, 1)) is None


def at(location_id: str, move_count: int, status: str = "transferred") -> Case:
    return Case(
        "c-1",
        Household(adults=1, minors=1),
        "ac-1",
        location_id,
        status="left" if status == "left" else "transferred",
        move_count=move_count,
    )


def test_a_timer_raises_its_event_and_alert_while_the_stay_lasts() -> None:
    due_on = date(2027, 6, 1)

    warned = stay_limit.reached(at("htl-1", 2), "htl_stay_approaching", 2, "htl-1", due_on)
    breached = stay_limit.reached(at("htl-1", 2), "htl_stay_exceeded", 2, "htl-1", due_on)

    event, alert = warned.events
    assert event == StayLimitApproaching(case_id="c-1", location_id="htl-1", due_on=due_on)
    assert isinstance(alert, Alert)
    assert (alert.kind, alert.subject_id, alert.due) == ("htl_stay_approaching", "c-1", due_on)
    event, alert = breached.events
    assert event == StayLimitExceeded(case_id="c-1", location_id="htl-1", due_on=due_on)
    assert isinstance(alert, Alert)
    assert (alert.kind, alert.figures) == (
        "htl_stay_exceeded",
        {"location_id": "htl-1", "persons": 2},
    )


def test_a_timer_of_a_stay_that_ended_raises_nothing() -> None:
    due_on = date(2027, 6, 1)
    later_stays = [None, at("azc-1", 3), at("htl-1", 3), at("htl-1", 2, status="left")]

    decisions = [
        stay_limit.reached(case, "htl_stay_exceeded", 2, "htl-1", due_on) for case in later_stays
    ]

    assert decisions == [Decision()] * len(later_stays)
