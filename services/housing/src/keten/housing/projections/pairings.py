"""The pairings read model: per case its permit, current pairing, deadline, the warnings and
breaches raised, and its housing. Statuses, overdue lists and housing times read from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal

from keten.contracts.housing import (
    Housed,
    HousingDeadlineApproaching,
    HousingDeadlineMissed,
    PairedWithMunicipality,
)
from keten.contracts.registration import PermitGranted
from keten.housing.domain.calendar import housing_deadline
from keten.housing.domain.reports import HousedHousehold
from keten.kernel.db import Connection
from keten.kernel.eventstore import RecordedEvent

PairingStatus = Literal["open", "approaching", "overdue", "housed"]

_CREATE: Final = """
CREATE TABLE IF NOT EXISTS pairings (
    case_id            text PRIMARY KEY,
    permit_at          timestamptz,
    pairing_number     integer NOT NULL DEFAULT 0,
    municipality_code  text,
    persons            integer,
    rule               text,
    paired_at          timestamptz,
    paired_on          date,
    due_on             date,
    warn_at            timestamptz,
    breached_at        timestamptz,
    approaching_at     timestamptz,
    missed_at          timestamptz,
    housed_at          timestamptz,
    housed_kind        text,
    housed_period      text
);
"""

_PAIRED: Final = """
INSERT INTO pairings (case_id, pairing_number, municipality_code, persons, rule, paired_at,
                      paired_on, due_on, warn_at, breached_at)
VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (case_id) DO UPDATE SET
    pairing_number = pairings.pairing_number + 1,
    municipality_code = EXCLUDED.municipality_code, persons = EXCLUDED.persons,
    rule = EXCLUDED.rule, paired_at = EXCLUDED.paired_at, paired_on = EXCLUDED.paired_on,
    due_on = EXCLUDED.due_on, warn_at = EXCLUDED.warn_at, breached_at = EXCLUDED.breached_at,
    approaching_at = NULL, missed_at = NULL
"""

# The status of a pairing, from the events raised for it: one rule, used by every query.
_STATUS: Final = """
CASE WHEN housed_at IS NOT NULL THEN 'housed'
     WHEN missed_at IS NOT NULL THEN 'overdue'
     WHEN approaching_at IS NOT NULL THEN 'approaching'
     ELSE 'open' END
"""

_COLUMNS: Final = f"""
case_id, municipality_code, persons, rule, pairing_number, permit_at, paired_on, due_on,
breached_at, housed_at, housed_kind, ({_STATUS}) AS status
"""


@dataclass(frozen=True)
class PairingRow:
    case_id: str
    municipality_code: str
    persons: int
    rule: str
    pairing_number: int
    permit_at: datetime | None
    paired_on: date
    due_on: date
    breached_at: datetime
    housed_at: datetime | None
    housed_kind: str | None
    status: PairingStatus


class PairingsProjection:
    name = "pairings"
    handles = frozenset(
        {
            "PermitGranted",
            "PairedWithMunicipality",
            "HousingDeadlineApproaching",
            "HousingDeadlineMissed",
            "Housed",
        }
    )
    tables = ("pairings",)

    async def create(self, conn: Connection) -> None:
        await conn.execute(_CREATE)

    async def apply(self, conn: Connection, event: RecordedEvent) -> None:
        at = event.occurred_at
        match event.message():
            case PermitGranted(case_id=case_id):
                await conn.execute(
                    """INSERT INTO pairings (case_id, permit_at) VALUES ($1, $2)
                       ON CONFLICT (case_id) DO NOTHING""",
                    case_id,
                    at,
                )
            case PairedWithMunicipality() as paired:
                deadline = housing_deadline(at)
                await conn.execute(
                    _PAIRED,
                    paired.case_id,
                    paired.municipality_code,
                    paired.persons,
                    paired.reason.rule,
                    at,
                    paired.paired_on,
                    paired.due_on,
                    deadline.warn_at,
                    deadline.breached_at,
                )
            case HousingDeadlineApproaching(case_id=case_id, due_on=due_on):
                await _raised(conn, "approaching_at", case_id, due_on, at)
            case HousingDeadlineMissed(case_id=case_id, due_on=due_on):
                await _raised(conn, "missed_at", case_id, due_on, at)
            case Housed(case_id=case_id, kind=kind, period=period):
                await conn.execute(
                    """UPDATE pairings SET housed_at = coalesce(housed_at, $2),
                              housed_period = coalesce(housed_period, $3), housed_kind = $4
                        WHERE case_id = $1""",
                    case_id,
                    at,
                    period,
                    kind,
                )


async def _raised(
    conn: Connection,
    column: Literal["approaching_at", "missed_at"],
    case_id: str,
    due: date,
    at: datetime,
) -> None:
    await conn.execute(
        f"UPDATE pairings SET {column} = $3 WHERE case_id = $1 AND due_on = $2",  # noqa: S608
        case_id,
        due,
        at,
    )


async def read_pairings(
    conn: Connection, status: PairingStatus | None, limit: int
) -> list[PairingRow]:
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM pairings
             WHERE municipality_code IS NOT NULL AND ($1::text IS NULL OR ({_STATUS}) = $1)
             ORDER BY due_on, case_id LIMIT $2""",  # noqa: S608 - constant SQL fragments
        status,
        limit,
    )
    return [PairingRow(**dict(row)) for row in rows]


async def read_overdue(conn: Connection, moment: datetime) -> list[PairingRow]:
    """Pairings breached by `moment` and not housed by then (an as-of copy holds no later
    events, so its housings are all by then)."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM pairings
             WHERE municipality_code IS NOT NULL AND breached_at <= $1
               AND (housed_at IS NULL OR housed_at > $1)
             ORDER BY breached_at, case_id""",  # noqa: S608 - constant SQL fragments
        moment,
    )
    return [PairingRow(**dict(row)) for row in rows]


async def read_housed(conn: Connection, period: str) -> list[HousedHousehold]:
    rows = await conn.fetch(
        """SELECT permit_at, housed_at, due_on, persons FROM pairings
            WHERE housed_period = $1 AND permit_at IS NOT NULL ORDER BY case_id""",
        period,
    )
    return [HousedHousehold(**dict(row)) for row in rows]
