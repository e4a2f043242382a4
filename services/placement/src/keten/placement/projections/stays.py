"""Where each household is and has been: one row per stay, from arrival until it ended, with
the last day of a stay at an HTL (`limit_on`, 3 calendar months)."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from keten.contracts.placement import (
    AdmittedToApplicationCentre,
    LeftReception,
    TransferDeferred,
    TransferredToAZC,
)
from keten.kernel.db import Connection
from keten.kernel.eventstore import RecordedEvent
from keten.placement.domain.stay_limit import limit_on

_TABLES: Final = """
CREATE TABLE IF NOT EXISTS stay_cases (
    case_id         text PRIMARY KEY,
    persons         integer NOT NULL,
    status          text NOT NULL,
    move_count      integer NOT NULL,
    awaiting_type   text,
    awaiting_since  timestamptz,
    left_reason     text
);
CREATE TABLE IF NOT EXISTS stays (
    case_id        text NOT NULL,
    seq            integer NOT NULL,
    location_id    text NOT NULL,
    location_type  text NOT NULL,
    arrival        text NOT NULL,
    since          timestamptz NOT NULL,
    until          timestamptz,
    ended_by       text,
    move_count     integer NOT NULL,
    PRIMARY KEY (case_id, seq)
);
ALTER TABLE stays ADD COLUMN IF NOT EXISTS limit_on date;
"""
_ADD_STAY: Final = """
INSERT INTO stays (case_id, seq, location_id, location_type, arrival, since, move_count, limit_on)
SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5, $6, $7 FROM stays WHERE case_id = $1
"""
_END_STAY: Final = """
UPDATE stays SET until = $2, ended_by = $3 WHERE case_id = $1 AND until IS NULL
"""


class StaysProjection:
    """Per case: its status, move count and every stay; for `GET /cases/{case_id}/stay`."""

    name = "stays"
    handles = frozenset(
        {"AdmittedToApplicationCentre", "TransferDeferred", "TransferredToAZC", "LeftReception"}
    )
    tables = ("stay_cases", "stays")

    async def create(self, conn: Connection) -> None:
        await conn.execute(_TABLES)

    async def apply(self, conn: Connection, event: RecordedEvent) -> None:
        message = event.message()
        at = event.occurred_at
        match message:
            case AdmittedToApplicationCentre():
                await self._admitted(conn, message, at)
            case TransferDeferred():
                await conn.execute(
                    "UPDATE stay_cases SET status = 'awaiting_transfer', awaiting_type = $2,"
                    " awaiting_since = $3 WHERE case_id = $1",
                    message.case_id,
                    message.location_type,
                    at,
                )
            case TransferredToAZC():
                await self._transferred(conn, message, at)
            case LeftReception():
                await conn.execute(_END_STAY, message.case_id, at, message.reason)
                await conn.execute(
                    "UPDATE stay_cases SET status = 'left', left_reason = $2,"
                    " awaiting_type = NULL, awaiting_since = NULL WHERE case_id = $1",
                    message.case_id,
                    message.reason,
                )
            case _:
                pass

    async def _admitted(
        self, conn: Connection, admitted: AdmittedToApplicationCentre, at: datetime
    ) -> None:
        await conn.execute(
            "INSERT INTO stay_cases (case_id, persons, status, move_count)"
            " VALUES ($1, $2, 'at_application_centre', 0) ON CONFLICT DO NOTHING",
            admitted.case_id,
            admitted.persons,
        )
        await conn.execute(
            _ADD_STAY,
            admitted.case_id,
            admitted.location_id,
            "application_centre",
            "admitted",
            at,
            0,
            None,
        )

    async def _transferred(self, conn: Connection, moved: TransferredToAZC, at: datetime) -> None:
        arrival = "transferred_by_hand" if moved.manual else "transferred_by_rule"
        await conn.execute(_END_STAY, moved.case_id, at, "transferred")
        await conn.execute(
            _ADD_STAY,
            moved.case_id,
            moved.to_location_id,
            moved.to_location_type,
            arrival,
            at,
            moved.move_count,
            limit_on(moved.to_location_type, at),
        )
        await conn.execute(
            "UPDATE stay_cases SET status = 'transferred', move_count = $2,"
            " awaiting_type = NULL, awaiting_since = NULL WHERE case_id = $1",
            moved.case_id,
            moved.move_count,
        )
