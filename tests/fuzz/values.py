"""The values mutations put where valid ones stood: numbers JSON or the stores cannot hold,
control characters, absurd times, wrong versions, attribute values out of bounds."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from hypothesis import strategies as st

from tests.fuzz.records import Raw

# fmt: off
SCALARS: Final = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
JSON_VALUES: Final = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
NUMBERS: Final = (
    2**40,
    -1,
    -(2**31) - 1,
    2**31,
    2**63,
    2**64 - 1,
    0,
    100_000,
    100_001,
    1e308,
    3.0,
    0.5,
    -0.0,
    True,
    "NaN",
    "Infinity",
    "1e3",
    "3",
    Raw(str(2**70)),
    Raw(str(-(2**70))),
    Raw(str(2**64)),
    Raw("1e400"),
    Raw("NaN"),
    Raw("Infinity"),
    Raw("-Infinity"),
    Raw("01"),
    Raw("1."),
    Raw("0x10"),
)
CONTROL: Final = ("\x00", "\x01", "\x08", "\x1b", "\x1f", "\x7f", "\x85", "\x9f", "\n", "\t")
SPECVERSIONS: Final = ("0.3", "1", "1.0 ", " 1.0", "2.0", "1.0.0", 1.0, 1, None, "", ["1.0"])
ATTRIBUTES: Final[dict[str, tuple[Any, ...]]] = {
    "schemaversion": (2, 0, -1, 1001, "1", 1.0, True, None, Raw(str(2**70))),
    "datacontenttype": ("text/plain", "application/cloudevents+json", "", None, 1),
    "correlationid": ("", "c" * 201, 1, None, {"a": 1}),
    "causationid": ("", "c" * 201, False),
    "source": ("", "s" * 501, 1, None, ["coa"]),
    "dataschema": ("https://keten.example/schema.json", 1, {"$ref": "x"}),
    "Traceparent": ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",),
    "trace-parent": ("x",),
    "averyveryverylongattributename": ("x",),
    "ext": ("e" * 2001, 2**31, 1.5, None, [1], {}),
}
EXTENSIONS: Final = (
    ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    ("tracestate", "rojo=00f067aa0ba902b7"),
    ("dataschema", "https://keten.example/schemas/command.json"),
    ("partitionkey", "p-1"),
    ("comexampleflag", True),
    ("comexamplecount", 7),
)
INVALID_UTF8: Final = (b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80")
LONG_SIZES: Final = (2_000, 50_000, 250_000, 600_000, 900_000)
NEST_DEPTHS: Final = (31, 32, 33, 64, 1023, 1024, 1025, 4000)
# fmt: on


# The moment the times relative to the wall clock count from: set for a whole collection, so
# that a seed gives the same records whenever it runs with the same moment.
NOW: Final[ContextVar[datetime]] = ContextVar("fuzz_now")


def times() -> tuple[Any, ...]:
    now = NOW.get(datetime.now(UTC))
    return (
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:00:00-05:00",
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+05:00",
        "2026-03-02T09:00:00",
        "2026-03-02",
        "09:00:00Z",
        "2026-02-30T09:00:00Z",
        "2026-03-02T25:00:00Z",
        "1899-12-31T23:59:59Z",
        "1900-01-01T00:00:00Z",
        "2199-12-31T23:59:59Z",
        "2200-01-01T00:00:01Z",
        (now + timedelta(days=2)).isoformat(),
        (now + timedelta(hours=12)).isoformat(),
        (now + timedelta(days=400)).isoformat(),
        "2026-03-02T09:00:00+24:00",
        "2026-03-02T09:00:00.123456789Z",
        "2026-06-30T23:59:60Z",
        "2026-03-02t09:00:00z",
        "2026-03-02 09:00:00+01:00",
        "+2026-03-02T09:00:00Z",
        "",
        " ",
        1772438400,
        1772438400.5,
        None,
        True,
        ["2026-03-02T09:00:00Z"],
        "now",
    )


# Positions and picks among a document's own parts are drawn from one fixed range: Hypothesis
# requires each draw's bounds to follow from the draws before it, not from the command built.
