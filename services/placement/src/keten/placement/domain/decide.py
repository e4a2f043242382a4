"""What placement decides on each message: pure functions from state and message to events.

A refusal raises `Refused`, whose reason names the rule and ids only (it ends up in a dead
letter's headers).
"""

from __future__ import annotations

from collections.abc import Iterable

from keten.contracts.alerts import Alert
from keten.contracts.messages import Event
from keten.contracts.placement import (
    AdmittedToApplicationCentre,
    LeftReception,
    TransferCase,
    TransferDeferred,
    TransferredToAZC,
)
from keten.contracts.registration import AsylumApplied
from keten.contracts.values import LeaveReason, LocationType
from keten.placement.domain.case import Case
from keten.placement.domain.locations import EMERGENCY, Location, choose_location


class Refused(Exception):  # noqa: N818 - a refusal by a rule, not a crash
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def admit(case: Case | None, applied: AsylumApplied) -> list[Event]:
    """The household takes places at its application centre. COA turns no one away there:
    an unknown or full centre still admits (the capacity ledger reports over capacity)."""
    if case is not None:
        return []  # admitted already: a repeated application changes nothing
    household = applied.household
    return [
        AdmittedToApplicationCentre(
            case_id=applied.case_id,
            location_id=applied.application_centre_id,
            persons=household.persons,
            household=household,
        )
    ]


def transfer_by_rule(
    case: Case, wanted: LocationType, home_province: str | None, locations: Iterable[Location]
) -> list[Event]:
    """The transfer at the end of the application phase, to the location `choose_location`
    picks; with none, deferred with a no-capacity alert. Once per case: a repeated track
    leaves a transferred or waiting household where it is (moves are kept to one)."""
    if case.status != "at_application_centre":
        return []
    chosen = choose_location(case.persons, wanted, home_province, locations)
    if chosen is None:
        return _deferred(case, wanted)
    return [_transferred(case, wanted, home_province, chosen)]


def transfer_waiting(
    case: Case, wanted: LocationType, home_province: str | None, chosen: Location
) -> list[Event]:
    """A deferred household goes to the location that places freed up at."""
    if case.status != "awaiting_transfer":
        return []
    return [_transferred(case, wanted, home_province, chosen)]


def transfer_by_hand(case: Case | None, command: TransferCase, to: Location | None) -> list[Event]:
    """A manual move (e.g. to an HTL): any open location with room for the whole household."""
    case = _in_reception(case, command.case_id)
    target = command.to_location_id
    if to is None or to.type is None:
        raise Refused(f"unknown location {target}")
    if to.location_id == case.location_id:
        raise Refused(f"case {case.case_id} is at location {target} already")
    if not to.open:
        raise Refused(f"location {target} is closed")
    if not to.has_room_for(case.persons):
        raise Refused(
            f"location {target} has {to.free} free places, the household needs {case.persons}"
        )
    return [
        TransferredToAZC(
            case_id=case.case_id,
            from_location_id=case.location_id,
            to_location_id=to.location_id,
            to_location_type=to.type,
            persons=case.persons,
            reason=command.reason,
            manual=True,
            move_count=case.move_count + 1,
        )
    ]


def leave(case: Case | None, case_id: str, reason: LeaveReason) -> list[Event]:
    """The household leaves reception; its places are freed."""
    case = _in_reception(case, case_id)
    return [
        LeftReception(
            case_id=case.case_id, location_id=case.location_id, persons=case.persons, reason=reason
        )
    ]


def _in_reception(case: Case | None, case_id: str) -> Case:
    if case is None:
        raise Refused(f"unknown case {case_id}")
    if not case.in_reception:
        raise Refused(f"case {case_id} has left reception")
    return case


def _deferred(case: Case, wanted: LocationType) -> list[Event]:
    reason = f"no {wanted} and no {EMERGENCY} location has room for {case.persons} persons"
    return [
        TransferDeferred(
            case_id=case.case_id, location_type=wanted, persons=case.persons, reason=reason
        ),
        Alert(
            kind="no_capacity",
            subject_id=case.case_id,
            summary=f"Transfer deferred: {reason}",
            figures={"persons": case.persons, "location_type": wanted},
        ),
    ]


def _transferred(
    case: Case, wanted: LocationType, home_province: str | None, chosen: Location
) -> TransferredToAZC:
    if chosen.type is None:
        raise ValueError("the transfer rule chooses known locations only")
    return TransferredToAZC(
        case_id=case.case_id,
        from_location_id=case.location_id,
        to_location_id=chosen.location_id,
        to_location_type=chosen.type,
        persons=case.persons,
        reason=_rule_reason(wanted, chosen, home_province),
        manual=False,
        move_count=case.move_count + 1,
    )


def _rule_reason(wanted: LocationType, chosen: Location, home_province: str | None) -> str:
    where = (
        "in the application centre's province"
        if home_province is not None and chosen.province == home_province
        else "outside the application centre's province"
    )
    if chosen.type == wanted:
        return f"transfer rule: {wanted} with room for the household {where}"
    return f"transfer rule: no {wanted} has room, {chosen.type} location {where}"
