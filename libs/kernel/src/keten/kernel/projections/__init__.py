"""Projections: read models fed from the event store, rebuildable and replayable as of a time."""

from keten.kernel.projections.model import Projection, live_schema
from keten.kernel.projections.runner import (
    ProjectionRunner,
    RebuildResult,
    as_of_copy,
    as_of_schema,
    build_as_of,
    live_digest,
    read_view,
    rebuild,
    replay_into,
)
from keten.kernel.projections.schemas import digest, reading

__all__ = [
    "Projection",
    "ProjectionRunner",
    "RebuildResult",
    "as_of_copy",
    "as_of_schema",
    "build_as_of",
    "digest",
    "live_digest",
    "live_schema",
    "read_view",
    "reading",
    "rebuild",
    "replay_into",
]
