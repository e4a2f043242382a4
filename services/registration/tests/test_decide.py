"""Registration's rules as given (past events) / when (a command) / then (events, a refusal
or a wait)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from keten.contracts.alerts import Alert
from keten.contracts.capacity import LocationOpened
from keten.contracts.messages import Event
from keten.contracts.registration import (
    ApplicationRejected,
    AssignTrack,
    AsylumApplied,
    PermitGranted,
    PersonalDataRecorded,
    ReceptionEntitlementEnded,
    RecordDecision,
    RegisterApplication,
    TrackAssigned,
)
from keten.kernel.decider import Decision, Refused, Timer
from keten.registration.domain import decide
from keten.registration.domain.case import Case, replay
from keten.registration.streams import case_stream, centre_stream

CASE = "case-0001"
FAMILY_NAME = "Haddad"
V_NUMBER = "1234567890"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=1)))


def application(**changes: Any) -> RegisterApplication:
    data: dict[str, Any] = {
        "case_id": CASE,
        "application_centre_id": "ter-apel",
        "household": {"adults": 2, "minors": 1},
        "nationality": "SYR",
        "ties": [{"municipality_code": "GM0014", "kind": "family"}],
        "personal": {
            "v_number": V_NUMBER,
            "family_name": FAMILY_NAME,
            "given_names": "Rana",
            "date_of_birth": "1990-05-01",
        },
    }
    data.update(changes)
    return RegisterApplication.model_validate(data)


def given(*events: Event) -> Case:
    return replay(CASE, events)


def events(decision: Decision) -> list[Event]:
    """The events of a decision that takes effect."""
    assert decision.verdict is None
    return list(decision.events)


def registered() -> list[Event]:
    return events(decide.register(Case(CASE), application(), "application_centre"))


def granted() -> list[Event]:
    return [
        *registered(),
        *events(decide.record_decision(given(*registered()), grant(), decided_at=NOW)),
    ]


def finally_rejected(at: datetime = NOW) -> list[Event]:
    case = given(*registered())
    return [*registered(), *events(decide.record_decision(case, reject(final=True), decided_at=at))]


def grant() -> RecordDecision:
    return RecordDecision(case_id=CASE, outcome="granted")


def reject(*, final: bool) -> RecordDecision:
    return RecordDecision(case_id=CASE, outcome="rejected", final=final)


def track(name: str = "general") -> AssignTrack:
    return AssignTrack.model_validate({"case_id": CASE, "track": name})


def test_an_application_at_a_known_centre_is_registered_with_personal_data_kept_apart() -> None:
    # when
    applied, personal = events(decide.register(Case(CASE), application(), "application_centre"))
    # then
    assert isinstance(applied, AsylumApplied)
    assert applied.household.persons == 3
    assert FAMILY_NAME not in applied.model_dump_json()
    assert V_NUMBER not in applied.model_dump_json()
    assert isinstance(personal, PersonalDataRecorded)
    assert personal.topic is None
    assert personal.personal.family_name == FAMILY_NAME


def test_an_application_at_a_centre_not_learnt_yet_waits_for_the_centre() -> None:
    decision = decide.register(Case(CASE), application(), None)
    assert decision == Decision.wait(centre_stream("ter-apel"), "application centre ter-apel")
    assert decision.events == ()


def test_an_application_at_a_location_that_is_not_an_application_centre_is_refused() -> None:
    decision = decide.register(Case(CASE), application(), "azc")
    assert decision.verdict == Refused("location ter-apel is not an application centre")


def test_registering_a_case_twice_with_other_content_is_refused() -> None:
    # given
    case = given(*registered())
    # when another household arrives under the same case id
    other = application(household={"adults": 1, "minors": 0})
    decision = decide.register(case, other, "application_centre")
    # then the reason names the case and the rule, not the person
    assert decision.verdict == Refused(f"case {CASE} is already registered with other content")
    assert FAMILY_NAME not in str(decision.verdict)
    assert V_NUMBER not in str(decision.verdict)


def test_registering_a_case_twice_with_other_personal_data_is_refused() -> None:
    case = given(*registered())
    other = application().personal.model_copy(update={"given_names": "Samir"})
    decision = decide.register(case, application(personal=other.model_dump()), "azc")
    assert isinstance(decision.verdict, Refused)
    assert "other content" in decision.verdict.reason


def test_registering_a_case_twice_with_the_same_content_changes_nothing() -> None:
    # given
    case = given(*registered())
    # when
    decision = decide.register(case, application(), "application_centre")
    # then
    assert decision == Decision()


def test_a_track_for_a_case_not_registered_yet_waits_for_the_case() -> None:
    decision = decide.assign_track(Case(CASE), track())
    assert decision == Decision.wait(case_stream(CASE), f"case {CASE}")


def test_an_accelerated_track_is_assigned_as_accelerated() -> None:
    decision = decide.assign_track(given(*registered()), track("dublin"))
    assert events(decision) == [TrackAssigned(case_id=CASE, track="dublin", accelerated=True)]


def test_the_same_track_again_changes_nothing() -> None:
    case = given(*registered(), TrackAssigned(case_id=CASE, track="general", accelerated=False))
    assert decide.assign_track(case, track("general")) == Decision()


def test_another_track_for_a_case_with_a_track_is_refused() -> None:
    case = given(*registered(), TrackAssigned(case_id=CASE, track="general", accelerated=False))
    decision = decide.assign_track(case, track("dublin"))
    assert decision.verdict == Refused(f"case {CASE} already has a track")


def test_a_track_for_a_decided_case_is_refused() -> None:
    decision = decide.assign_track(given(*granted()), track())
    assert decision.verdict == Refused(f"case {CASE} is already decided")


def test_a_decision_for_a_case_not_registered_yet_waits_for_the_case() -> None:
    decision = decide.record_decision(Case(CASE), reject(final=True), decided_at=NOW)
    assert decision == Decision.wait(case_stream(CASE), f"case {CASE}")


def test_a_grant_carries_the_household_and_ties_of_the_application() -> None:
    decision = decide.record_decision(given(*registered()), grant(), decided_at=NOW)
    assert events(decision) == [
        PermitGranted(
            case_id=CASE, household=application().household, ties=list(application().ties)
        )
    ]
    assert decision.timers == ()


def test_a_decision_on_a_granted_case_is_refused() -> None:
    decision = decide.record_decision(given(*granted()), reject(final=True), decided_at=NOW)
    assert decision.verdict == Refused(f"case {CASE} is already decided")


def test_a_decision_on_a_finally_rejected_case_is_refused() -> None:
    decision = decide.record_decision(given(*finally_rejected()), grant(), decided_at=NOW)
    assert decision.verdict == Refused(f"case {CASE} is already decided")


def test_a_non_final_rejection_does_not_decide_the_case() -> None:
    # given
    case = given(*registered())
    rejection = decide.record_decision(case, reject(final=False), decided_at=NOW)
    # when a grant follows (e.g. on appeal)
    later = decide.record_decision(given(*registered(), *rejection.events), grant(), decided_at=NOW)
    # then
    assert events(rejection) == [ApplicationRejected(case_id=CASE, final=False)]
    assert rejection.timers == ()
    assert [type(e) for e in events(later)] == [PermitGranted]


def test_a_final_rejection_before_the_march_change_ends_entitlement_28_local_days_later() -> None:
    rejected_at = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
    decision = decide.record_decision(
        given(*registered()), reject(final=True), decided_at=rejected_at
    )
    assert events(decision) == [
        ApplicationRejected(case_id=CASE, final=True, entitlement_ends_on=date(2026, 4, 7))
    ]


def test_a_final_rejection_sets_the_timer_of_the_case_due_when_the_entitlement_has_ended() -> None:
    rejected_at = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
    decision = decide.record_decision(
        given(*registered()), reject(final=True), decided_at=rejected_at
    )
    # 00:00 CEST on 8 April, the day after the due date
    assert decision.timers == (
        Timer(
            f"reception-entitlement-{CASE}",
            "reception_entitlement_end",
            datetime(2026, 4, 7, 22, 0, tzinfo=UTC),
            subject=CASE,
            payload={"case_id": CASE},
        ),
    )


def test_a_final_rejection_before_the_october_change_ends_entitlement_28_local_days_later() -> None:
    # 22:30 UTC on 4 October is already 5 October in Amsterdam
    rejected_at = datetime(2026, 10, 4, 22, 30, tzinfo=UTC)
    decision = decide.record_decision(
        given(*registered()), reject(final=True), decided_at=rejected_at
    )
    assert events(decision) == [
        ApplicationRejected(case_id=CASE, final=True, entitlement_ends_on=date(2026, 11, 2))
    ]


def test_the_entitlement_ends_with_an_alert_that_names_no_person() -> None:
    # given
    case = given(*finally_rejected(datetime(2026, 3, 10, 16, 0, tzinfo=UTC)))
    # when
    ended, alert = events(decide.end_entitlement(case))
    # then
    assert ended == ReceptionEntitlementEnded(case_id=CASE, ended_on=date(2026, 4, 7))
    assert isinstance(alert, Alert)
    assert alert.kind == "reception_entitlement_ended"
    assert alert.subject_id == CASE
    assert alert.due == date(2026, 4, 7)
    assert FAMILY_NAME not in alert.model_dump_json()
    assert V_NUMBER not in alert.model_dump_json()


def test_the_entitlement_ends_only_once() -> None:
    case = given(*finally_rejected())
    ended = given(*finally_rejected(), *events(decide.end_entitlement(case)))
    assert decide.end_entitlement(ended) == Decision()


def test_the_entitlement_does_not_end_without_a_final_rejection() -> None:
    case = given(*registered(), ApplicationRejected(case_id=CASE, final=False))
    assert decide.end_entitlement(case) == Decision()


def test_a_location_is_learnt_once_from_its_first_opening() -> None:
    opened = LocationOpened(
        location_id="ter-apel",
        name="Ter Apel",
        type="application_centre",
        municipality_code="GM1950",
        province="Groningen",
        capacity=2000,
    )
    assert events(decide.learn_location(None, opened)) == [opened]
    assert decide.learn_location("application_centre", opened) == Decision()
