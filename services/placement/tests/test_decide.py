"""Placement's decisions, given a case's events, when a message arrives, then these events."""

from __future__ import annotations

import pytest

from keten.contracts.alerts import Alert
from keten.contracts.housing import Housed
from keten.contracts.messages import Event
from keten.contracts.placement import (
    AdmittedToApplicationCentre,
    LeftReception,
    TransferCase,
    TransferDeferred,
    TransferredToAZC,
)
from keten.contracts.registration import AsylumApplied
from keten.contracts.values import Household, LocationType
from keten.placement.domain import decide
from keten.placement.domain.case import Case, replay
from keten.placement.domain.decide import Refused
from keten.placement.domain.locations import Location
from keten.placement.domain.occupancy import PlacesChange, occupancy_changes

CENTRE = "ter-apel"
HOME = "Groningen"
FAMILY = Household(adults=2, minors=3)


def given(*events: Event) -> Case | None:
    return replay(events)


def applied(case_id: str = "c-1", household: Household = FAMILY) -> AsylumApplied:
    return AsylumApplied(
        case_id=case_id, application_centre_id=CENTRE, household=household, nationality="SYR"
    )


def admitted(case_id: str = "c-1", household: Household = FAMILY) -> AdmittedToApplicationCentre:
    return AdmittedToApplicationCentre(
        case_id=case_id, location_id=CENTRE, persons=household.persons, household=household
    )


def transferred(to: str, move_count: int, *, manual: bool = False) -> TransferredToAZC:
    return TransferredToAZC(
        case_id="c-1",
        from_location_id=CENTRE,
        to_location_id=to,
        to_location_type="azc",
        persons=FAMILY.persons,
        reason="test",
        manual=manual,
        move_count=move_count,
    )


def place(location_id: str, type_: LocationType = "azc", *, free: int = 50) -> Location:
    return Location(location_id, type_, HOME, 100, 100 - free, open=True)


def move(to: str, reason: str = "needs supervision") -> TransferCase:
    return TransferCase(case_id="c-1", to_location_id=to, reason=reason)


def test_an_application_admits_the_whole_household_at_its_centre() -> None:
    events = decide.admit(given(), applied())

    assert events == [admitted()]
    assert occupancy_changes(events) == [PlacesChange(CENTRE, "c-1", 5, must_fit=False)]


def test_a_repeated_application_admits_no_one_twice() -> None:
    assert decide.admit(given(admitted()), applied()) == []


def test_the_track_transfers_the_household_and_frees_the_centre() -> None:
    case = given(admitted())
    assert case is not None

    events = decide.transfer_by_rule(case, "azc", HOME, [place("azc-1")])

    assert len(events) == 1
    moved = events[0]
    assert isinstance(moved, TransferredToAZC)
    assert (moved.to_location_id, moved.to_location_type, moved.persons) == ("azc-1", "azc", 5)
    assert (moved.manual, moved.move_count) == (False, 1)
    assert "province" in moved.reason
    assert occupancy_changes(events) == [
        PlacesChange(CENTRE, "c-1", -5, must_fit=False),
        PlacesChange("azc-1", "c-1", 5, must_fit=True),
    ]


def test_with_no_room_of_any_kind_the_transfer_is_deferred_with_an_alert() -> None:
    case = given(admitted())
    assert case is not None

    events = decide.transfer_by_rule(
        case, "azc", HOME, [place("azc-1", free=4), place("nood-1", "emergency", free=4)]
    )

    deferred, alert = events
    assert isinstance(deferred, TransferDeferred)
    assert (deferred.location_type, deferred.persons) == ("azc", 5)
    assert isinstance(alert, Alert)
    assert (alert.kind, alert.subject_id) == ("no_capacity", "c-1")
    assert occupancy_changes(events) == []


def test_a_repeated_track_moves_a_transferred_household_no_further() -> None:
    case = given(admitted(), transferred("azc-1", 1))
    assert case is not None

    assert decide.transfer_by_rule(case, "azc", HOME, [place("azc-2", free=99)]) == []


