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
"""

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
      FROM case_pairings WHERE housed_period <= $1
) AS activity GROUP BY 1, 2
"""

# Paired in `period`, and paired by then but not housed by then (awaiting housing).
_PAIRINGS: Final = """
SELECT municipality_code,
       coalesce(sum(persons) FILTER (WHERE paired_period = $1), 0)::int AS paired,
       coalesce(sum(persons) FILTER (
           WHERE housed_period IS NULL OR housed_period > $1), 0)::int AS awaiting
  FROM case_pairings WHERE paired_period <= $1
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
    tables = ("case_pairings", "period_quotas")

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
                await conn.execute(
                    """INSERT INTO case_pairings (case_id, municipality_code, persons,
                                                  paired_period) VALUES ($1, $2, $3, $4)
                       ON CONFLICT (case_id) DO UPDATE
                       SET municipality_code = EXCLUDED.municipality_code,
                           persons = EXCLUDED.persons, paired_period = EXCLUDED.paired_period""",
                    case_id,
                    code,
                    persons,
                    period_of(event.occurred_at),
                )
            case Housed(case_id=case_id, period=period):
                await conn.execute(
                    """UPDATE case_pairings SET housed_period = $2
                        WHERE case_id = $1 AND housed_period IS NULL""",
                    case_id,
                    period,
                )


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
