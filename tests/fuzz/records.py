"""What the fuzzer publishes: Kafka records (key, value, headers), the JSON text they are made
of, and which personal markers each must keep hidden."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

Headers = tuple[tuple[str, bytes], ...]

# Runs where a marker may stand: the hex token (12) and the V-number (10 digits) are in them.
_HEX_RUN: Final = re.compile(rb"[0-9a-f]{10,}")
_TOKEN: Final = 12
_V_NUMBER: Final = re.compile(rb"(?<![0-9])[0-9]{10}(?![0-9])")


@dataclass(frozen=True)
class Raw:
    """JSON text that orjson does not write: huge integers, NaN, deep nesting, lone
    surrogates. Stands in a document where a value would."""

    text: str


def to_json(document: Any) -> bytes:
    """`document` as JSON, each `Raw` written as its text (orjson writes the rest)."""
    raws: list[Raw] = []

    def placeholder(node: Any) -> Any:
        if isinstance(node, Raw):
            raws.append(node)
            return f"@@raw{len(raws) - 1}@@"
        if isinstance(node, dict):
            return {key: placeholder(child) for key, child in node.items()}
        if isinstance(node, list):
            return [placeholder(child) for child in node]
        return node

    text = orjson.dumps(placeholder(document))
    for number, raw in enumerate(raws):
        text = text.replace(
            f'"@@raw{number}@@"'.encode(), raw.text.encode("utf-8", "surrogatepass")
        )
    return text


@dataclass(frozen=True)
class Wire:
    """One Kafka record as sent. `value` None is a tombstone."""

    key: bytes | None
    value: bytes | None
    headers: Headers = ()


@dataclass(frozen=True)
class FuzzRecord:
    """A record to publish and what the checker needs to know of it.

    `intact`: a valid command the contract says the door takes (unmutated, with an extension
    attribute, pretty-printed, or in binary content mode). `hidden`: markers that stood in a
    `personal` block (or in a value that is no JSON object) and must never be read in plain text
    outside the command topic; `exposed`: markers the mutation itself moved out of any
    `personal` block, which a dead letter may show as sent. `duplicate_of`: the index of the
    earlier record this one repeats byte for byte.
    """

    topic: str
    wire: Wire
    kinds: tuple[str, ...]
    type_name: str
    intact: bool = False
    binary: bool = False
    hidden: frozenset[str] = frozenset()
    exposed: frozenset[str] = frozenset()
    duplicate_of: int | None = None
    message_id: str | None = None
    reused_id: str | None = None  # an earlier record's id, taken for other content
    sentinel: str | None = None  # the sentinel's description, for a sentinel
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def variant(self) -> str:
        return self.kinds[0] if self.kinds else "intact"


def find_markers(blob: bytes, markers: frozenset[str] | set[str]) -> set[str]:
    """The markers standing in `blob` in plain text."""
    found: set[str] = set()
    if not markers or not blob:
        return found
    for run in _HEX_RUN.finditer(blob):
        text = run.group().decode()
        found.update(
            text[i : i + _TOKEN]
            for i in range(len(text) - _TOKEN + 1)
            if text[i : i + _TOKEN] in markers
        )
    found.update(m.group().decode() for m in _V_NUMBER.finditer(blob))
    return found & set(markers)


def _outside_personal(document: Any) -> bytes:
    """Every key and scalar of `document` outside its `personal` blocks, as text to search.
    Walks with an explicit stack: a fuzzed document may nest a thousand levels deep."""
    parts: list[str] = []
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, child in node.items():
                if key != "personal":
                    parts.append(key)
                    stack.append(child)
        elif isinstance(node, list):
            stack.extend(node)
        else:
            parts.append(str(node))
    return "\n".join(parts).encode("utf-8", "surrogatepass")


def exposure(wire: Wire, markers: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """(hidden, exposed): which markers stand only inside `personal` blocks (or in a value that
    is no JSON object, which is sealed whole), and which the record shows elsewhere."""
    visible: set[str] = set()
    for _, raw in wire.headers:
        visible |= find_markers(raw, markers)
    if wire.key is not None:
        visible |= find_markers(wire.key, markers)
    if wire.value is not None:
        try:
            document = orjson.loads(wire.value)
        except orjson.JSONDecodeError:
            document = None
        if isinstance(document, dict):
            visible |= find_markers(_outside_personal(document), markers)
    exposed = frozenset(visible)
    return markers - exposed, exposed


def union(sets: Iterable[frozenset[str]]) -> set[str]:
    joined: set[str] = set()
    for item in sets:
        joined |= item
    return joined