def test_a_deferred_household_is_transferred_when_places_free_up() -> None:
    case = given(admitted(), *decide.transfer_by_rule(_at_centre(), "azc", HOME, []))
    assert case is not None
    assert case.status == "awaiting_transfer"

    events = decide.transfer_waiting(case, "azc", HOME, place("azc-1"))

    assert [type(e) for e in events] == [TransferredToAZC]


def test_a_manual_move_goes_to_any_open_location_with_room_and_counts_as_a_move() -> None:
    case = given(admitted(), transferred("azc-1", 1))
    htl = place("htl-1", "htl", free=5)

    events = decide.transfer_by_hand(case, move("htl-1"), htl)

    assert len(events) == 1
    moved = events[0]
    assert isinstance(moved, TransferredToAZC)
    assert (moved.from_location_id, moved.to_location_id) == ("azc-1", "htl-1")
    assert (moved.to_location_type, moved.manual, moved.move_count) == ("htl", True, 2)
    assert moved.reason == "needs supervision"


def test_the_move_count_increments_with_every_move() -> None:
    case = given(admitted(), transferred("azc-1", 1), transferred("htl-1", 2, manual=True))
    assert case is not None
    assert case.move_count == 2

    events = decide.transfer_by_hand(case, move("azc-9"), place("azc-9"))

    assert [e.move_count for e in events if isinstance(e, TransferredToAZC)] == [3]


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        (None, "unknown location htl-1"),
        (Location("htl-1", "htl", HOME, 50, 46, open=True), "has 4 free places"),
        (Location("htl-1", "htl", HOME, 50, 0, open=False), "location htl-1 is closed"),
    ],
)
def test_a_manual_move_is_refused_where_the_household_does_not_fit(
    target: Location | None, reason: str
) -> None:
    with pytest.raises(Refused, match=reason):
        decide.transfer_by_hand(given(admitted()), move("htl-1"), target)


def test_a_manual_move_of_an_unknown_case_is_refused() -> None:
    with pytest.raises(Refused, match="unknown case c-1"):
        decide.transfer_by_hand(given(), move("htl-1"), place("htl-1", "htl"))


def test_a_departure_leaves_reception_and_frees_the_places() -> None:
    case = given(admitted(), transferred("azc-1", 1))

    events = decide.leave(case, "c-1", "voluntary")

    assert events == [
        LeftReception(case_id="c-1", location_id="azc-1", persons=5, reason="voluntary")
    ]
    assert occupancy_changes(events) == [PlacesChange("azc-1", "c-1", -5, must_fit=False)]


def test_a_household_that_left_cannot_leave_or_move_again() -> None:
    gone = given(
        admitted(), LeftReception(case_id="c-1", location_id=CENTRE, persons=5, reason="forced")
    )

    with pytest.raises(Refused, match="has left reception"):
        decide.leave(gone, "c-1", "unknown")
    with pytest.raises(Refused, match="has left reception"):
        decide.transfer_by_hand(gone, move("htl-1"), place("htl-1", "htl"))


def _at_centre() -> Case:
    case = given(admitted())
    assert case is not None
    return case


def housed(persons: int = FAMILY.persons) -> Housed:
    return Housed(
        case_id="c-1", municipality_code="GM0014", kind="regular", persons=persons, period="2024-H1"
    )


def test_a_household_housed_before_its_application_arrived_is_never_admitted() -> None:
    case = given(housed())

    assert decide.admit(case, applied()) == []
    assert case is not None
    assert not case.in_reception
    assert decide.transfer_by_rule(case, "azc", HOME, [place("azc-1")]) == []


def test_housing_after_admission_is_not_the_unseen_kind() -> None:
    case = given(admitted(), housed())

    assert case is not None
    assert case.in_reception  # the handler decides the leaving: LeftReception
    assert case.location_id == CENTRE
