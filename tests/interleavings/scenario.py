"""A scenario of every command type, each topic's commands in the order of their time, and the
interleavings of those topics that Kafka allows (each topic's own order kept)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from keten.contracts.capacity import ChangeCapacity, CloseLocation, OpenLocation, SetReceptionTarget
from keten.contracts.housing import PairCase, RecordHousing, SetHousingQuota, TransferQuota
from keten.contracts.messages import Command, make_envelope
from keten.contracts.placement import RecordDeparture, TransferCase
from keten.contracts.registration import AssignTrack, RecordDecision, RegisterApplication


@dataclass(frozen=True)
class Sent:
    """One command as an outside system publishes it."""

    topic: str
    subject: str
    minute: int
    command: Command

    def cloud_event(self, base: datetime) -> bytes:
        """Its CloudEvent; the same ids in every run (each run has stores of its own)."""
        envelope = make_envelope(
            self.command,
            id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.topic}/{self.subject}/{self.minute}")),
            source="tests/interleavings",
            subject=self.subject,
            time=base + timedelta(minutes=self.minute),
        )
        return envelope.to_json()


def _sent(subject: str, minute: int, command: Command) -> Sent:
    assert command.topic is not None
    return Sent(command.topic, subject, minute, command)


AC, FAST, AZC, HTL, SPARE = "AC-IL1", "AZC-IL1", "AZC-IL2", "HTL-IL1", "NOO-IL1"
GRONINGEN, WESTERWOLDE = "GM0014", "GM1950"


def person(n: int) -> dict[str, str]:
    return {
        "v_number": f"{4100000000 + n:010d}",
        "family_name": f"Familie{n}",
        "given_names": f"Persoon {n}",
        "date_of_birth": "1990-05-17",
    }


def commands(period: str) -> list[Sent]:
    """The scenario, in its true order (by time)."""
    opened = [
        _sent(AC, 0, OpenLocation(location_id=AC, name="Ter Apel", type="application_centre",
                                  municipality_code=WESTERWOLDE, capacity=500)),
        _sent(FAST, 1, OpenLocation(location_id=FAST, name="Snel", type="accelerated_azc",
                                    municipality_code=GRONINGEN, capacity=100)),
        _sent(AZC, 2, OpenLocation(location_id=AZC, name="Azc", type="azc",
                                   municipality_code=GRONINGEN, capacity=100)),
        _sent(HTL, 3, OpenLocation(location_id=HTL, name="Htl", type="htl",
                                   municipality_code=GRONINGEN, capacity=50)),
        _sent(SPARE, 4, OpenLocation(location_id=SPARE, name="Nood", type="emergency",
                                     municipality_code=GRONINGEN, capacity=20)),
    ]  # fmt: skip
    setup = [
        _sent(GRONINGEN, 5, SetReceptionTarget(municipality_code=GRONINGEN, places=800)),
        _sent(GRONINGEN, 6, SetHousingQuota(municipality_code=GRONINGEN, period=period,
                                             persons=50)),
        _sent(WESTERWOLDE, 7, SetHousingQuota(municipality_code=WESTERWOLDE, period=period,
                                               persons=10)),
        _sent(WESTERWOLDE, 8, TransferQuota(period=period, from_municipality=WESTERWOLDE,
                                            to_municipality=GRONINGEN, persons=4)),
    ]  # fmt: skip
    tie = [{"municipality_code": GRONINGEN, "kind": "family"}]
    households = {
        "C1": ({"adults": 2, "minors": 1}, tie),
        "C2": ({"adults": 1, "minors": 0}, []),
        "C3": ({"adults": 1, "minors": 2}, tie),
        "C4": ({"adults": 1, "minors": 0}, []),
        "C5": ({"adults": 2, "minors": 0}, []),
    }
    cases = [f"IL-{c}" for c in households]
    registered = [
        _sent(case, 10 + i, RegisterApplication.model_validate({
            "case_id": case, "application_centre_id": AC, "household": household,
            "nationality": "SYR", "ties": ties, "personal": person(i),
        }))
        for i, (case, (household, ties)) in enumerate(zip(cases, households.values(), strict=True))
    ]  # fmt: skip
    c1, c2, c3, c4, c5 = cases
    later = [
        _sent(c1, 20, AssignTrack(case_id=c1, track="general")),
        _sent(c2, 21, AssignTrack(case_id=c2, track="dublin")),
        _sent(c3, 22, AssignTrack(case_id=c3, track="general")),
        _sent(c4, 25, TransferCase(case_id=c4, to_location_id=HTL, reason="a place at the htl")),
        _sent(c5, 26, RecordDeparture(case_id=c5, reason="voluntary")),
        _sent(FAST, 30, ChangeCapacity(location_id=FAST, capacity=150, reason="extra units")),
        _sent(SPARE, 31, CloseLocation(location_id=SPARE)),
        _sent(c1, 40, RecordDecision(case_id=c1, outcome="granted")),
        _sent(c2, 41, RecordDecision(case_id=c2, outcome="rejected", final=True)),
        _sent(c3, 42, RecordDecision(case_id=c3, outcome="granted")),
        _sent(c3, 50, PairCase(case_id=c3, municipality_code=GRONINGEN)),
        _sent(c1, 60, RecordHousing(case_id=c1, municipality_code=GRONINGEN, kind="regular")),
    ]
    return sorted([*opened, *setup, *registered, *later], key=lambda s: s.minute)


def interleaved(sent: Sequence[Sent], rng: random.Random) -> list[Sent]:
    """A random merge of the topics' sequences, each topic's order kept."""
    queues: dict[str, list[Sent]] = {}
    for item in sent:
        queues.setdefault(item.topic, []).append(item)
    merged: list[Sent] = []
    while queues:
        topic = rng.choice(sorted(queues))
        merged.append(queues[topic].pop(0))
        if not queues[topic]:
            del queues[topic]
    return merged
