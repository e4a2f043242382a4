"""Registration's streams in its own store, and the deciders that load and append them."""

from __future__ import annotations

from typing import Final

from keten.kernel.decider import Decider
from keten.registration.domain import case, centre

SOURCE: Final = "keten/registration"


def case_stream(case_id: str) -> str:
    return f"case-{case_id}"


def centre_stream(location_id: str) -> str:
    """Answers whether applications may name the location: its opening, whatever its type."""
    return f"application-centre-{location_id}"


cases: Final = Decider(stream=case_stream, initial=case.Case, evolve=case.evolve, source=SOURCE)
centres: Final = Decider(
    stream=centre_stream, initial=centre.unknown, evolve=centre.evolve, source=SOURCE
)
