"""Alerts: one CloudEvent each on the `alerts` topic, for people to act on."""

from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints

from keten.contracts.messages import Event
from keten.contracts.topics import ALERTS
from keten.contracts.values import StoredInt, SubjectId

AlertKind = Literal[
    "housing_deadline_approaching",
    "housing_deadline_missed",
    "reception_entitlement_ended",
    "over_capacity",
    "no_capacity",
    "transit_stay_exceeded",
    "htl_stay_approaching",
    "htl_stay_exceeded",
    "service_degraded",
]

FigureName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
FigureText = Annotated[str, StringConstraints(max_length=200)]


class Alert(Event):
    """Something needs attention: a deadline, an ended entitlement, a capacity shortfall, or
    a service whose loop has stopped or stalled (`subject_id` is then the service)."""

    topic: ClassVar[str | None] = ALERTS

    kind: AlertKind
    subject_id: SubjectId  # the case or location the alert is about
    summary: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    due: date | None = None
    figures: dict[FigureName, StoredInt | FigureText] = Field(default_factory=dict, max_length=50)
