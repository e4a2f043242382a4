"""The composition root: what placement reads, what it publishes, times and serves."""

from __future__ import annotations

from keten.contracts.alerts import Alert
from keten.contracts.capacity import CapacityChanged, LocationClosed, LocationOpened
from keten.contracts.housing import Housed
from keten.contracts.placement import (
    AdmittedToApplicationCentre,
    LeftReception,
    RecordDeparture,
    StayLimitApproaching,
    StayLimitExceeded,
    TransferCase,
    TransferDeferred,
    TransferredToAZC,
)
from keten.contracts.registration import AsylumApplied, TrackAssigned
from keten.contracts.topics import (
    CAPACITY_EVENTS,
    HOUSING_EVENTS,
    PLACEMENT_COMMANDS,
    REGISTRATION_EVENTS,
)
from keten.kernel.decider import On, handlers
from keten.kernel.service import ServiceSpec, Subscription
from keten.placement import handlers as handle
from keten.placement import ledger
from keten.placement.api import routes
from keten.placement.domain.stay_limit import TIMER_KINDS
from keten.placement.projections.residents import ResidentsProjection
from keten.placement.projections.stays import StaysProjection

NAME = "placement"
PORT = 8082


def spec() -> ServiceSpec:
    return ServiceSpec(
        name=NAME,
        default_port=PORT,
        subscriptions=[
            Subscription(
                "registration",
                (REGISTRATION_EVENTS,),
                handlers(
                    On(AsylumApplied, handle.admit), On(TrackAssigned, handle.transfer_by_track)
                ),
            ),
            Subscription(
                "capacity",
                (CAPACITY_EVENTS,),
                handlers(
                    On(LocationOpened, handle.learn_location),
                    On(CapacityChanged, handle.learn_location),
                    On(LocationClosed, handle.learn_location),
                ),
            ),
            Subscription(
                "housing", (HOUSING_EVENTS,), handlers(On(Housed, handle.leave_for_housing))
            ),
            Subscription(
                "commands",
                (PLACEMENT_COMMANDS,),
                handlers(
                    On(TransferCase, handle.transfer_by_hand),
                    On(RecordDeparture, handle.record_departure),
                ),
            ),
        ],
        projections=[StaysProjection(), ResidentsProjection()],
        timers=dict.fromkeys(TIMER_KINDS, handle.stay_limit_reached),
        setup=ledger.ensure_tables,
        publishes=[
            AdmittedToApplicationCentre,
            TransferredToAZC,
            TransferDeferred,
            LeftReception,
            StayLimitApproaching,
            StayLimitExceeded,
            Alert,
        ],
        routes=routes,
        description=(
            "Placement: admits households at their application centre, transfers them by the "
            "transfer rule without ever overbooking a location, records their departure, and "
            "watches every HTL stay's limit of 3 calendar months."
        ),
    )
