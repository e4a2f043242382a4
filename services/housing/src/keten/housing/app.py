"""The composition root: what housing subscribes to, projects, times and serves."""

from __future__ import annotations

from keten.contracts.alerts import Alert
from keten.contracts.capacity import LocationOpened
from keten.contracts.housing import (
    Housed,
    HousingDeadlineApproaching,
    HousingDeadlineMissed,
    HousingQuotaSet,
    PairCase,
    PairedWithMunicipality,
    QuotaTransferred,
    RecordHousing,
    SetHousingQuota,
    TransferQuota,
)
from keten.contracts.placement import AdmittedToApplicationCentre, TransferredToAZC
from keten.contracts.registration import PermitGranted
from keten.contracts.topics import (
    CAPACITY_EVENTS,
    HOUSING_COMMANDS,
    PLACEMENT_EVENTS,
    REGISTRATION_EVENTS,
)
from keten.housing import handlers as on
from keten.housing.api import routes
from keten.housing.domain.timers import APPROACHING, MISSED, TRANSIT
from keten.housing.projections.pairings import PairingsProjection
from keten.housing.projections.quota import QuotaProjection
from keten.housing.timer_handlers import on_housing_deadline, on_transit_stay_limit
from keten.kernel.decider import On, handlers
from keten.kernel.service import ServiceSpec, Subscription

DESCRIPTION = """Housing: the half-yearly housing quota (taakstelling) per municipality,
the pairing (koppeling) of permit holders with municipalities, and the 14-week deadline
from pairing to housing, watched in real time."""


def spec() -> ServiceSpec:
    commands = Subscription(
        "commands",
        (HOUSING_COMMANDS,),
        handlers(
            On(SetHousingQuota, on.set_housing_quota),
            On(TransferQuota, on.transfer_quota),
            On(PairCase, on.pair_case),
            On(RecordHousing, on.record_housing),
        ),
    )
    permits = Subscription(
        "permits", (REGISTRATION_EVENTS,), handlers(On(PermitGranted, on.pair_on_permit))
    )
    stays = Subscription(
        "stays",
        (PLACEMENT_EVENTS,),
        handlers(
            On(AdmittedToApplicationCentre, on.note_admission),
            On(TransferredToAZC, on.note_transfer),
        ),
    )
    locations = Subscription(
        "locations", (CAPACITY_EVENTS,), handlers(On(LocationOpened, on.note_location))
    )
    return ServiceSpec(
        name="housing",
        default_port=8083,
        subscriptions=[commands, permits, stays, locations],
        projections=[QuotaProjection(), PairingsProjection()],
        timers={
            APPROACHING: on_housing_deadline,
            MISSED: on_housing_deadline,
            TRANSIT: on_transit_stay_limit,
        },
        publishes=[
            HousingQuotaSet,
            QuotaTransferred,
            PairedWithMunicipality,
            Housed,
            HousingDeadlineApproaching,
            HousingDeadlineMissed,
            Alert,
        ],
        routes=routes,
        description=DESCRIPTION,
    )
