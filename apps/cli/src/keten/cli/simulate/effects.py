"""What each command of a plan must visibly cause on the outbound topics.

The services commit a record's offset when its effect is stored, but publish the resulting
events a moment later (the outbox relay). Waiting for the events each command is sure to cause,
as well as for the consumer groups, closes that gap: a relay publishes in store order, so when
the last expected event of a phase is out, so is everything stored before it.
"""

from __future__ import annotations

from typing import Final

from keten.cli.simulate.plan import HousingReport, Step
from keten.contracts.registration import RecordDecision
from keten.contracts.topics import (
    CAPACITY_EVENTS,
    HOUSING_EVENTS,
    PLACEMENT_EVENTS,
    REGISTRATION_EVENTS,
)

Effect = tuple[str, str, str]  # topic, kind of event, subject

# The end of the application phase: transferred by the rule, or deferred for want of places.
TRACK_OUTCOME: Final = "TrackOutcome"
MANUAL_TRANSFER: Final = "ManualTransfer"
# Keyed by municipality code rather than a run id: counted from any run.
MUNICIPALITY_EVENTS: Final = frozenset({"HousingQuotaSet", "ReceptionTargetSet"})


def kind_of(event_type: str, data: dict[str, object]) -> str:
    """The kind an observed event counts as."""
    if event_type == "TransferDeferred":
        return TRACK_OUTCOME
    if event_type == "TransferredToAZC":
        return MANUAL_TRANSFER if data.get("manual") else TRACK_OUTCOME
    return event_type


Hops = tuple[tuple[str, str], ...]

# Per command: the events it causes for certain, one hop and two hops on.
CAUSED: Final[dict[str, Hops]] = {
    "RegisterApplication": (
        (REGISTRATION_EVENTS, "AsylumApplied"),
        (PLACEMENT_EVENTS, "AdmittedToApplicationCentre"),
    ),
    "AssignTrack": ((REGISTRATION_EVENTS, "TrackAssigned"), (PLACEMENT_EVENTS, TRACK_OUTCOME)),
    "TransferCase": ((PLACEMENT_EVENTS, MANUAL_TRANSFER),),
    "RecordDeparture": ((PLACEMENT_EVENTS, "LeftReception"),),
    "OpenLocation": ((CAPACITY_EVENTS, "LocationOpened"),),
    "ChangeCapacity": ((CAPACITY_EVENTS, "CapacityChanged"),),
    "SetHousingQuota": ((HOUSING_EVENTS, "HousingQuotaSet"),),
    "SetReceptionTarget": ((CAPACITY_EVENTS, "ReceptionTargetSet"),),
}
GRANTED: Final[Hops] = (
    (REGISTRATION_EVENTS, "PermitGranted"),
    (HOUSING_EVENTS, "PairedWithMunicipality"),
)
REJECTED: Final[Hops] = ((REGISTRATION_EVENTS, "ApplicationRejected"),)
HOUSED: Final[Hops] = ((HOUSING_EVENTS, "Housed"), (PLACEMENT_EVENTS, "LeftReception"))
# On from a transit location: the household left reception when it went there.
MOVED_ON: Final[Hops] = ((HOUSING_EVENTS, "Housed"),)


def _hops(step: Step) -> Hops:
    message = step.message
    if isinstance(message, RecordDecision):
        return GRANTED if message.outcome == "granted" else REJECTED
    if isinstance(message, HousingReport):
        return MOVED_ON if message.moving_on else HOUSED
    return CAUSED.get(message.type_name(), ())


def effects_of(step: Step) -> tuple[Effect, ...]:
    """The events a step's command causes for certain, with the step's subject."""
    return tuple((topic, kind, step.subject) for topic, kind in _hops(step))
