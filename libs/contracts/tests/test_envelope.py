"""Bounds at the door: whatever bytes arrive, the envelope is valid and storable or the message
is refused with an `InvalidMessage` that names where the problem is and never the value."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import keten.contracts  # noqa: F401 - registers every message
from keten.contracts import envelope as envelope_module
from keten.contracts.envelope import MAX_DATA_DEPTH, MAX_SCHEMA_VERSION, CloudEvent
from keten.contracts.errors import InvalidMessage, describe_validation_error
from keten.contracts.messages import (
    decode_envelope,
    decode_record,
    make_envelope,
    parse_data,
    parse_message,
)

PERSONAL: dict[str, Any] = {
    "v_number": "1234567890",
    "family_name": "Example",
    "given_names": "Sample Person",
    "date_of_birth": "1990-05-17",
}
REGISTER: dict[str, Any] = {
    "case_id": "case-0001",
    "application_centre_id": "loc:ter-apel",
    "household": {"adults": 2, "minors": 3},
    "nationality": "SYR",
    "ties": [{"municipality_code": "GM0014", "kind": "family"}],
    "personal": PERSONAL,
}
OPEN: dict[str, Any] = {
    "location_id": "azc-12",
    "name": "AZC Fryslân",
    "type": "azc",
    "municipality_code": "GM0014",
    "capacity": 400,
}
PAIRED: dict[str, Any] = {
    "case_id": "case-0001",
    "municipality_code": "GM0014",
    "persons": 5,
    "household": {"adults": 2, "minors": 3},
    "paired_on": "2026-03-03",
    "due_on": "2026-06-09",
    "manual": False,
    "reason": {
        "rule": "region",
        "region": "Groningen/Fryslân/Drenthe",
        "candidates": [{"municipality_code": "GM0014", "remaining": 40}],
    },
}
ALERT: dict[str, Any] = {
    "kind": "housing_deadline_missed",
    "subject_id": "case-0001",
    "summary": "Household not housed within 14 weeks of pairing",
    "due": "2026-06-09",
    "figures": {"persons": 5, "municipality_code": "GM0014"},
}
SAMPLES: dict[str, dict[str, Any]] = {
    "RegisterApplication": REGISTER,
    "OpenLocation": OPEN,
    "PairedWithMunicipality": PAIRED,
    "Alert": ALERT,
}
TIME = "2026-03-02T09:30:00+01:00"
MOMENT = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


def wire(type_name: str = "RegisterApplication", **attributes: Any) -> dict[str, Any]:
    """A valid structured-mode envelope as a JSON object, with `attributes` replaced."""
    return {
        "specversion": "1.0",
        "id": "6f1c-0001",
        "source": "coa/ter-apel/desk-3",
        "type": type_name,
        "time": TIME,
        "subject": "case-0001",
        "datacontenttype": "application/json",
        "correlationid": "corr-1",
        "causationid": "cause-1",
        "data": SAMPLES[type_name],
        **attributes,
    }


def refused(raw: bytes, stage: str = "validate") -> str:
    with pytest.raises(InvalidMessage) as caught:
        decode_envelope(raw)
    assert caught.value.stage == stage, caught.value.reason
    assert caught.value.reason == str(caught.value)
    return caught.value.reason


def test_a_valid_envelope_passes() -> None:
    envelope = decode_envelope(orjson.dumps(wire()))
    assert envelope.id == "6f1c-0001"
    assert envelope.extensions() == {}
    assert parse_message(envelope).to_data() == REGISTER


# --- 1. no control characters, bounded nesting ---------------------------------------------

CONTROL_CHARACTERS = ["\x00", "\x01", "\n", "\t", "\x1f", "\x7f", "\x80", "\x85", "\x9f"]
STRING_ATTRIBUTES = ["id", "source", "type", "subject", "correlationid", "causationid"]


@pytest.mark.parametrize("attribute", STRING_ATTRIBUTES)
@pytest.mark.parametrize("character", CONTROL_CHARACTERS)
def test_control_characters_in_attributes_are_refused(attribute: str, character: str) -> None:
    value = f"secret{character}value"
    reason = refused(orjson.dumps(wire(**{attribute: value})))
    assert reason == f"{attribute}: control_character"
    assert "secret" not in reason


@pytest.mark.parametrize(
    ("data", "location"),
    [
        (
            {**REGISTER, "personal": {**PERSONAL, "family_name": "Ex\x00ample"}},
            "personal.family_name",
        ),
        (
            {**REGISTER, "personal": {**PERSONAL, "given_names": "Sample\u0085"}},
            "personal.given_names",
        ),
        (
            {**REGISTER, "ties": [{"municipality_code": "GM0014", "kind": "\x1bfamily"}]},
            "ties.0.kind",
        ),
        ({**REGISTER, "case_id": "\x7f"}, "case_id"),
        ({**REGISTER, "unknown": [[1, ["\n"]]]}, "unknown.0.1.0"),
        ({**REGISTER, "bad\x00key": 1}, "?"),  # a key is input: shown as `?`
        ({**REGISTER, "personal": {"v\tnumber": "1"}}, "personal.?"),
    ],
)
def test_control_characters_anywhere_in_data_are_refused(
    data: dict[str, Any], location: str
) -> None:
    reason = refused(orjson.dumps(wire(data=data)))
    assert reason == f"data.{location}: control_character"
    for secret in ("Ex", "Sample", "\x1bfamily", "bad", "number"):
        assert secret not in reason


def test_other_unicode_is_welcome() -> None:
    data = {**REGISTER, "personal": {**PERSONAL, "family_name": "Zoë Ñandú 王 \u200b\u00a0 🙂"}}
    envelope = decode_envelope(orjson.dumps(wire(data=data, source="coa/tër-äpel")))
    assert parse_message(envelope).to_data() == data


def test_lone_surrogates_are_refused_too() -> None:
    # JSON cannot carry one (orjson refuses it), Python can: UTF-8 and PostgreSQL cannot.
    assert refused(b'{"id": "\\ud800"}', stage="decode") == "(message): json_invalid"
    with pytest.raises(ValidationError) as caught:
        CloudEvent.model_validate({**wire(), "data": {"name": "a\ud800b"}})
    assert describe_validation_error(caught.value) == "data.name: surrogate_character"
    with pytest.raises(ValidationError) as caught:
        CloudEvent.model_validate({**wire(), "subject": "\udfff"})
    assert describe_validation_error(caught.value) == "subject: string_unicode"  # pydantic's
    with pytest.raises(ValidationError) as caught:
        CloudEvent.model_validate({**wire(), "traceparent": "\udfff"})
    assert describe_validation_error(caught.value) == "traceparent: surrogate_character"


def nested(depth: int) -> dict[str, Any]:
    """`data` nested `depth` levels deep, alternating objects and arrays."""
    value: Any = "leaf"
    for level in range(depth - 1):
        value = [value] if level % 2 else {"inner": value}
    return {"outer": value}


def test_data_is_nested_at_most_max_data_depth_levels() -> None:
    fits = CloudEvent.model_validate(wire(data=nested(MAX_DATA_DEPTH)))
    assert fits.data == nested(MAX_DATA_DEPTH)
    assert refused(orjson.dumps(wire(data=nested(MAX_DATA_DEPTH + 1)))) == "data: too_deep"
    # deeper than orjson writes, not deeper than it reads
    assert refused(json.dumps(wire(data=nested(800))).encode()) == "data: too_deep"


def test_data_deeper_than_the_parser_goes_is_a_decode_error() -> None:
    assert refused(b"[" * 100_000 + b"]" * 100_000, stage="decode") == "(message): too_deep"
    raw = orjson.dumps(wire(data={"x": 0})).replace(b"0", b"[" * 100_000 + b"]" * 100_000)
    assert refused(raw, stage="decode") == "(message): too_deep"


def test_deep_data_built_in_python_is_refused_without_recursion() -> None:
    value: Any = 1
    for _ in range(100_000):
        value = [value]
    with pytest.raises(ValidationError, match="too_deep"):
        CloudEvent.model_validate({**wire(), "data": {"x": value}})


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (float("nan"), "out_of_range"),
        (float("inf"), "out_of_range"),
        (2**64, "out_of_range"),
        (-(2**63) - 1, "out_of_range"),
        (b"bytes", "json_type"),
        ({1, 2}, "json_type"),
        (datetime(2026, 1, 1, tzinfo=UTC), "json_type"),
    ],
)
def test_data_built_in_python_holds_json_values_only(value: object, kind: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CloudEvent.model_validate({**wire(), "data": {"figures": {"x": value}}})
    assert describe_validation_error(caught.value) == f"data.figures.x: {kind}"
    with pytest.raises(ValidationError, match="key_type"):
        CloudEvent.model_validate({**wire(), "data": {"figures": {1: "x"}}})


def test_what_a_valid_envelope_holds_can_be_written_back() -> None:
    data = {"big": 2**64 - 1, "small": -(2**63), "float": 1.5e300, "list": [None, True, "x"]}
    envelope = CloudEvent.model_validate({**wire(), "data": data})
    assert orjson.loads(envelope.to_json())["data"] == data


# --- 2. schemaversion ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "kind"),
    [
        (0, "greater_than_equal"),
        (-1, "greater_than_equal"),
        (MAX_SCHEMA_VERSION + 1, "less_than_equal"),
        (2**40, "less_than_equal"),
        (True, "int_type"),
        ("2", "int_type"),
        (1.0, "int_type"),
    ],
)
def test_schemaversion_is_bounded(version: object, kind: str) -> None:
    assert refused(orjson.dumps(wire(schemaversion=version))) == f"schemaversion: {kind}"


def test_schemaversion_max_is_accepted_by_the_envelope() -> None:
    envelope = decode_envelope(orjson.dumps(wire(schemaversion=MAX_SCHEMA_VERSION)))
    assert envelope.schemaversion == MAX_SCHEMA_VERSION
    with pytest.raises(InvalidMessage, match="newer than known"):
        parse_message(envelope)


# --- 3. time -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "moment",
    [
        "1900-01-01T00:00:00Z",
        "1900-01-01T01:00:00+01:00",
        "1989-11-09T18:53:00+01:00",
        TIME,
    ],
)
def test_times_since_1900_are_accepted(moment: str) -> None:
    assert decode_envelope(orjson.dumps(wire(time=moment))).time == datetime.fromisoformat(moment)


@pytest.mark.parametrize(
    ("moment", "kind"),
    [
        ("1899-12-31T23:59:59Z", "out_of_range"),
        ("1900-01-01T00:30:00+01:00", "out_of_range"),
        ("0001-01-01T00:00:00+05:00", "out_of_range"),  # to UTC would underflow
        ("0001-01-01T00:00:00Z", "out_of_range"),
        ("9999-12-31T23:00:00-05:00", "out_of_range"),  # to UTC would overflow
        ("9999-12-31T23:59:59Z", "out_of_range"),
        ("2200-01-01T00:00:01Z", "out_of_range"),
        ("2199-12-31T23:00:00Z", "ahead_of_clock"),
        ("2026-03-02T09:30:00", "timezone_aware"),  # no offset
        ("2026-03-02", "timezone_aware"),
        ("yesterday", "datetime_from_date_parsing"),
        (1_700_000_000, "datetime_type"),  # a number is not RFC 3339
        (2**40, "datetime_type"),
        (None, "datetime_type"),
    ],
)
def test_times_out_of_bounds_are_refused(moment: object, kind: str) -> None:
    assert refused(orjson.dumps(wire(time=moment))) == f"time: {kind}"


def test_year_9999_built_in_python_is_a_validation_error_not_an_overflow() -> None:
    late = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))
    early = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))
    for moment in (late, early):
        with pytest.raises(ValidationError, match="out_of_range"):
            CloudEvent.model_validate({**wire(), "time": moment})


def test_time_is_at_most_a_day_ahead_of_the_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2030, 6, 1, 12, tzinfo=UTC)
    monkeypatch.setattr(envelope_module, "wall_clock", lambda: now)
    a_day_ahead = (now + timedelta(days=1)).astimezone(timezone(timedelta(hours=2)))
    assert decode_envelope(orjson.dumps(wire(time=a_day_ahead.isoformat()))).time == a_day_ahead
    just_over = now + timedelta(days=1, seconds=1)
    assert refused(orjson.dumps(wire(time=just_over.isoformat()))) == "time: ahead_of_clock"


def test_the_real_wall_clock_is_used_by_default() -> None:
    soon = datetime.now(UTC) + timedelta(hours=23)
    assert decode_envelope(orjson.dumps(wire(time=soon.isoformat()))).time == soon
    later = datetime.now(UTC) + timedelta(days=2)
    assert refused(orjson.dumps(wire(time=later.isoformat()))) == "time: ahead_of_clock"


# --- 4. every input is a CloudEvent or an InvalidMessage ----------------------------------

BIG = "x" * 900_000


@pytest.mark.parametrize(
    ("raw", "stage", "reason"),
    [
        (b"", "decode", "(message): empty"),
        (b"   ", "decode", "(message): json_invalid"),
        (b"\xff\xfe{}", "decode", "(message): not_utf8"),
        (b'{"id": "\xff"}', "decode", "(message): not_utf8"),
        (b"{", "decode", "(message): json_invalid"),
        (b"NaN", "decode", "(message): json_invalid"),
        (b"1e400", "decode", "(message): json_invalid"),
        (orjson.dumps(wire()).replace(b'"6f1c-0001"', b'"6f1c\x000001"'), "decode", None),
        (b"[" * 100_000 + b"]" * 100_000, "decode", "(message): too_deep"),
        (b"[]", "validate", "(message): model_type"),
        (orjson.dumps([wire()]), "validate", "(message): model_type"),
        (b"null", "validate", "(message): model_type"),
        (b'"envelope"', "validate", "(message): model_type"),
        (b"2", "validate", "(message): model_type"),
        (orjson.dumps(wire(id="6f1c\x000001")), "validate", "id: control_character"),
        (orjson.dumps(wire(id=2**40)), "validate", "id: string_type"),
        (orjson.dumps(wire(id=["a"])), "validate", "id: string_type"),
        (orjson.dumps(wire(subject={"a": 1})), "validate", "subject: string_type"),
        (orjson.dumps(wire(data=[REGISTER])), "validate", "data: dict_type"),
        (orjson.dumps(wire(time="9999-12-31T23:00:00-05:00")), "validate", "time: out_of_range"),
        (orjson.dumps(wire(source=BIG)), "validate", "source: string_too_long"),
        (orjson.dumps(wire(specversion="0.3")), "validate", "specversion: literal_error"),
        (orjson.dumps({"specversion": "1.0"}), "validate", None),
    ],
)
def test_poison_is_refused_with_a_stage(raw: bytes, stage: str, reason: str | None) -> None:
    got = refused(raw, stage=stage)
    if reason is not None:
        assert got == reason
    assert "6f1c" not in got
    assert len(got) < 300


@pytest.mark.parametrize(
    ("type_name", "data", "reason"),
    [
        ("OpenLocation", {**OPEN, "capacity": 2**40}, "capacity: less_than_equal"),
        ("OpenLocation", {**OPEN, "capacity": 2**70}, "capacity: int_type"),  # read as a float
        ("OpenLocation", {**OPEN, "name": BIG}, "name: string_too_long"),
        (
            "RegisterApplication",
            {**REGISTER, "personal": {**PERSONAL, "family_name": BIG}},
            "personal.family_name: string_too_long",
        ),
        ("RegisterApplication", {**REGISTER, BIG: 1}, "?: extra_forbidden"),
    ],
)
def test_poison_inside_data_is_refused_by_the_message(
    type_name: str, data: dict[str, Any], reason: str
) -> None:
    envelope = decode_envelope(json.dumps(wire(type_name, data=data)).encode())
    with pytest.raises(InvalidMessage) as caught:
        parse_message(envelope)
    assert caught.value.stage == "validate"
    assert caught.value.reason == reason


# --- 5. extension attributes ---------------------------------------------------------------

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_extension_attributes_are_accepted_and_passed_on() -> None:
    extensions: dict[str, Any] = {
        "traceparent": TRACEPARENT,
        "tracestate": "congo=t61rcWkgMzE",
        "dataschema": "https://keten.example/schemas/RegisterApplication/1",
        "partitionkey": "case-0001",
        "sequence": 7,
        "sampled": True,
        "x1": "",
    }
    envelope = decode_envelope(orjson.dumps(wire(**extensions)))
    assert envelope.extensions() == extensions
    assert orjson.loads(envelope.to_json()) == wire(**extensions, schemaversion=1)
    assert decode_envelope(envelope.to_json()) == envelope
    assert parse_message(envelope).to_data() == REGISTER


def test_made_envelopes_have_no_extensions() -> None:
    message = parse_data("OpenLocation", 1, OPEN)
    made = make_envelope(message, id="i", source="s", subject="azc-12", time=MOMENT)
    assert made.extensions() == {}


@pytest.mark.parametrize(
    "name",
    ["trace_parent", "TraceParent", "trace-parent", "x" * 21, "", "spëcial", "data_base64", "a b"],
)
def test_extension_names_must_be_cloudevents_attribute_names(name: str) -> None:
    assert refused(orjson.dumps({**wire(), name: "x"})) == "(message): attribute_name"


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("00-\x00", "control_character"),
        ("line\nbreak", "control_character"),
        ("x" * 2001, "string_too_long"),
        (2**31, "out_of_range"),
        (-(2**31) - 1, "out_of_range"),
        (1.5, "extension_type"),
        (None, "extension_type"),
        ([TRACEPARENT], "extension_type"),
        ({"a": 1}, "extension_type"),
    ],
)
def test_extension_values_are_bounded(value: object, kind: str) -> None:
    assert refused(orjson.dumps(wire(traceparent=value))) == f"traceparent: {kind}"


# --- 6. binary content mode ----------------------------------------------------------------

HEADERS: list[tuple[str, bytes]] = [
    ("ce_specversion", b"1.0"),
    ("ce_id", b"6f1c-0001"),
    ("ce_source", b"coa/ter-apel/desk-3"),
    ("ce_type", b"RegisterApplication"),
    ("ce_time", TIME.encode()),
    ("ce_subject", b"case-0001"),
    ("ce_correlationid", b"corr-1"),
    ("ce_causationid", b"cause-1"),
    ("content-type", b"application/json"),
]


def swap(name: str, value: bytes) -> list[tuple[str, bytes]]:
    """HEADERS with header `name` given `value`."""
    return [(n, value if n == name else v) for n, v in HEADERS]


def record_refused(value: bytes, headers: list[tuple[str, Any]], stage: str = "validate") -> str:
    with pytest.raises(InvalidMessage) as caught:
        decode_record(value, headers)
    assert caught.value.stage == stage, caught.value.reason
    return caught.value.reason


def test_binary_mode_gives_the_same_envelope_as_structured_mode() -> None:
    binary = decode_record(orjson.dumps(REGISTER), HEADERS)
    assert binary == decode_envelope(orjson.dumps(wire()))
    assert parse_message(binary).to_data() == REGISTER


def test_binary_mode_reads_schemaversion_and_extensions() -> None:
    headers = [
        *HEADERS,
        ("ce_schemaversion", b"1"),
        ("ce_traceparent", TRACEPARENT.encode()),
        ("ce_dataschema", b"urn:keten:RegisterApplication:1"),
        ("traceparent", b"not a ce_ header: ignored"),
        ("kafka_own", b"\xff\xfe"),  # nor is this one: never decoded
    ]
    envelope = decode_record(orjson.dumps(REGISTER), headers)
    assert envelope.schemaversion == 1
    assert envelope.extensions() == {
        "traceparent": TRACEPARENT,
        "dataschema": "urn:keten:RegisterApplication:1",
    }
    assert orjson.loads(envelope.to_json())["traceparent"] == TRACEPARENT


@pytest.mark.parametrize(
    "content_type",
    [None, b"application/json", b"application/json; charset=utf-8", b"Application/JSON"],
)
def test_binary_mode_data_is_json(content_type: bytes | None) -> None:
    headers = [h for h in HEADERS if h[0] != "content-type"]
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    assert decode_record(orjson.dumps(REGISTER), headers).data == REGISTER


@pytest.mark.parametrize(
    ("value", "headers", "stage", "reason"),
    [
        (b"\xff\xfe", HEADERS, "decode", "data: not_utf8"),
        (b"", HEADERS, "decode", "data: empty"),
        (b"{", HEADERS, "decode", "data: json_invalid"),
        (b"[" * 100_000 + b"]" * 100_000, HEADERS, "decode", "data: too_deep"),
        (b"[1, 2]", HEADERS, "validate", "data: dict_type"),
        (b"null", HEADERS, "validate", "data: dict_type"),
        (None, HEADERS, "decode", "data: bytes_type"),
        (b"{}", [*HEADERS, ("ce_id", b"\xff\xfe")], "validate", "id: duplicate_header"),
        (b"{}", [*HEADERS[:1], ("ce_id", b"6f1c\xff")], "decode", "id: not_utf8"),
        (b"{}", [*HEADERS[:1], ("ce_id", None)], "decode", "id: header_type"),
        (b"{}", [*HEADERS, ("content-type", b"\xff")], "decode", "content-type: not_utf8"),
        (b"{}", [*HEADERS, ("content-type", b"text/plain")], "validate", None),
        (b"{}", [*HEADERS, ("ce_data", b"{}")], "validate", "(headers): attribute_name"),
        (b"{}", [*HEADERS, ("ce_Trace_Parent", b"x")], "validate", "(headers): attribute_name"),
        (b"{}", swap("ce_id", b"6f1c\x00"), "validate", "id: control_character"),
        (b"{}", [*HEADERS, ("ce_schemaversion", b"two")], "validate", "schemaversion: int_type"),
        (b"{}", [*HEADERS, ("ce_schemaversion", b"9" * 5000)], "validate", None),
        (b"{}", [*HEADERS, ("ce_schemaversion", b"1001")], "validate", None),
        (b"{}", [("ce_specversion", b"1.0")], "validate", None),
        (b"{}", swap("ce_specversion", b"0.3"), "validate", "specversion: literal_error"),
        (b"{}", swap("ce_time", b"2026-03-02"), "validate", "time: timezone_aware"),
        (b"{}", [*HEADERS, ("ce_time", b"")], "validate", "time: duplicate_header"),
        (b"{}", swap("ce_time", b"9999-12-31T23:00:00-05:00"), "validate", "time: out_of_range"),
        (b"{}", [("ce_specversion", b"1.0", b"3")], "decode", "(headers): header_type"),
    ],
)
def test_binary_mode_poison_is_refused(
    value: Any, headers: list[tuple[str, Any]], stage: str, reason: str | None
) -> None:
    got = record_refused(value, headers, stage)
    if reason is not None:
        assert got == reason
    assert "6f1c" not in got


def test_without_ce_specversion_the_record_is_structured() -> None:
    raw = orjson.dumps(wire(traceparent=TRACEPARENT))
    headers = [("content-type", b"application/cloudevents+json"), ("ce_id", b"ignored")]
    assert decode_record(raw, headers) == decode_envelope(raw)
    assert decode_record(raw, []) == decode_envelope(raw)
    assert record_refused(b"\xff", [], "decode") == "(message): not_utf8"


# --- properties ----------------------------------------------------------------------------

JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=25,
)
ATTRIBUTE_NAMES = st.sampled_from(
    [
        "specversion",
        "id",
        "source",
        "type",
        "time",
        "subject",
        "datacontenttype",
        "correlationid",
        "causationid",
        "schemaversion",
        "data",
        "traceparent",
    ]
) | st.text(max_size=25)


def json_bytes(value: object, *, ascii_only: bool) -> bytes:
    """Any value as JSON text, including what orjson would not write: NaN, big integers,
    lone surrogates (escaped, or raw and so not UTF-8)."""
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", errors="surrogatepass")


def decodes_or_refuses(raw: bytes, headers: list[tuple[str, bytes]] | None = None) -> None:
    result: CloudEvent | InvalidMessage
    try:
        result = decode_envelope(raw) if headers is None else decode_record(raw, headers)
    except InvalidMessage as invalid:
        result = invalid
    if isinstance(result, InvalidMessage):
        assert result.stage in ("decode", "validate")
        assert result.reason
    else:
        assert isinstance(result, CloudEvent)
        assert decode_envelope(result.to_json()) == result  # and it can be written back


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_decode_or_are_refused(raw: bytes) -> None:
    decodes_or_refuses(raw)
    decodes_or_refuses(raw, [*HEADERS])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(JSONISH, st.booleans())
def test_arbitrary_json_decodes_or_is_refused(value: object, ascii_only: bool) -> None:  # noqa: FBT001
    decodes_or_refuses(json_bytes(value, ascii_only=ascii_only))
    decodes_or_refuses(json_bytes(value, ascii_only=ascii_only), [*HEADERS])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sorted(SAMPLES)),
    st.dictionaries(ATTRIBUTE_NAMES, JSONISH, max_size=4),
    st.booleans(),
)
def test_envelopes_with_arbitrary_attributes_decode_or_are_refused(
    type_name: str,
    changes: dict[str, object],
    ascii_only: bool,  # noqa: FBT001
) -> None:
    raw = json_bytes({**wire(type_name), **changes}, ascii_only=ascii_only)
    decodes_or_refuses(raw)
    try:
        envelope = decode_envelope(raw)
    except InvalidMessage:
        return
    try:
        parse_message(envelope)
    except InvalidMessage as invalid:
        stage = invalid.stage
    else:
        stage = "validate"
    assert stage == "validate"


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.binary(max_size=100),
    st.lists(
        st.tuples(
            st.sampled_from(["ce_specversion", "ce_id", "ce_time", "ce_schemaversion"])
            | st.text(max_size=20).map(lambda s: f"ce_{s}")
            | st.text(max_size=20),
            st.binary(max_size=40)
            | st.text(max_size=40).map(lambda s: s.encode("utf-8", errors="surrogatepass")),
        ),
        max_size=8,
    ),
)
def test_arbitrary_records_decode_or_are_refused(
    value: bytes, headers: list[tuple[str, bytes]]
) -> None:
    decodes_or_refuses(value, headers)
    decodes_or_refuses(orjson.dumps(REGISTER), [*HEADERS, *headers])


def string_slots(value: object, path: tuple[str | int, ...] = ()) -> list[tuple[Any, ...]]:
    """Where the strings of a JSON value are: ("value", path) or ("key", path)."""
    if isinstance(value, str):
        return [("value", path)]
    if isinstance(value, dict):
        slots: list[tuple[Any, ...]] = []
        for key, item in value.items():
            slots.append(("key", (*path, key)))
            slots.extend(string_slots(item, (*path, key)))
        return slots
    if isinstance(value, list):
        return [slot for i, item in enumerate(value) for slot in string_slots(item, (*path, i))]
    return []


def with_character(value: Any, slot: tuple[Any, ...], character: str, at: int) -> Any:
    """A copy of `value` with `character` inserted into the string at `slot`."""
    kind, path = slot

    def insert(text: str) -> str:
        spot = at % (len(text) + 1)
        return text[:spot] + character + text[spot:]

    def rebuild(node: Any, rest: tuple[Any, ...]) -> Any:
        if not rest:
            return insert(node)
        head, tail = rest[0], rest[1:]
        if isinstance(node, list):
            return [rebuild(item, tail) if i == head else item for i, item in enumerate(node)]
        if kind == "key" and not tail:
            return {(insert(k) if k == head else k): v for k, v in node.items()}
        return {k: (rebuild(v, tail) if k == head else v) for k, v in node.items()}

    return rebuild(value, path)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sorted(SAMPLES)),
    st.data(),
    st.characters(categories=["Cc"]),
    st.integers(min_value=0, max_value=1000),
)
def test_a_control_character_anywhere_in_a_valid_message_is_refused(
    type_name: str, data: st.DataObject, character: str, at: int
) -> None:
    valid = wire(type_name, traceparent=TRACEPARENT)
    decode_envelope(orjson.dumps(valid))  # valid as it is
    slots = [s for s in string_slots(valid) if s[1][0] not in ("specversion", "datacontenttype")]
    slot = data.draw(st.sampled_from(slots))
    poisoned = with_character(valid, slot, character, at)
    with pytest.raises(InvalidMessage) as caught:
        decode_envelope(orjson.dumps(poisoned))
    assert caught.value.stage == "validate"
    assert character not in caught.value.reason
    if slot[1][0] == "time" or slot == ("key", slot[1][:1]):
        return  # a time with a control character is no time; an attribute's name no name
    assert caught.value.reason.endswith(": control_character"), caught.value.reason
