"""Hypothesis strategies that mutate a valid CloudEvent: document operations (drop, add or
rename a field, replace a value with arbitrary JSON, a control character, a number out of
bounds, a wrong type, time, version or attribute, `data` not an object, deep nesting, a bad
id or subject, the `personal` block reshaped), byte operations on its JSON text (truncated,
flipped, invalid UTF-8, a BOM, trailing bytes, a duplicate key), another Kafka key, stray
headers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import orjson
from hypothesis import strategies as st

from keten.contracts.messages import registered_types
from tests.fuzz.records import Raw
from tests.fuzz.values import (
    ATTRIBUTES,
    CONTROL,
    INVALID_UTF8,
    JSON_VALUES,
    NEST_DEPTHS,
    NUMBERS,
    SPECVERSIONS,
    times,
)

Draw = Callable[[st.SearchStrategy[Any]], Any]
Path = tuple[str | int, ...]

INDEX: Final = st.integers(0, 2**16 - 1)


def pick(draw: Draw, items: Sequence[Any]) -> Any:
    return items[draw(INDEX) % len(items)]


def position(draw: Draw, length: int) -> int:
    """An index in 0..length."""
    return int(draw(INDEX)) % (length + 1)


def weighted(draw: Draw, table: Sequence[tuple[str, int]]) -> str:
    pick = draw(st.integers(0, sum(weight for _, weight in table) - 1))
    for name, weight in table:
        if pick < weight:
            return name
        pick -= weight
    raise AssertionError


# --- paths in a document ---------------------------------------------------------------


def paths(node: Any, below: Path = ()) -> list[Path]:
    """Every node's path, the root's excepted."""
    found: list[Path] = []
    children: list[tuple[str | int, Any]] = []
    if isinstance(node, dict):
        children = list(node.items())
    elif isinstance(node, list):
        children = list(enumerate(node))
    for step, child in children:
        found.append((*below, step))
        found.extend(paths(child, (*below, step)))
    return found


def at(document: Any, path: Path) -> Any:
    for step in path:
        document = document[step]
    return document


def put(document: Any, path: Path, value: Any) -> None:
    at(document, path[:-1])[path[-1]] = value


def string_paths(document: Any) -> list[Path]:
    return [p for p in paths(document) if isinstance(at(document, p), str)]


def dict_paths(document: Any) -> list[Path]:
    return [(), *(p for p in paths(document) if isinstance(at(document, p), dict))]


# --- document operations -----------------------------------------------------------------


def any_path(draw: Draw, doc: dict[str, Any]) -> Path | None:
    found = paths(doc)
    path: Path | None = pick(draw, found) if found else None
    return path


def op_drop(draw: Draw, doc: dict[str, Any]) -> None:
    path = any_path(draw, doc)
    if path is not None:
        del at(doc, path[:-1])[path[-1]]


def op_add(draw: Draw, doc: dict[str, Any]) -> None:
    target = at(doc, pick(draw, dict_paths(doc)))
    name = draw(st.sampled_from(("extra", "personal", "data", "", "ID", "ce_id")) | st.text())
    target[name] = draw(JSON_VALUES)


def op_rename(draw: Draw, doc: dict[str, Any]) -> None:
    target = at(doc, pick(draw, [p for p in dict_paths(doc) if at(doc, p)] or [()]))
    if target:
        old = pick(draw, sorted(target))
        new = draw(st.sampled_from((old.upper(), old + " ", old[:-1], "_" + old)) | st.text())
        target[new] = target.pop(old)


def op_replace(draw: Draw, doc: dict[str, Any]) -> None:
    path = any_path(draw, doc)
    if path is not None:
        put(doc, path, draw(JSON_VALUES))


def op_control(draw: Draw, doc: dict[str, Any]) -> None:
    """A control character (or a lone surrogate) in a string value or in a key."""
    found = string_paths(doc) or paths(doc)
    if not found:
        return
    path = pick(draw, found)
    text = str(at(doc, path)) if isinstance(at(doc, path), str) else "x"
    cut = position(draw, len(text))
    if draw(st.integers(0, 9)) == 0:  # a lone surrogate: JSON text only
        escaped = orjson.dumps(text[:cut]).decode()[:-1] + "\\ud800"
        put(doc, path, Raw(escaped + orjson.dumps(text[cut:]).decode()[1:]))
        return
    mangled = text[:cut] + draw(st.sampled_from(CONTROL)) + text[cut:]
    if draw(st.booleans()) and isinstance(path[-1], str):  # the key instead
        parent = at(doc, path[:-1])
        parent[mangled] = parent.pop(path[-1])
    else:
        put(doc, path, mangled)


def op_number(draw: Draw, doc: dict[str, Any]) -> None:
    numeric = [p for p in paths(doc) if isinstance(at(doc, p), int | float)] or paths(doc)
    if numeric:
        put(doc, pick(draw, numeric), draw(st.sampled_from(NUMBERS)))


def op_type(draw: Draw, doc: dict[str, Any]) -> None:
    names = sorted(registered_types())
    doc["type"] = draw(
        st.sampled_from(names)
        | st.sampled_from(("ForgetPerson", "Unknown", "", "registerapplication", "Alert ", "x.y"))
    )


def op_time(draw: Draw, doc: dict[str, Any]) -> None:
    doc["time"] = draw(st.sampled_from(times()))


def op_specversion(draw: Draw, doc: dict[str, Any]) -> None:
    doc["specversion"] = draw(st.sampled_from(SPECVERSIONS))


def op_attribute(draw: Draw, doc: dict[str, Any]) -> None:
    name = draw(st.sampled_from(sorted(ATTRIBUTES)))
    doc[name] = draw(st.sampled_from(ATTRIBUTES[name]))


def op_data_shape(draw: Draw, doc: dict[str, Any]) -> None:
    data = doc.get("data")
    shapes: tuple[Any, ...] = ([], [data], "data", orjson.dumps(data).decode(), 1, None, True, {})
    doc["data"] = draw(st.sampled_from(shapes))


def op_nest(draw: Draw, doc: dict[str, Any]) -> None:
    depth = draw(st.sampled_from(NEST_DEPTHS))
    arrays = draw(st.booleans())
    text = "[" * depth + "0" + "]" * depth if arrays else '{"a":' * depth + "0" + "}" * depth
    path = any_path(draw, doc)
    if path is not None:
        put(doc, path, Raw(text))


def op_id(draw: Draw, doc: dict[str, Any]) -> None:
    doc["id"] = draw(st.sampled_from(("", " ", "i" * 201, 7, None, ["id"], "id with spaces")))


def op_subject(draw: Draw, doc: dict[str, Any]) -> None:
    doc["subject"] = draw(st.sampled_from(("", "someone-else", "s" * 201, 7, None)))


def op_personal(draw: Draw, doc: dict[str, Any]) -> None:
    """The `personal` block reshaped: keyed by its V-number, a string, a list, moved, renamed
    (which exposes it: no longer a `personal` block), a field named by the family name."""
    data = doc.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("personal"), dict):
        op_replace(draw, doc)
        return
    personal: dict[str, Any] = data["personal"]
    shape = draw(
        st.sampled_from(
            ("keyed", "string", "list", "in_ties", "renamed", "named", "shuffled", "number")
        )
    )
    if shape == "keyed":
        data["personal"] = {str(personal.get("v_number")): personal}
    elif shape == "string":
        data["personal"] = str(personal.get("family_name"))
    elif shape == "list":
        data["personal"] = list(personal.values())
    elif shape == "in_ties":
        data["ties"] = [{"municipality_code": "GM0014", "kind": "family", "personal": personal}]
        del data["personal"]
    elif shape == "renamed":
        data["persoonsgegevens"] = data.pop("personal")
    elif shape == "named":
        personal[str(personal.get("family_name"))] = "family name as a key"
    elif shape == "shuffled":
        personal["date_of_birth"], personal["v_number"] = personal.get("family_name"), "V-12"
    else:
        v_number = str(personal.get("v_number", ""))
        personal["v_number"] = int(v_number) if v_number.isdigit() else 0


DOC_OPS: Final[dict[str, Callable[[Draw, dict[str, Any]], None]]] = {
    "drop": op_drop,
    "add": op_add,
    "rename": op_rename,
    "replace": op_replace,
    "control": op_control,
    "number": op_number,
    "type": op_type,
    "time": op_time,
    "specversion": op_specversion,
    "attribute": op_attribute,
    "data_shape": op_data_shape,
    "nest": op_nest,
    "id": op_id,
    "subject": op_subject,
    "personal": op_personal,
}
DOC_OP_NAMES: Final = tuple(DOC_OPS)


# --- byte, key and header operations -------------------------------------------------------


def bytes_op(draw: Draw, value: bytes) -> tuple[str, bytes]:
    name = weighted(
        draw,
        (
            ("truncate", 4),
            ("flip", 4),
            ("utf8", 4),
            ("bom", 1),
            ("trailing", 1),
            ("duplicate_key", 1),
        ),
    )
    if name == "truncate":
        return name, value[: position(draw, max(len(value) - 1, 0))]
    if name == "flip":
        mangled = bytearray(value or b"{")
        for _ in range(draw(st.integers(1, 8))):
            mangled[position(draw, len(mangled) - 1)] ^= draw(st.integers(1, 255))
        return name, bytes(mangled)
    if name == "utf8":
        at_quote = pick(draw, [i + 1 for i, byte in enumerate(value) if byte == ord('"')] or [0])
        return name, value[:at_quote] + draw(st.sampled_from(INVALID_UTF8)) + value[at_quote:]
    if name == "bom":
        return name, b"\xef\xbb\xbf" + value
    if name == "trailing":
        return name, value + draw(st.sampled_from((b" x", b"\x00", b"}", b"{}", b"\n\n1")))
    return name, b'{"id":"duplicate-key",' + value[1:] if value.startswith(b"{") else value


def key_op(draw: Draw, key: bytes | None) -> bytes | None:
    others: tuple[bytes | None, ...] = (None, b"", b"someone-else", (key or b"") + b" ")
    choice: bytes | None = draw(st.sampled_from(others) | st.binary(max_size=20))
    return choice


def header_op(draw: Draw) -> tuple[tuple[str, bytes], ...]:
    fixed = st.sampled_from(
        (
            ("ce_specversion", b"1.0"),
            ("content-type", b"text/plain"),
            ("traceparent", b"\xff\xfe"),
            ("error.stage", b"decode"),
        )
    )
    free = st.tuples(st.text(max_size=20), st.binary(max_size=30))
    headers: list[tuple[str, bytes]] = draw(st.lists(fixed | free, min_size=1, max_size=4))
    return tuple(headers)
