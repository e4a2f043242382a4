"""The composition root: what the capacity ledger consumes, keeps, publishes and serves."""

from __future__ import annotations

from keten.capacity import handlers
from keten.capacity.api import routes
from keten.capacity.projections.occupancy import OccupancyProjection
from keten.contracts.alerts import Alert
from keten.contracts.capacity import (
    CapacityChanged,
    ChangeCapacity,
    CloseLocation,
    LocationClosed,
    LocationOpened,
    OpenLocation,
    OverCapacity,
    ReceptionTargetSet,
    SetReceptionTarget,
)
from keten.contracts.placement import (
    AdmittedToApplicationCentre,
    LeftReception,
    TransferredToAZC,
)
from keten.contracts.topics import CAPACITY_COMMANDS, PLACEMENT_EVENTS
from keten.kernel.service import ServiceSpec, Subscription


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="capacity",
        default_port=8084,
        subscriptions=[
            Subscription(
                "commands",
                (CAPACITY_COMMANDS,),
                {
                    OpenLocation.type_name(): handlers.open_location,
                    ChangeCapacity.type_name(): handlers.change_capacity,
                    CloseLocation.type_name(): handlers.close_location,
                    SetReceptionTarget.type_name(): handlers.set_reception_target,
                },
            ),
            # TransferDeferred moves nobody: it is not subscribed, so it passes by.
            Subscription(
                "placement",
                (PLACEMENT_EVENTS,),
                {
                    AdmittedToApplicationCentre.type_name(): handlers.admitted,
                    TransferredToAZC.type_name(): handlers.transferred,
                    LeftReception.type_name(): handlers.left,
                },
            ),
        ],
        projections=[OccupancyProjection()],
        publishes=[
            LocationOpened,
            CapacityChanged,
            LocationClosed,
            OverCapacity,
            ReceptionTargetSet,
            Alert,
        ],
        routes=routes,
        description=(
            "The capacity ledger: reception locations and their places, occupancy from "
            "placement's events, over-capacity alerts, and reception targets per municipality."
        ),
    )
