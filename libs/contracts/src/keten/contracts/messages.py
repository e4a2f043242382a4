"""Base classes and the registry of every command and event, with upcasting.

A message class is registered under its class name, which is its CloudEvents `type`. An old
schema version of a message is read as the current one by the chain of functions registered
with `upcaster(type, from_version)`, conventionally named `upcast_vN_vM`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

from keten.contracts import envelope as envelope_module
from keten.contracts.envelope import CLOCK_CONTEXT, CloudEvent, is_attribute_name
from keten.contracts.errors import InvalidMessage, describe_validation_error, location_part

if TYPE_CHECKING:
    from datetime import datetime

JsonObject = dict[str, Any]
Upcaster = Callable[[JsonObject], JsonObject]

_REGISTRY: dict[str, type[Message]] = {}
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


class Message(BaseModel):
    """A frozen, strict (no unknown fields) message body: the `data` of a CloudEvent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: ClassVar[int] = 1
    # Where the message travels; None for an event kept in its service's own store only.
    topic: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_") and cls.__name__ not in {"Command", "Event"}:
            _REGISTRY[cls.__name__] = cls

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__

    def to_data(self) -> JsonObject:
        return self.model_dump(mode="json")


class Command(Message):
    """An instruction from outside; imperative name. Its topic is where it is sent."""


class Event(Message):
    """A fact that happened; past-tense name. Its topic is where it is published."""


M = TypeVar("M", bound=Message)


def message_type(name: str) -> type[Message] | None:
    return _REGISTRY.get(name)


def registered_types() -> dict[str, type[Message]]:
    return dict(_REGISTRY)


