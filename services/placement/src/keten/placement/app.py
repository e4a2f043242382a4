"""The composition root: what placement reads, what it publishes, and its query API."""

from __future__ import annotations

from keten.contracts.alerts import Alert
from keten.contracts.placement import (
    AdmittedToApplicationCentre,
    LeftReception,
    TransferDeferred,
    TransferredToAZC,
)
from keten.contracts.topics import (
    CAPACITY_EVENTS,
    HOUSING_EVENTS,
    PLACEMENT_COMMANDS,
    REGISTRATION_EVENTS,
)
from keten.kernel.service import ServiceSpec, Subscription
from keten.placement import handlers, ledger
from keten.placement.api import routes
from keten.placement.projections.residents import ResidentsProjection
from keten.placement.projections.stays import StaysProjection

NAME = "placement"
LOCATION_FACTS = ("LocationOpened", "CapacityChanged", "LocationClosed")
PORT = 8082


def spec() -> ServiceSpec:
    return ServiceSpec(
        name=NAME,
        default_port=PORT,
        subscriptions=[
            Subscription(
                "registration",
                (REGISTRATION_EVENTS,),
                {"AsylumApplied": handlers.admit, "TrackAssigned": handlers.transfer_by_track},
            ),
            Subscription(
                "capacity",
                (CAPACITY_EVENTS,),
                dict.fromkeys(LOCATION_FACTS, handlers.learn_location),
            ),
            Subscription("housing", (HOUSING_EVENTS,), {"Housed": handlers.leave_for_housing}),
            Subscription(
                "commands",
                (PLACEMENT_COMMANDS,),
                {
                    "TransferCase": handlers.transfer_by_hand,
                    "RecordDeparture": handlers.record_departure,
                },
            ),
        ],
        projections=[StaysProjection(), ResidentsProjection()],
        setup=ledger.ensure_tables,
        publishes=[
            AdmittedToApplicationCentre,
            TransferredToAZC,
            TransferDeferred,
            LeftReception,
            Alert,
        ],
        routes=routes,
        description=(
            "Placement: admits households at their application centre, transfers them by the "
            "transfer rule without ever overbooking a location, and records their departure."
        ),
    )
