"""The case view: each case's status, facts, personal data and history.

The only read model that holds personal data (contract.md). Built from the case streams'
events alone, so a rebuild or an as-of replay gives the same rows.
"""

from __future__ import annotations

from typing import Final

import asyncpg

from keten.contracts.messages import Message
from keten.contracts.registration import (
    ApplicationRejected,
    AsylumApplied,
    PermitGranted,
    PersonalDataRecorded,
    ReceptionEntitlementEnded,
    TrackAssigned,
)
from keten.kernel.db import Connection
from keten.kernel.eventstore import RecordedEvent

CASES_TABLE_SQL: Final = """
CREATE TABLE IF NOT EXISTS cases (
    case_id                text PRIMARY KEY,
    status                 text NOT NULL,
    application_centre_id  text NOT NULL,
    adults                 integer NOT NULL,
    minors                 integer NOT NULL,
    nationality            text NOT NULL,
    ties                   jsonb NOT NULL,
    registered_at          timestamptz NOT NULL,
    personal               jsonb,
    track                  text,
    accelerated            boolean,
    decision_outcome       text,
    decision_final         boolean,
    decided_at             timestamptz,
    entitlement_ends_on    date,
    entitlement_ended_on   date
);
CREATE TABLE IF NOT EXISTS case_history (
    case_id      text NOT NULL,
    version      integer NOT NULL,
    event_type   text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    PRIMARY KEY (case_id, version)
);
"""

_INSERT_CASE: Final = """
INSERT INTO cases (case_id, status, application_centre_id, adults, minors, nationality, ties,
                   registered_at)
VALUES ($1, 'registered', $2, $3, $4, $5, $6, $7)
ON CONFLICT (case_id) DO NOTHING
"""
_SET_PERSONAL: Final = "UPDATE cases SET personal = $2 WHERE case_id = $1"
_SET_TRACK: Final = """
UPDATE cases SET status = 'track_assigned', track = $2, accelerated = $3 WHERE case_id = $1
"""
_SET_GRANTED: Final = """
UPDATE cases SET status = 'granted', decision_outcome = 'granted', decision_final = true,
                 decided_at = $2
 WHERE case_id = $1
"""
_SET_REJECTED: Final = """
UPDATE cases SET status = 'rejected', decision_outcome = 'rejected', decision_final = $2,
                 decided_at = $3, entitlement_ends_on = $4
 WHERE case_id = $1
"""
_SET_ENTITLEMENT_ENDED: Final = """
UPDATE cases SET status = 'entitlement_ended', entitlement_ended_on = $2 WHERE case_id = $1
"""
_ADD_HISTORY: Final = """
INSERT INTO case_history (case_id, version, event_type, occurred_at) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING
"""

Change = tuple[str, tuple[object, ...]]


class CasesProjection:
    """Rows of `cases` (one per case) and `case_history` (one per event of a case)."""

    name: Final = "cases"
    handles: Final = frozenset(
        cls.type_name()
        for cls in (
            AsylumApplied,
            PersonalDataRecorded,
            TrackAssigned,
            PermitGranted,
            ApplicationRejected,
            ReceptionEntitlementEnded,
        )
    )
    tables: Final = ("cases", "case_history")

    async def create(self, conn: Connection) -> None:
        await conn.execute(CASES_TABLE_SQL)

    async def apply(self, conn: Connection, event: RecordedEvent) -> None:
        change = _change(event, event.message())
        if change is None:
            return
        statement, arguments = change
        await conn.execute(statement, *arguments)
        await conn.execute(
            _ADD_HISTORY, event.subject, event.version, event.event_type, event.occurred_at
        )


def _change(event: RecordedEvent, message: Message) -> Change | None:  # noqa: PLR0911 - one arm per event
    """The row change an event makes to its case, as a statement and its arguments."""
    match message:
        case AsylumApplied(household=household):
            ties = [tie.model_dump(mode="json") for tie in message.ties]
            return _INSERT_CASE, (
                message.case_id,
                message.application_centre_id,
                household.adults,
                household.minors,
                message.nationality,
                ties,
                event.occurred_at,
            )
        case PersonalDataRecorded():
            return _SET_PERSONAL, (message.case_id, message.personal.model_dump(mode="json"))
        case TrackAssigned():
            return _SET_TRACK, (message.case_id, message.track, message.accelerated)
        case PermitGranted():
            return _SET_GRANTED, (message.case_id, event.occurred_at)
        case ApplicationRejected():
            return _SET_REJECTED, (
                message.case_id,
                message.final,
                event.occurred_at,
                message.entitlement_ends_on,
            )
        case ReceptionEntitlementEnded():
            return _SET_ENTITLEMENT_ENDED, (message.case_id, message.ended_on)
        case _:
            return None


async def find_case(
    conn: Connection, case_id: str
) -> tuple[asyncpg.Record, list[asyncpg.Record]] | None:
    """A case's row and its history, oldest first; None for a case not (yet) registered."""
    row = await conn.fetchrow("SELECT * FROM cases WHERE case_id = $1", case_id)
    if row is None:
        return None
    history = await conn.fetch(
        "SELECT event_type, occurred_at FROM case_history WHERE case_id = $1 ORDER BY version",
        case_id,
    )
    return row, history
