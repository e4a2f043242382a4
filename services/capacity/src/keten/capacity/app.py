"""The composition root: what the capacity ledger consumes, keeps, publishes and serves."""

from __future__ import annotations

from keten.capacity.api import routes
from keten.capacity.handlers import (
    admitted,
    change_capacity,
    close_location,
    left,
    open_location,
    set_reception_target,
    transferred,
)
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
from keten.kernel.decider import On, handlers
from keten.kernel.service import ServiceSpec, Subscription


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="capacity",
        default_port=8084,
        subscriptions=[
            Subscription(
                "commands",
                (CAPACITY_COMMANDS,),
                handlers(
                    On(OpenLocation, open_location),
                    On(ChangeCapacity, change_capacity),
                    On(CloseLocation, close_location),
                    On(SetReceptionTarget, set_reception_target),
                ),
            ),
            # TransferDeferred moves nobody: it is not subscribed, so it passes by.
            Subscription(
                "placement",
                (PLACEMENT_EVENTS,),
                handlers(
                    On(AdmittedToApplicationCentre, admitted),
                    On(TransferredToAZC, transferred),
                    On(LeftReception, left),
                ),
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
