"""Errors that describe bad input without repeating it.

Pydantic's own messages quote the offending input, which may be personal data (a name, a date
of birth, a V-number). These helpers keep only where the error is and what kind it is.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from pydantic import ValidationError

Stage = Literal["decode", "validate", "business"]

# A location part is shown when it is short, printable ASCII: a field name, an index, a key.
# Any other key (a long one, one with control characters) is input, and shown as `?`.
_SHOWN_PART: Final = re.compile(r"[!-~](?:[ -~]{0,78}[!-~])?")


class InvalidMessage(Exception):  # noqa: N818 - a message is invalid, this is not a crash
    """A message that cannot be decoded or validated; `str()` carries no input values."""

    def __init__(self, stage: Stage, reason: str) -> None:
        super().__init__(reason)
        self.stage: Stage = stage
        self.reason = reason


def location_part(part: object) -> str:
    """One step of a location, as shown in a reason: itself if it is a plain name, else `?`."""
    text = str(part)
    return text if _SHOWN_PART.fullmatch(text) else "?"


# Below a `personal` block only its own field names are shown: any other key there may be the
# personal data itself (a V-number or a name given as a key).
_PERSONAL_BLOCK: Final = "personal"
_PERSONAL_FIELDS: Final = frozenset({"v_number", "family_name", "given_names", "date_of_birth"})


def describe_location(location: tuple[object, ...]) -> str:
    shown: list[str] = []
    inside_personal = False
    for part in location:
        if inside_personal:
            shown.append(str(part) if str(part) in _PERSONAL_FIELDS else "?")
        else:
            shown.append(location_part(part))
            inside_personal = str(part) == _PERSONAL_BLOCK
    return ".".join(shown) or "(message)"


def describe_validation_error(error: ValidationError, limit: int = 5) -> str:
    """`loc: kind` for each problem, never the input value itself.

    An error raised with a `where` in its context (the envelope's walk through `data`) is
    located below its field: `data.personal.family_name: control_character`.
    """
    parts = []
    for item in error.errors(include_input=False, include_url=False, include_context=True)[:limit]:
        where = item.get("ctx", {}).get("where", ())
        below = tuple(where) if isinstance(where, tuple) else ()
        parts.append(f"{describe_location((*item['loc'], *below))}: {item['type']}")
    more = error.error_count() - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)
