"""One fuzzed record per variant: intact (as built, with an extension attribute,
pretty-printed, or in binary content mode), a redelivered duplicate, an earlier id reused for
other content, a tombstone, a very long string, binary content mode gone wrong, or, mostly,
the envelope mutated by one to three document operations, then maybe by a byte operation on
its JSON text, another Kafka key or stray headers."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Final

import orjson
from hypothesis import strategies as st

from tests.fuzz import corpus
from tests.fuzz.mutations import (
    DOC_OP_NAMES,
    DOC_OPS,
    Draw,
    bytes_op,
    header_op,
    key_op,
    pick,
    put,
    string_paths,
)
from tests.fuzz.records import FuzzRecord, Raw, Wire, exposure, to_json
from tests.fuzz.values import EXTENSIONS, INVALID_UTF8, LONG_SIZES

MAX_VALUE: Final = 1_000_000  # below Kafka's 1 MiB for a record

# --- binary content mode -------------------------------------------------------------------


def header_value(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, Raw):
        return value.text.encode("utf-8", "surrogatepass")
    return to_json(value)


def to_binary(doc: dict[str, Any]) -> Wire:
    headers = [("ce_" + name, header_value(value)) for name, value in doc.items() if name != "data"]
    headers.append(("content-type", b"application/json"))
    value = to_json(doc["data"]) if "data" in doc else b""
    return Wire(str(doc.get("subject", "")).encode(), value, tuple(headers))


def broken_binary(draw: Draw, wire: Wire) -> Wire:
    headers = list(wire.headers)
    how = draw(
        st.sampled_from(
            (
                "no_specversion",
                "media_type",
                "not_utf8",
                "duplicate",
                "data_header",
                "upper",
                "version",
                "value",
            )
        )
    )
    if how == "no_specversion":
        headers = [h for h in headers if h[0] != "ce_specversion"]
    elif how == "media_type":
        headers = [h for h in headers if h[0] != "content-type"] + [("content-type", b"text/xml")]
    elif how == "not_utf8":
        headers.append(("ce_comexample", draw(st.sampled_from(INVALID_UTF8))))
    elif how == "duplicate":
        headers.append(("ce_type", b"AssignTrack"))
    elif how == "data_header":
        headers.append(("ce_data", b"{}"))
    elif how == "upper":
        headers = [(name.upper(), raw) for name, raw in headers]
    elif how == "version":
        headers.append(("ce_schemaversion", draw(st.sampled_from((b"abc", b"2", b"0", b"-1")))))
    else:
        return Wire(
            wire.key, draw(st.sampled_from((b"", b"[1]", b"not json", b"\xff"))), wire.headers
        )
    return Wire(wire.key, wire.value, tuple(headers))


# --- one record ----------------------------------------------------------------------------

# Each variant's share of a topic's records (per thousand); each is collected by a `@given` run
# of its own, so that what is drawn never depends on a variant drawn before.
VARIANTS: Final = (
    ("mutated", 760),
    ("intact", 60),
    ("extension", 30),
    ("pretty", 20),
    ("binary", 30),
    ("binary_broken", 40),
    ("duplicate", 20),
    ("reused_id", 20),
    ("tombstone", 10),
    ("long", 10),
)
INTACT: Final = frozenset({"intact", "extension", "pretty", "binary"})


def record(
    draw: Draw, variant: str, topic: str, built: corpus.Built, ops: Sequence[str] = DOC_OP_NAMES
) -> FuzzRecord:
    """One record of `variant` made from the valid command `built`, mutated (if at all) by
    `ops`. A `duplicate` or `reused_id` one is completed by `repeat` or `reuse` once the earlier
    records are known."""
    doc = copy.deepcopy(built.envelope)
    kinds = [variant, *_changed(draw, variant, doc, ops)]
    binary = variant == "binary" or (
        variant in ("mutated", "binary_broken")
        and (variant == "binary_broken" or draw(st.integers(0, 99)) < 5)
    )
    wire = to_binary(doc) if binary else Wire(built.key, to_json(doc))
    if variant == "binary_broken":
        wire = broken_binary(draw, wire)
    elif variant == "pretty":
        wire = Wire(wire.key, orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    elif variant == "tombstone":
        wire = Wire(wire.key, None)
    elif "truncated" in kinds:  # no JSON any more: sealed whole in its dead letter
        wire = Wire(wire.key, (wire.value or b"")[:-1], wire.headers)
    elif variant == "mutated":
        wire, kinds = _mangled(draw, wire, kinds)
    if wire.value is not None and len(wire.value) > MAX_VALUE:
        wire = Wire(wire.key, wire.value[:MAX_VALUE], wire.headers)
        kinds.append("cut")
    return _described(topic, built, doc, wire, kinds, binary=binary)


def _changed(draw: Draw, variant: str, doc: dict[str, Any], ops: Sequence[str]) -> list[str]:
    """Changes `doc` as `variant` does; returns what it did."""
    if variant == "extension":
        name, value = draw(st.sampled_from(EXTENSIONS))
        doc[name] = value
        return [name]
    if variant == "long":
        return _lengthened(draw, doc)
    done = []
    for _ in range(draw(st.integers(1, 3)) if variant == "mutated" else 0):
        name = draw(st.sampled_from(tuple(ops)))
        DOC_OPS[name](draw, doc)
        done.append(name)
    return done


def _lengthened(draw: Draw, doc: dict[str, Any]) -> list[str]:
    """A string of up to 900 kB in a random place, or in the `personal` block, and maybe the
    JSON text cut short after it."""
    size = draw(st.sampled_from(LONG_SIZES))
    personal = ("data", "personal", "family_name")
    target = pick(draw, string_paths(doc))
    if draw(st.booleans()) and personal in string_paths(doc):
        target = personal
    put(doc, target, draw(st.sampled_from("xé€")) * (size // 3))
    where = "/".join(map(str, target))
    return [where, "truncated"] if draw(st.booleans()) else [where]


def _described(
    topic: str,
    built: corpus.Built,
    doc: dict[str, Any],
    wire: Wire,
    kinds: list[str],
    *,
    binary: bool,
) -> FuzzRecord:
    hidden, exposed = exposure(wire, built.markers)
    message_id = doc.get("id") if isinstance(doc.get("id"), str) else None
    return FuzzRecord(
        topic,
        wire,
        tuple(kinds),
        str(built.envelope["type"]),
        intact=kinds[0] in INTACT,
        binary=binary,
        hidden=hidden,
        exposed=exposed,
        message_id=message_id,
        extra={"built": built},
    )


def repeat(original: FuzzRecord, index: int) -> FuzzRecord:
    """A redelivery: the record at `index`, byte for byte."""
    return replace(original, kinds=("duplicate",), intact=False, duplicate_of=index)


def reuse(fresh: FuzzRecord, message_id: str) -> FuzzRecord:
    """A valid command under an earlier record's id: other content, so never a duplicate."""
    built: corpus.Built = fresh.extra["built"]
    doc = {**built.envelope, "id": message_id}
    wire = Wire(built.key, to_json(doc))
    described = _described(fresh.topic, built, doc, wire, ["reused_id"], binary=False)
    return replace(described, reused_id=message_id)


def _mangled(draw: Draw, wire: Wire, kinds: list[str]) -> tuple[Wire, list[str]]:
    key, value, headers = wire.key, wire.value or b"", wire.headers
    if draw(st.integers(0, 99)) < 25:
        name, value = bytes_op(draw, value)
        kinds.append(name)
    if draw(st.integers(0, 99)) < 10:
        key = key_op(draw, key)
        kinds.append("key")
    if draw(st.integers(0, 99)) < 10:
        headers = headers + header_op(draw)
        kinds.append("headers")
    return Wire(key, value, headers), kinds
