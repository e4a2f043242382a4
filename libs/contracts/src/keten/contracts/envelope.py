"""The CloudEvents 1.0 envelope, structured JSON mode: one JSON object per Kafka message.

Bounds at the door: every value a valid envelope carries is one the stores can hold and the
clocks can use. No string (an attribute, or a key or value anywhere in `data`) carries a
control character; `data` is nested at most `MAX_DATA_DEPTH` levels and holds JSON values only;
`time` lies between 1900 and 2200 and at most a day ahead of the wall clock.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final, Literal

import orjson
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

CONTENT_TYPE: Final = "application/cloudevents+json"

MAX_SCHEMA_VERSION: Final = 1000  # stored in a PostgreSQL integer
MAX_DATA_DEPTH: Final = 32  # `data` itself is the first level
MAX_EXTENSION_LENGTH: Final = 2000  # a `traceparent` is 55 characters, a `tracestate` at most 512
EARLIEST_TIME: Final = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_TIME: Final = datetime(2200, 1, 1, tzinfo=UTC)
MAX_AHEAD_OF_CLOCK: Final = timedelta(days=1)

# CloudEvents attribute names: lower-case ASCII letters and digits, at most 20 of them.
_ATTRIBUTE_NAME: Final = re.compile(r"[a-z0-9]{1,20}")
# Control characters (Unicode category Cc), and lone surrogates, which UTF-8 cannot carry.
_FORBIDDEN: Final = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Integers inside `data`: what orjson reads and writes back (PostgreSQL's jsonb holds any).
_JSON_INT_MIN: Final = -(2**63)
_JSON_INT_MAX: Final = 2**64 - 1
# A CloudEvents Integer is a signed 32-bit number.
_CE_INT_MIN: Final = -(2**31)
_CE_INT_MAX: Final = 2**31 - 1

ExtensionValue = str | int | bool


# The validation context's entry naming the clock `time` may be at most a day ahead of: a
# `() -> datetime`. Only messages at the door are given one (`decode_record`); what the
# services build themselves, and a simulation's event time, are bound by the years alone.
CLOCK_CONTEXT: Final = "clock"


def wall_clock() -> datetime:
    """Now, by the wall clock; `time` may lie at most a day ahead. Tests monkeypatch this."""
    return datetime.now(UTC)


def is_attribute_name(name: str) -> bool:
    """Whether `name` is a valid CloudEvents attribute name."""
    return _ATTRIBUTE_NAME.fullmatch(name) is not None


def _character_problem(text: str) -> str | None:
    found = _FORBIDDEN.search(text)
    if found is None:
        return None
    return "surrogate_character" if ord(found.group()) >= 0xD800 else "control_character"


def _bad(kind: str, where: tuple[str | int, ...] = ()) -> PydanticCustomError:
    """An error of `kind` at `where` (below the field's own location); never the value."""
    return PydanticCustomError(kind, "invalid value ({kind})", {"kind": kind, "where": where})


def _clean(text: str) -> str:
    problem = _character_problem(text)
    if problem is not None:
        raise _bad(problem)
    return text


def _rfc3339_only(value: object) -> object:
    """A time is an RFC 3339 string (or, from Python, a datetime), never a number."""
    if isinstance(value, (str, datetime)):
        return value
    raise _bad("datetime_type")


def _time_in_range(value: datetime, info: ValidationInfo) -> datetime:
    # The year first: converting 9999-12-31T23:00-05:00 to UTC would overflow.
    if not EARLIEST_TIME.year - 1 <= value.year <= LATEST_TIME.year:
        raise _bad("out_of_range")
    try:
        moment = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise _bad("out_of_range") from None
    if not EARLIEST_TIME <= moment <= LATEST_TIME:
        raise _bad("out_of_range")
    clock = (info.context or {}).get(CLOCK_CONTEXT)
    if clock is not None and moment > clock() + MAX_AHEAD_OF_CLOCK:
        raise _bad("ahead_of_clock")
    return value


def _extension_value(value: object) -> ExtensionValue:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not _CE_INT_MIN <= value <= _CE_INT_MAX:
            raise _bad("out_of_range")
        return value
    if isinstance(value, str):
        if len(value) > MAX_EXTENSION_LENGTH:
            raise _bad("string_too_long")
        return _clean(value)
    raise _bad("extension_type")


def _check_json_value(data: dict[str, Any]) -> None:
    """Refuses control characters, deep nesting and non-JSON values anywhere in `data`.

    Walks with an explicit stack, so no input can exhaust Python's recursion limit.
    """
    stack: list[tuple[object, tuple[str | int, ...], int]] = [(data, (), 1)]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_DATA_DEPTH:
                raise _bad("too_deep")
            for key, item in value.items():
                if not isinstance(key, str):
                    raise _bad("key_type", where)
                _check_scalar(key, (*where, key))
                stack.append((item, (*where, key), depth + 1))
        elif isinstance(value, (list, tuple)):
            if depth > MAX_DATA_DEPTH:
                raise _bad("too_deep")
            stack.extend((item, (*where, i), depth + 1) for i, item in enumerate(value))
        else:
            _check_scalar(value, where)


def _check_scalar(value: object, where: tuple[str | int, ...]) -> None:
    if isinstance(value, str):
        problem = _character_problem(value)
        if problem is not None:
            raise _bad(problem, where)
    elif value is None or isinstance(value, bool):
        pass
    elif isinstance(value, int):
        if not _JSON_INT_MIN <= value <= _JSON_INT_MAX:
            raise _bad("out_of_range", where)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _bad("out_of_range", where)
    else:
        raise _bad("json_type", where)


CleanId = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_clean)]


