"""Placement's decisions, given a case's events, when a message arrives, then these events."""

from __future__ import annotations

from datetime import UTC, date, datetime

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
from keten.kernel.decider import Decision
from keten.kernel.verdicts import NotYet, Refused
from keten.placement.domain import decide
from keten.placement.domain.case import Case, replay
from keten.placement.domain.locations import Location
from keten.placement.domain.occupancy import PlacesChange, occupancy_changes

CENTRE = "ter-apel"
HOME = "Groningen"
FAMILY = Household(adults=2, minors=3)
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


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


CENTRE_PLACE = place(CENTRE, "application_centre")


def known(*locations: Location) -> list[Location]:
    """The locations placement knows: the application centre and these."""
    return [CENTRE_PLACE, *locations]


def refused(decision: Decision) -> str:
    assert isinstance(decision.verdict, Refused)
    return decision.verdict.reason


def move(to: str, reason: str = "needs supervision") -> TransferCase:
    return TransferCase(case_id="c-1", to_location_id=to, reason=reason)


def test_an_application_admits_the_whole_household_at_its_centre() -> None:
    decision = decide.admit(given(), applied(), CENTRE_PLACE, AT)

    assert list(decision.events) == [admitted()]
    assert occupancy_changes(decision.events) == [PlacesChange(CENTRE, "c-1", 5, must_fit=False)]
    assert (decision.verdict, decision.timers) == (None, ())


def test_a_repeated_application_admits_no_one_twice() -> None:
    assert decide.admit(given(admitted()), applied(), CENTRE_PLACE, AT) == Decision()


def test_the_track_transfers_the_household_and_frees_the_centre() -> None:
    case = given(admitted())
    assert case is not None

    events = decide.transfer_by_rule("c-1", case, "azc", known(place("azc-1")), AT).events

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

    locations = known(place("azc-1", free=4), place("nood-1", "emergency", free=4))
    events = decide.transfer_by_rule("c-1", case, "azc", locations, AT).events

    deferred, alert = events
    assert isinstance(deferred, TransferDeferred)
    assert (deferred.location_type, deferred.persons) == ("azc", 5)
    assert isinstance(alert, Alert)
    assert (alert.kind, alert.subject_id) == ("no_capacity", "c-1")
    assert occupancy_changes(events) == []


def test_a_repeated_track_moves_a_transferred_household_no_further() -> None:
    case = given(admitted(), transferred("azc-1", 1))
    assert case is not None

    assert decide.transfer_by_rule("c-1", case, "azc", known(place("azc-2", free=99)), AT) == (
        Decision()
    )


def test_a_deferred_household_is_transferred_when_places_free_up() -> None:
    full = place("azc-1", free=0)
    deferral = decide.transfer_by_rule("c-1", _at_centre(), "azc", known(full), AT)
    case = given(admitted(), *deferral.events)
    assert case is not None
    assert case.status == "awaiting_transfer"

    events = decide.transfer_waiting(case, "azc", HOME, place("azc-1"), AT).events

    assert [type(e) for e in events] == [TransferredToAZC]


def test_a_manual_move_goes_to_any_open_location_with_room_and_counts_as_a_move() -> None:
    case = given(admitted(), transferred("azc-1", 1))
    htl = place("htl-1", "htl", free=5)

    events = decide.transfer_by_hand(case, move("htl-1"), htl, AT).events

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

    events = decide.transfer_by_hand(case, move("azc-9"), place("azc-9"), AT).events

    assert [e.move_count for e in events if isinstance(e, TransferredToAZC)] == [3]


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        (Location("htl-1", "htl", HOME, 50, 46, open=True), "has 4 free places"),
        (Location("htl-1", "htl", HOME, 50, 0, open=False), "location htl-1 is closed"),
        (CENTRE_PLACE, f"is at location {CENTRE} already"),
    ],
)
def test_a_manual_move_is_refused_where_the_household_does_not_fit(
    target: Location, reason: str
) -> None:
    command = move(target.location_id)
    assert reason in refused(decide.transfer_by_hand(given(admitted()), command, target, AT))


def test_a_manual_move_waits_for_an_unknown_case_or_location() -> None:
    htl = place("htl-1", "htl")
    unknown = Location("htl-1")  # a row for places taken there, its opening not read yet

    for case, target, stream in [
        (given(), htl, "case-c-1"),
        (given(admitted()), None, "location-htl-1"),
        (given(admitted()), unknown, "location-htl-1"),
    ]:
        decision = decide.transfer_by_hand(case, move("htl-1"), target, AT)
        assert isinstance(decision.verdict, NotYet)
        assert (decision.verdict.stream, decision.events) == (stream, ())


