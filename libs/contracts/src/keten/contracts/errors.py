"""Errors that describe bad input without repeating it.

Pydantic's own messages quote the offending input, which may be personal data (a name, a date
of birth, a V-number). These helpers keep only where the error is and what kind it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from pydantic import ValidationError

Stage = Literal["decode", "validate", "business"]


class InvalidMessage(Exception):  # noqa: N818 - a message is invalid, this is not a crash
    """A message that cannot be decoded or validated; `str()` carries no input values."""

    def __init__(self, stage: Stage, reason: str) -> None:
        super().__init__(reason)
        self.stage: Stage = stage
        self.reason = reason


def describe_validation_error(error: ValidationError, limit: int = 5) -> str:
    """`loc: kind` for each problem, never the input value itself."""
    parts = []
    for item in error.errors(include_input=False, include_url=False, include_context=False)[:limit]:
        location = ".".join(str(p) for p in item["loc"]) or "(message)"
        parts.append(f"{location}: {item['type']}")
    more = error.error_count() - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)
