"""The composition root wires every command, the centres it learns, its timer and its view."""

from __future__ import annotations

from keten.contracts.topics import (
    ALERTS,
    CAPACITY_EVENTS,
    REGISTRATION_COMMANDS,
    REGISTRATION_EVENTS,
)
from keten.registration.app import spec
from keten.registration.domain.entitlement import ENTITLEMENT_TIMER


def test_registration_applies_its_three_commands_and_learns_application_centres() -> None:
    subscriptions = {s.topics: set(s.handlers) for s in spec().subscriptions}
    assert subscriptions == {
        (REGISTRATION_COMMANDS,): {"RegisterApplication", "AssignTrack", "RecordDecision"},
        (CAPACITY_EVENTS,): {"LocationOpened"},
    }


def test_registration_publishes_case_events_and_alerts_and_fires_the_entitlement_timer() -> None:
    service = spec()
    assert {e.topic for e in service.publishes} == {REGISTRATION_EVENTS, ALERTS}
    assert set(service.timers) == {ENTITLEMENT_TIMER}
    assert [p.name for p in service.projections] == ["cases"]
    assert service.default_port == 8081
