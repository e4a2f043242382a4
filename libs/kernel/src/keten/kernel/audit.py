"""Checks an event store for gaps and tampering.

Every stream's versions must run 1, 2, 3, … without a gap, and every event's hash must equal the
SHA-256 chained over its predecessor's hash and its own content (the function the insert
trigger used). An edited row breaks its own hash; a deleted row leaves a gap in its stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from keten.kernel.db import Connection

_VERIFY: Final = """
WITH chained AS (
    SELECT e.stream_id, e.version, e.position, e.hash,
           keten.event_hash(lag(e.hash) OVER w, e) AS expected,
           coalesce(lag(e.version) OVER w, 0) AS previous_version
      FROM keten.events e
    WINDOW w AS (PARTITION BY e.stream_id ORDER BY e.version)
)
SELECT stream_id, version, position,
       CASE WHEN version <> previous_version + 1 THEN 'gap' ELSE 'tampered' END AS problem,
       previous_version
  FROM chained
 WHERE version <> previous_version + 1 OR hash <> expected
 ORDER BY stream_id, version
"""


@dataclass(frozen=True)
class Finding:
    stream_id: str
    version: int
    position: int
    problem: str  # "gap" (versions missing before this one) or "tampered"

    def describe(self) -> str:
        if self.problem == "gap":
            return f"stream {self.stream_id}: events missing before version {self.version}"
        return (
            f"stream {self.stream_id}: version {self.version} (position {self.position}) "
            "does not match its hash chain"
        )


@dataclass(frozen=True)
class AuditReport:
    events: int
    streams: int
    findings: tuple[Finding, ...]

    @property
    def clean(self) -> bool:
        return not self.findings


async def verify(conn: Connection) -> AuditReport:
    rows = await conn.fetch(_VERIFY)
    events, streams = await conn.fetchrow(
        "SELECT count(*), count(DISTINCT stream_id) FROM keten.events"
    ) or (0, 0)
    findings = tuple(
        Finding(r["stream_id"], r["version"], r["position"], r["problem"]) for r in rows
    )
    return AuditReport(events=events, streams=streams, findings=findings)
