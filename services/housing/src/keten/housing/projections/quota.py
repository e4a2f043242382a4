"""The quota ledger's read model: quota per municipality and period, and each case's current
pairing with the periods of its pairing and its housing. Figures per period are computed from
these rows by the domain's rules (`figures_for`), when read.

Besides its live copy, the pairing decisions keep a copy of this projection updated in their
own transaction (see `keten.housing.ledger`), so that they never decide on stale figures.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Final

from keten.contracts.housing import (
    Housed,
    HousingQuotaSet,
    PairedWithMunicipality,
    QuotaTransferred,
)
from keten.housing.domain.calendar import period_of
from keten.housing.domain.figures import PeriodActivity, QuotaFigures, figures_for
from keten.kernel.db import Connection
from keten.kernel.eventstore import RecordedEvent

_CREATE: Final = """
CREATE TABLE IF NOT EXISTS period_quotas (
    period             text NOT NULL,
    municipality_code  text NOT NULL,
    persons            integer NOT NULL,
    PRIMARY KEY (period, municipality_code)
);
CREATE TABLE IF NOT EXISTS case_pairings (
    case_id            text PRIMARY KEY,
    municipality_code  text NOT NULL,
    persons            integer NOT NULL,
    paired_period      text NOT NULL,
    housed_period      text
);
CREATE TABLE IF NOT EXISTS pairing_totals (
    municipality_code  text NOT NULL,
    paired_period      text NOT NULL,
    housed_period      text,
    persons            integer NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS pairing_totals_key
    ON pairing_totals (municipality_code, paired_period, (coalesce(housed_period, '')));
INSERT INTO pairing_totals (municipality_code, paired_period, housed_period, persons)
SELECT municipality_code, paired_period, housed_period, sum(persons) FROM case_pairings
 WHERE NOT EXISTS (SELECT 1 FROM pairing_totals)
 GROUP BY 1, 2, 3;
"""

# `pairing_totals` is `case_pairings` summed by municipality and periods, kept as cases are
# paired and housed, so that reading a period's figures costs the same with 100 pairings or
# 100,000 (the figures are sums over those columns). Filled from `case_pairings` when the
# table is new to a schema that has pairings.
_ADD_TOTAL: Final = """
INSERT INTO pairing_totals (municipality_code, paired_period, housed_period, persons)
VALUES ($1, $2, $3, $4)
ON CONFLICT (municipality_code, paired_period, (coalesce(housed_period, '')))
DO UPDATE SET persons = pairing_totals.persons + EXCLUDED.persons
"""
_DROP_EMPTY_TOTALS: Final = "DELETE FROM pairing_totals WHERE persons = 0"

_ADD_QUOTA: Final = """
INSERT INTO period_quotas (period, municipality_code, persons) VALUES ($1, $2, $3)
ON CONFLICT (period, municipality_code)
DO UPDATE SET persons = period_quotas.persons + EXCLUDED.persons
"""

# Quota given and persons housed, per municipality and period, up to `period`.
_ACTIVITY: Final = """
SELECT municipality_code, period, sum(quota)::int AS quota, sum(housed)::int AS housed FROM (
    SELECT municipality_code, period, persons AS quota, 0 AS housed
      FROM period_quotas WHERE period <= $1
    UNION ALL
    SELECT municipality_code, housed_period, 0, persons
      FROM pairing_totals WHERE housed_period <= $1
) AS activity GROUP BY 1, 2
"""

# Paired in `period`, and paired by then but not housed by then (awaiting housing).
_PAIRINGS: Final = """
SELECT municipality_code,
       coalesce(sum(persons) FILTER (WHERE paired_period = $1), 0)::int AS paired,
       coalesce(sum(persons) FILTER (
           WHERE housed_period IS NULL OR housed_period > $1), 0)::int AS awaiting
  FROM pairing_totals WHERE paired_period <= $1
 GROUP BY 1
"""


class QuotaProjection:
    """Quota per period and municipality; each case's current pairing and housing period.

    A transfer moves persons between two rows of one period, so the sum over a period's
    rows changes only by a quota being set. Only a case's first housing counts: a move on
    from a transit location is not counted again.
    """

    name = "quota"
    handles = frozenset({"HousingQuotaSet", "QuotaTransferred", "PairedWithMunicipality", "Housed"})
    tables = ("case_pairings", "pairing_totals", "period_quotas")

    async def create(self, conn: Connection) -> None:
        await conn.execute(_CREATE)

    async def apply(self, conn: Connection, event: RecordedEvent) -> None:
        match event.message():
            case HousingQuotaSet(municipality_code=code, period=period, persons=persons):
                await conn.execute(
                    """INSERT INTO period_quotas (period, municipality_code, persons)
                       VALUES ($1, $2, $3) ON CONFLICT (period, municipality_code)
                       DO UPDATE SET persons = EXCLUDED.persons""",
                    period,
                    code,
                    persons,
                )
            case QuotaTransferred() as moved:
                await conn.execute(
                    _ADD_QUOTA, moved.period, moved.from_municipality, -moved.persons
                )
                await conn.execute(_ADD_QUOTA, moved.period, moved.to_municipality, moved.persons)
            case PairedWithMunicipality(case_id=case_id, municipality_code=code, persons=persons):
                await _paired(conn, case_id, code, persons, period_of(event.occurred_at))
            case Housed(case_id=case_id, period=period):
                row = await conn.fetchrow(
                    """UPDATE case_pairings SET housed_period = $2
                        WHERE case_id = $1 AND housed_period IS NULL
                    RETURNING municipality_code, paired_period, persons""",
                    case_id,
                    period,
                )
                if row is not None:
                    key = (row["municipality_code"], row["paired_period"])
                    await _add_totals(
                        conn, [(*key, None, -row["persons"]), (*key, period, row["persons"])]
                    )


async def _paired(conn: Connection, case_id: str, code: str, persons: int, period: str) -> None:
    """The case's current pairing (a new one replaces the old), in the row and the totals."""
    old = await conn.fetchrow(
        """SELECT municipality_code, paired_period, housed_period, persons
             FROM case_pairings WHERE case_id = $1""",
        case_id,
    )
    await conn.execute(
        """INSERT INTO case_pairings (case_id, municipality_code, persons, paired_period)
           VALUES ($1, $2, $3, $4) ON CONFLICT (case_id) DO UPDATE
           SET municipality_code = EXCLUDED.municipality_code,
               persons = EXCLUDED.persons, paired_period = EXCLUDED.paired_period""",
        case_id,
        code,
        persons,
        period,
    )
    changes: list[_TotalChange] = [(code, period, None, persons)]
    if old is not None:  # a pairing by hand replaces it: its persons move with it
        housed = old["housed_period"]
        changes = [
            (old["municipality_code"], old["paired_period"], housed, -old["persons"]),
            (code, period, housed, persons),
        ]
    await _add_totals(conn, changes)


_TotalChange = tuple[str, str, str | None, int]  # municipality, paired and housed period, persons


async def _add_totals(conn: Connection, changes: list[_TotalChange]) -> None:
    await conn.executemany(_ADD_TOTAL, changes)
    if any(persons < 0 for *_, persons in changes):
        await conn.execute(_DROP_EMPTY_TOTALS)


async def read_figures(conn: Connection, period: str) -> dict[str, QuotaFigures]:
    """Every municipality with any activity up to `period`, with its figures in `period`."""
    history: defaultdict[str, dict[str, PeriodActivity]] = defaultdict(dict)
    for row in await conn.fetch(_ACTIVITY, period):
        history[row["municipality_code"]][row["period"]] = PeriodActivity(
            quota=row["quota"], housed=row["housed"]
        )
    pairings = {row["municipality_code"]: row for row in await conn.fetch(_PAIRINGS, period)}
    codes = sorted(set(history) | set(pairings))
    return {
        code: figures_for(
            period,
            history.get(code, {}),
            paired=pairings[code]["paired"] if code in pairings else 0,
            awaiting=pairings[code]["awaiting"] if code in pairings else 0,
        )
        for code in codes
    }
