"""Base classes and the registry of every command and event, with upcasting.

A message class is registered under its class name, which is its CloudEvents `type`. An old
schema version of a message is read as the current one by the chain of functions registered
with `upcaster(type, from_version)`, conventionally named `upcast_vN_vM`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from keten.contracts.envelope import CloudEvent
from keten.contracts.errors import InvalidMessage, Stage, describe_validation_error

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


def decode_envelope(raw: bytes) -> CloudEvent:
    """Bytes to a validated envelope; `InvalidMessage` with stage decode or validate."""
    try:
        return CloudEvent.model_validate_json(raw)
    except ValidationError as exc:
        stage: Stage = (
            "decode" if any(e["type"] == "json_invalid" for e in exc.errors()) else "validate"
        )
        raise InvalidMessage(stage, describe_validation_error(exc)) from None


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