def upcaster(type_name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Registers `fn` to turn version `from_version` of `type_name`'s data into the next."""

    def register(fn: Upcaster) -> Upcaster:
        _UPCASTERS[(type_name, from_version)] = fn
        return fn

    return register


def upcast(type_name: str, version: int, data: JsonObject) -> JsonObject:
    cls = _REGISTRY[type_name]
    while version < cls.schema_version:
        step = _UPCASTERS.get((type_name, version))
        if step is None:
            raise InvalidMessage("validate", f"no upcaster for {type_name} v{version}")
        data = step(data)
        version += 1
    return data


def parse_data(type_name: str, version: int, data: JsonObject) -> Message:
    """The current model of a message from its data at any known schema version."""
    cls = _REGISTRY.get(type_name)
    if cls is None:
        raise InvalidMessage("validate", f"unknown message type {type_name!r}")
    if version > cls.schema_version:
        raise InvalidMessage("validate", f"{type_name} v{version} is newer than known")
    try:
        return cls.model_validate(upcast(type_name, version, data))
    except ValidationError as exc:
        raise InvalidMessage("validate", describe_validation_error(exc)) from None


def parse_message(envelope: CloudEvent) -> Message:
    return parse_data(envelope.type, envelope.schemaversion, envelope.data)


# What `time` may be at most a day ahead of: the wall clock (the default), another clock, or
# None where no wall clock rules (a simulation's event time).
Clock = Callable[[], "datetime"] | None | Literal["wall"]


def decode_envelope(raw: bytes, *, clock: Clock = "wall") -> CloudEvent:
    """Bytes to a validated envelope (structured content mode); raises only `InvalidMessage`.

    Stage decode: not UTF-8, not JSON, or nested deeper than the parser goes (1024 levels).
    Stage validate: JSON that is not a valid envelope, such as an array, a missing or
    ill-typed attribute, a control character in any string, a `time` out of bounds (more than
    a day ahead of `clock`, where a clock rules).
    """
    return _validate_envelope(_loads(raw, "(message)"), clock)


# The Kafka protocol binding's binary content mode: attributes as `ce_` headers.
_CE_PREFIX: Final = "ce_"
_BINARY_MODE_MARKER: Final = "ce_specversion"
_DATA_MEDIA_TYPE: Final = "application/json"


def decode_record(
    value: bytes, headers: Sequence[tuple[str, bytes]] = (), *, clock: Clock = "wall"
) -> CloudEvent:
    """A Kafka record's value and headers to a validated envelope; raises only `InvalidMessage`.

    With a `ce_specversion` header the record is in binary content mode: the attributes come
    from the `ce_*` headers (UTF-8, or stage decode) and the value is `data` as JSON
    (`content-type` application/json when present). Without it, the value is the whole
    envelope in structured mode, as for `decode_envelope`.
    """
    try:
        named = [(_header_name(name), raw) for name, raw in headers]
    except (TypeError, ValueError):  # not a sequence of (name, value) pairs
        raise InvalidMessage("decode", "(headers): header_type") from None
    if not any(name == _BINARY_MODE_MARKER for name, _ in named):
        return decode_envelope(value, clock=clock)
    attributes: dict[str, object] = {}
    for name, raw in named:
        if name.lower() == "content-type":
            media_type = _header_text(raw, "content-type").split(";", 1)[0].strip().lower()
            if media_type != _DATA_MEDIA_TYPE:
                raise InvalidMessage("validate", "content-type: unsupported_media_type")
            continue
        if not name.startswith(_CE_PREFIX):
            continue  # not a CloudEvents attribute: Kafka's, or the producer's own
        attribute = name.removeprefix(_CE_PREFIX)
        if not is_attribute_name(attribute) or attribute == "data":
            raise InvalidMessage("validate", "(headers): attribute_name")
        if attribute in attributes:
            raise InvalidMessage("validate", f"{attribute}: duplicate_header")
        attributes[attribute] = _header_text(raw, attribute)
    version = attributes.get("schemaversion")
    if isinstance(version, str) and version.isascii() and version.isdigit() and len(version) < 8:
        attributes["schemaversion"] = int(version)
    attributes["data"] = _loads(value, "data")
    return _validate_envelope(attributes, clock)


def _header_name(name: object) -> str:
    if isinstance(name, str):
        return name
    if isinstance(name, (bytes, bytearray)):
        return bytes(name).decode("utf-8", errors="replace")
    raise TypeError(name)


def _header_text(raw: object, attribute: str) -> str:
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise InvalidMessage("decode", f"{location_part(attribute)}: header_type")
    try:
        return bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidMessage("decode", f"{location_part(attribute)}: not_utf8") from None


def _loads(raw: object, where: str) -> object:
    if not isinstance(raw, (bytes, bytearray, memoryview, str)):
        raise InvalidMessage("decode", f"{where}: bytes_type")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidMessage("decode", f"{where}: {_json_problem(exc)}") from None


def _json_problem(error: orjson.JSONDecodeError) -> str:
    text = str(error)  # orjson's messages name the problem and the position, not the input
    if "UTF-8" in text:
        return "not_utf8"
    if "depth limit" in text or "recursion" in text.lower():
        return "too_deep"
    if "empty document" in text:
        return "empty"
    return "json_invalid"


def _validate_envelope(value: object, clock: Clock) -> CloudEvent:
    context = {CLOCK_CONTEXT: envelope_module.wall_clock if clock == "wall" else clock}
    try:
        return CloudEvent.model_validate(value, context=context)
    except ValidationError as exc:
        raise InvalidMessage("validate", describe_validation_error(exc)) from None
    except (ValueError, TypeError, OverflowError, RecursionError):
        # Every check raises a ValidationError; this only keeps the promise that nothing
        # but InvalidMessage leaves the door, should pydantic or a check have a gap.
        raise InvalidMessage("validate", "(message): invalid") from None


def make_envelope(  # noqa: PLR0913 - the envelope's attributes, named
    message: Message,
    *,
    id: str,  # noqa: A002 - CloudEvents' own name
    source: str,
    subject: str,
    time: datetime,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> CloudEvent:
    return CloudEvent(
        specversion="1.0",
        id=id,
        source=source,
        type=message.type_name(),
        time=time,
        subject=subject,
        correlationid=correlation_id,
        causationid=causation_id,
        schemaversion=message.schema_version,
        data=message.to_data(),
    )
