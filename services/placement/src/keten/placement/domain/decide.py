"""What placement decides on each message: pure functions from state and message to a
`Decision` (events, the stay-limit timers they set or drop, or a verdict).

A refusal names the rule and ids only (it ends up in a dead letter's headers). A fact placement
has not learnt yet is waited for, never a reason to refuse or to decide on less: the case, its
application centre, the location a move names, any location of the type the rule aims at.
The message is parked until the stream that records the fact grows (`streams.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from keten.contracts.alerts import Alert
from keten.contracts.housing import Housed
from keten.contracts.placement import (
    AdmittedToApplicationCentre,
    LeftReception,
    TransferCase,
    TransferDeferred,
    TransferredToAZC,
)
from keten.contracts.registration import AsylumApplied
from keten.contracts.values import LeaveReason, LocationType
from keten.kernel.decider import Decision
from keten.placement.domain import stay_limit
from keten.placement.domain.case import Case
from keten.placement.domain.locations import EMERGENCY, Location, choose_location, find
from keten.placement.streams import case_stream, location_stream, locations_of_type_stream


def admit(
    case: Case | None, applied: AsylumApplied, centre: Location | None, at: datetime
) -> Decision:
    """The household takes places at its application centre. COA turns no one away there: a
    full centre still admits (the capacity ledger reports over capacity). The centre must be
    known first, so that the transfer rule knows its province."""
    if case is not None:
        return Decision()  # admitted (or housed) already: a repeated application changes nothing
    centre_id = applied.application_centre_id
    if centre is None or centre.type is None:
        return _wait_for_location(centre_id, centre, f"application centre {centre_id}")
    household = applied.household
    admitted = AdmittedToApplicationCentre(
        case_id=applied.case_id,
        location_id=centre_id,
        persons=household.persons,
        household=household,
    )
    limits = stay_limit.timers(applied.case_id, 0, centre_id, centre.type, at)
    return Decision(events=(admitted,), timers=limits)


def transfer_by_rule(
    case_id: str,
    case: Case | None,
    wanted: LocationType,
    locations: Sequence[Location],
    at: datetime,
) -> Decision:
    """The transfer at the end of the application phase, to the location `choose_location`
    picks among the known `locations`; with none, deferred with a no-capacity alert. Once per
    case: a repeated track leaves a transferred or waiting household where it is (moves are
    kept to one)."""
    if case is None:
        return _wait_for_case(case_id)
    if case.status != "at_application_centre":
        return Decision()
    centre = find(locations, case.centre_id)
    if centre is None:  # (its row, if any, is not among the known: its version was not seen)
        return _wait_for_location(case.centre_id, None, f"application centre {case.centre_id}")
    if all(location.type != wanted for location in locations):
        # (no location of the type is known, so none was recorded on the type's stream)
        return Decision.wait(locations_of_type_stream(wanted), f"a location of type {wanted}")
    chosen = choose_location(case.persons, wanted, centre.province, locations)
    if chosen is None:
        return _deferred(case, wanted)
    return _moved(case, _transferred(case, wanted, centre.province, chosen), chosen, at)


def transfer_waiting(
    case: Case, wanted: LocationType, home_province: str | None, chosen: Location, at: datetime
) -> Decision:
    """A deferred household goes to the location that places freed up at."""
    if case.status != "awaiting_transfer":
        return Decision()
    return _moved(case, _transferred(case, wanted, home_province, chosen), chosen, at)


def transfer_by_hand(
    case: Case | None, command: TransferCase, to: Location | None, at: datetime
) -> Decision:
    """A manual move (e.g. to an HTL): any open location with room for the whole household."""
    if case is None:
        return _wait_for_case(command.case_id)
    if not case.in_reception:
        return Decision.refuse(f"case {case.case_id} has left reception")
    target = command.to_location_id
    if to is None or to.type is None:
        return _wait_for_location(target, to, f"location {target}")
    refusal = _cannot_take(case, to)
    if refusal is not None:
        return Decision.refuse(refusal)
    moved = TransferredToAZC(
        case_id=case.case_id,
        from_location_id=case.location_id,
        to_location_id=to.location_id,
        to_location_type=to.type,
        persons=case.persons,
        reason=command.reason,
        manual=True,
        move_count=case.move_count + 1,
    )
    return _moved(case, moved, to, at)


def leave(case_id: str, case: Case | None, reason: LeaveReason) -> Decision:
    """The household leaves reception; its places are freed."""
    if case is None:
        return _wait_for_case(case_id)
    if not case.in_reception:
        return Decision.refuse(f"case {case_id} has left reception")
    left = LeftReception(
        case_id=case.case_id, location_id=case.location_id, persons=case.persons, reason=reason
    )
    return Decision(events=(left,), cancelled=stay_limit.ended(case))


def housed(case: Case | None, fact: Housed) -> Decision:
    """Housing's fact is not placement's to refuse or to wait on: a household in reception
    leaves it; for one not in reception (or not seen yet) the fact is only kept."""
    if case is None or not case.in_reception:
        return Decision()
    return leave(fact.case_id, case, "housed")


def _moved(case: Case, moved: TransferredToAZC, to: Location, at: datetime) -> Decision:
    """A move ends the current stay (its limit timers dropped) and begins the next one."""
    limits = stay_limit.timers(case.case_id, moved.move_count, to.location_id, to.type, at)
    return Decision(events=(moved,), timers=limits, cancelled=stay_limit.ended(case))


def _cannot_take(case: Case, to: Location) -> str | None:
    """Why the location cannot take the household by hand, if it cannot."""
    target = to.location_id
    if target == case.location_id:
        return f"case {case.case_id} is at location {target} already"
    if not to.open:
        return f"location {target} is closed"
    if not to.has_room_for(case.persons):
        return f"location {target} has {to.free} free places, the household needs {case.persons}"
    return None


def _wait_for_case(case_id: str) -> Decision:
    """The case's stream is empty while placement does not know the case."""
    return Decision.wait(case_stream(case_id), f"case {case_id}")


def _wait_for_location(location_id: str, seen: Location | None, what: str) -> Decision:
    """Past the version of the location's stream the decision saw: its row's (a row for
    places taken there may exist before the location is known)."""
    after = 0 if seen is None else seen.version
    return Decision.wait(location_stream(location_id), what, after_version=after)


def _deferred(case: Case, wanted: LocationType) -> Decision:
    reason = f"no {wanted} and no {EMERGENCY} location has room for {case.persons} persons"
    deferred = TransferDeferred(
        case_id=case.case_id, location_type=wanted, persons=case.persons, reason=reason
    )
    alert = Alert(
        kind="no_capacity",
        subject_id=case.case_id,
        summary=f"Transfer deferred: {reason}",
        figures={"persons": case.persons, "location_type": wanted},
    )
    return Decision(events=(deferred, alert))


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
