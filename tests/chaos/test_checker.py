"""The checker finds what it is there to find: each kind of loss, duplicate and reordering,
planted in a small chain's stores and topics, and nothing in a clean one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.chaos.checker import Consumer, Findings, Record, Row, Store, judge

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CONSUMERS = [
    Consumer("registration.commands", "registration", ("registration.commands",),
             frozenset({"RegisterApplication", "AssignTrack"})),
    Consumer("placement.registration", "placement", ("registration.events",),
             frozenset({"AsylumApplied"})),
]  # fmt: skip


def command(offset: int, message_id: str, kind: str = "RegisterApplication") -> Record:
    return Record("registration.commands", 0, offset, "case-1", message_id, kind, {})


def published(offset: int, event_id: str, kind: str, partition: int = 0) -> Record:
    return Record("registration.events", partition, offset, "case-1", event_id, kind, {})


def event(event_id: str, version: int, kind: str, cause: str, **data: Any) -> Row:
    return {
        "transaction_id": 100 + version, "position": version, "stream_id": "case-1",
        "version": version, "event_id": event_id, "event_type": kind, "subject": "case-1",
        "topic": "registration.events", "causation_id": cause, "data": data,
    }  # fmt: skip


def inbox(consumer: str, message_id: str, topic: str, offset: int, seconds: int = 0) -> Row:
    return {
        "consumer": consumer, "message_id": message_id, "topic": topic, "partition": 0,
        "offset": offset, "outcome": "applied", "processed_at": T0 + timedelta(seconds=seconds),
    }  # fmt: skip


def clean() -> tuple[list[Store], list[Record]]:
    """Two commands applied; their events published and the first consumed by placement."""
    registration = Store(
        "registration",
        events=[
            event("e1", 1, "AsylumApplied", "c1", case_id="case-1"),
            event("e2", 2, "TrackAssigned", "c2", case_id="case-1"),
        ],
        inbox=[
            inbox("registration.commands", "c1", "registration.commands", 0, 0),
            inbox("registration.commands", "c2", "registration.commands", 1, 1),
        ],
        dead_letters=[],
    )
    placement = Store(
        "placement",
        events=[],
        inbox=[inbox("placement.registration", "e1", "registration.events", 0)],
        dead_letters=[],
    )
    records = [
        command(0, "c1"),
        command(1, "c2", "AssignTrack"),
        published(0, "e1", "AsylumApplied"),
        published(1, "e2", "TrackAssigned"),  # placement lets it pass
    ]
    return [registration, placement], records


def judged(stores: list[Store], records: list[Record]) -> Findings:
    return judge(stores, records, CONSUMERS)


def test_a_clean_chain_has_nothing_to_report() -> None:
    findings = judged(*clean())
    assert findings.totals() == {"lost": 0, "duplicated": 0, "reordered": 0, "dead_letters": 0}
    assert findings.counts["deliveries checked"] == 3


def test_a_republished_event_is_at_least_once_not_a_duplicate() -> None:
    stores, records = clean()
    records.append(published(2, "e1", "AsylumApplied"))
    findings = judged(stores, records)
    assert findings.ok
    assert findings.counts["republished"] == 1


def test_a_command_neither_applied_nor_refused_is_lost() -> None:
    stores, records = clean()
    records.append(command(2, "c3", "AssignTrack"))
    assert judged(stores, records).totals()["lost"] == 1


def test_a_refused_command_is_not_lost_and_its_letter_must_reach_its_topic() -> None:
    stores, records = clean()
    records.append(command(2, "c3", "Nonsense"))
    stores[0].dead_letters.append(
        {"id": 7, "consumer": "registration.commands", "topic": "registration.commands",
         "partition": 0, "offset": 2, "message_id": "c3", "message_type": "Nonsense",
         "stage": "validate", "error_type": "UnknownType", "reason": "unknown",
         "published_at": None, "resolved_at": None}
    )  # fmt: skip
    findings = judged(stores, records)
    never = "dead letter 7 of registration.commands (Nonsense c3): never reached its .dlq"
    assert findings.lost == [never.replace("its .dlq", "registration.commands.dlq")]
    letter = Record(
        "registration.commands.dlq", 0, 0, "case-1", "c3", "Nonsense",
        {"original.consumer": "registration.commands", "dead_letter.id": "7"},
    )  # fmt: skip
    findings = judged(stores, [*records, letter])
    assert findings.totals() == {"lost": 0, "duplicated": 0, "reordered": 0, "dead_letters": 1}


def test_an_event_never_published_and_one_never_consumed_are_lost() -> None:
    stores, records = clean()
    stores[0].events.append(event("e3", 3, "AsylumApplied", "c3", case_id="case-1"))
    assert len(judged(stores, records).lost) == 1
    records.append(published(2, "e3", "AsylumApplied"))
    [lost] = judged(stores, records).lost  # published now, but placement never applied it
    assert lost.endswith("neither applied nor refused by placement.registration")


def test_one_message_taking_effect_twice_is_a_duplicate() -> None:
    stores, records = clean()
    stores[0].events.append(event("e3", 3, "AsylumApplied", "c1", case_id="case-1"))
    records.append(published(2, "e3", "AsylumApplied"))
    stores[1].inbox.append(inbox("placement.registration", "e3", "registration.events", 2))
    assert judged(stores, records).totals()["duplicated"] == 1


def test_one_message_placing_two_cases_on_one_stream_is_no_duplicate() -> None:
    stores, records = clean()
    stores[0].events.append(event("e3", 3, "TrackAssigned", "c2", case_id="case-2"))
    records.append(published(2, "e3", "TrackAssigned"))
    assert judged(stores, records).ok


def test_an_event_on_a_topic_from_no_store_is_an_effect_of_nothing() -> None:
    stores, records = clean()
    records.append(published(2, "e9", "TrackAssigned"))
    assert judged(stores, records).totals()["duplicated"] == 1


def test_a_later_version_published_first_is_reordered() -> None:
    stores, records = clean()
    records[2:4] = [published(0, "e2", "TrackAssigned"), published(1, "e1", "AsylumApplied")]
    assert judged(stores, records).totals()["reordered"] == 1
    # Only first occurrences count: a republished earlier version is at-least-once.
    stores, records = clean()
    records.append(published(2, "e1", "AsylumApplied"))
    assert judged(stores, records).ok


def test_a_key_on_two_partitions_is_reordered() -> None:
    stores, records = clean()
    records[3] = published(0, "e2", "TrackAssigned", partition=1)
    assert judged(stores, records).totals()["reordered"] == 1


def test_a_later_offset_applied_in_an_earlier_transaction_is_reordered() -> None:
    stores, records = clean()
    stores[0].inbox[0] = inbox("registration.commands", "c1", "registration.commands", 0, 5)
    assert judged(stores, records).totals()["reordered"] == 1