def test_a_departure_leaves_reception_and_frees_the_places() -> None:
    case = given(admitted(), transferred("azc-1", 1))

    events = decide.leave("c-1", case, "voluntary").events

    assert list(events) == [
        LeftReception(case_id="c-1", location_id="azc-1", persons=5, reason="voluntary")
    ]
    assert occupancy_changes(events) == [PlacesChange("azc-1", "c-1", -5, must_fit=False)]


def test_a_departure_of_an_unknown_case_waits_for_the_case() -> None:
    assert decide.leave("c-1", given(), "voluntary") == Decision.wait("case-c-1", "case c-1")


def test_a_household_that_left_cannot_leave_or_move_again() -> None:
    gone = given(
        admitted(), LeftReception(case_id="c-1", location_id=CENTRE, persons=5, reason="forced")
    )

    assert refused(decide.leave("c-1", gone, "unknown")) == "case c-1 has left reception"
    moving = decide.transfer_by_hand(gone, move("htl-1"), place("htl-1", "htl"), AT)
    assert refused(moving) == "case c-1 has left reception"


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

    assert decide.admit(case, applied(), CENTRE_PLACE, AT) == Decision()
    assert case is not None
    assert not case.in_reception
    assert decide.transfer_by_rule("c-1", case, "azc", known(place("azc-1")), AT) == Decision()
    assert decide.housed(case, housed()) == Decision()


def test_housing_after_admission_is_not_the_unseen_kind() -> None:
    case = given(admitted(), housed())

    assert case is not None
    assert case.in_reception  # the handler decides the leaving: LeftReception
    assert case.location_id == CENTRE


def test_a_track_waits_for_the_case_its_centre_and_any_location_of_the_wanted_type() -> None:
    waits = {
        "no case": decide.transfer_by_rule("c-1", given(), "azc", known(place("azc-1")), AT),
        "no centre": decide.transfer_by_rule("c-1", _at_centre(), "azc", [place("azc-1")], AT),
        "no azc": decide.transfer_by_rule(
            "c-1", _at_centre(), "azc", known(place("nood-1", "emergency")), AT
        ),
    }

    assert {why: d.verdict for why, d in waits.items()} == {
        "no case": NotYet("case-c-1", "case c-1"),
        "no centre": NotYet(f"location-{CENTRE}", f"application centre {CENTRE}"),
        "no azc": NotYet("locations-of-type-azc", "a location of type azc"),
    }


def test_a_closed_location_of_the_wanted_type_is_known_enough_to_decide() -> None:
    closed = Location("azc-1", "azc", HOME, 100, 0, open=False)
    locations = known(closed, place("nood-1", "emergency"))

    events = decide.transfer_by_rule("c-1", _at_centre(), "azc", locations, AT).events

    assert [(type(e), getattr(e, "to_location_id", None)) for e in events] == [
        (TransferredToAZC, "nood-1")
    ]


def test_an_application_waits_for_its_application_centre() -> None:
    unknown = Location(CENTRE)  # places taken there before its opening was read

    for centre in (None, unknown):
        decision = decide.admit(given(), applied(), centre, AT)
        assert decision.verdict == NotYet(f"location-{CENTRE}", f"application centre {CENTRE}")


def test_a_move_to_an_htl_sets_its_stay_limit_and_a_move_on_drops_it() -> None:
    at_azc = given(admitted(), transferred("azc-1", 1))
    assert at_azc is not None
    arrival = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)

    to_htl = decide.transfer_by_hand(at_azc, move("htl-1"), place("htl-1", "htl"), arrival)
    at_htl = given(admitted(), transferred("azc-1", 1), *to_htl.events)
    assert at_htl is not None
    away = decide.transfer_by_hand(at_htl, move("azc-2"), place("azc-2"), arrival)
    gone = decide.leave("c-1", at_htl, "forced")

    assert [(t.kind, t.due_at, t.subject) for t in to_htl.timers] == [
        ("htl_stay_approaching", datetime(2027, 2, 13, 23, 0, tzinfo=UTC), "c-1"),
        ("htl_stay_exceeded", datetime(2027, 2, 28, 23, 0, tzinfo=UTC), "c-1"),
    ]
    assert {str(t.payload["due_on"]) for t in to_htl.timers} == {date(2027, 2, 28).isoformat()}
    assert away.timers == ()
    assert set(away.cancelled) == set(gone.cancelled) == {t.timer_id for t in to_htl.timers}
