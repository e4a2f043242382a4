"""The composition root: what registration reads, keeps, publishes, serves and times."""

from __future__ import annotations

from keten.contracts.alerts import Alert
from keten.contracts.capacity import LocationOpened
from keten.contracts.registration import (
    ApplicationRejected,
    AssignTrack,
    AsylumApplied,
    PermitGranted,
    ReceptionEntitlementEnded,
    RecordDecision,
    RegisterApplication,
    TrackAssigned,
)
from keten.contracts.topics import CAPACITY_EVENTS, REGISTRATION_COMMANDS
from keten.kernel.decider import On, handlers
from keten.kernel.service import ServiceSpec, Subscription
from keten.registration.api import routes
from keten.registration.domain.entitlement import ENTITLEMENT_TIMER
from keten.registration.handlers import (
    assign_track,
    end_reception_entitlement,
    learn_application_centre,
    record_decision,
    register_application,
)
from keten.registration.projections.cases import CasesProjection


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="registration",
        default_port=8081,
        subscriptions=[
            Subscription(
                "commands",
                (REGISTRATION_COMMANDS,),
                handlers(
                    On(RegisterApplication, register_application),
                    On(AssignTrack, assign_track),
                    On(RecordDecision, record_decision),
                ),
            ),
            # Its own consumer group: the centres it learns never wait behind commands.
            Subscription(
                "capacity",
                (CAPACITY_EVENTS,),
                handlers(On(LocationOpened, learn_application_centre)),
            ),
        ],
        projections=[CasesProjection()],
        timers={ENTITLEMENT_TIMER: end_reception_entitlement},
        publishes=[
            AsylumApplied,
            TrackAssigned,
            PermitGranted,
            ApplicationRejected,
            ReceptionEntitlementEnded,
            Alert,
        ],
        routes=routes,
        description=(
            "Registers asylum applications, tracks and IND decisions; ends the reception "
            "entitlement 28 days after a final rejection. Serves the case view."
        ),
    )