class CloudEvent(BaseModel):
    """One message on the wire. `id` is the idempotency key; `subject` is also the Kafka key.

    `schemaversion` is a CloudEvents extension attribute naming the version of `data`'s
    schema for `type`; absent means 1. Other attributes (`dataschema`, extensions such as
    `traceparent`) are kept as they came, in `extensions()`, when their names are CloudEvents
    attribute names and their values strings, integers or booleans.
    """

    model_config = ConfigDict(frozen=True, extra="allow")
    __pydantic_extra__: dict[str, Annotated[ExtensionValue, PlainValidator(_extension_value)]] = (
        Field(init=False)
    )

    specversion: Literal["1.0"]
    id: CleanId
    source: Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_clean)]
    type: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_clean)]
    time: Annotated[AwareDatetime, BeforeValidator(_rfc3339_only), AfterValidator(_time_in_range)]
    subject: CleanId
    datacontenttype: Literal["application/json"] = "application/json"
    correlationid: Annotated[str, Field(max_length=200), AfterValidator(_clean)] | None = None
    causationid: Annotated[str, Field(max_length=200), AfterValidator(_clean)] | None = None
    schemaversion: int = Field(default=1, ge=1, le=MAX_SCHEMA_VERSION, strict=True)
    data: dict[str, Any]

    @field_validator("data")
    @classmethod
    def _data_within_bounds(cls, data: dict[str, Any]) -> dict[str, Any]:
        _check_json_value(data)
        return data

    @model_validator(mode="after")
    def _extension_names(self) -> CloudEvent:
        if any(not is_attribute_name(name) for name in self.__pydantic_extra__ or {}):
            raise _bad("attribute_name")
        return self

    def extensions(self) -> dict[str, ExtensionValue]:
        """The attributes beyond the ones Keten defines, e.g. `traceparent`, `dataschema`."""
        return dict(self.__pydantic_extra__ or {})

    def to_json(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json", exclude_none=True))


def decode_json(raw: bytes) -> Any:
    """Raw bytes to a JSON value; raises `orjson.JSONDecodeError` (a `ValueError`)."""
    return orjson.loads(raw)


def encode_time(moment: datetime) -> str:
    return moment.isoformat()
