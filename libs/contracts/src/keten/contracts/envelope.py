"""The CloudEvents 1.0 envelope, structured JSON mode: one JSON object per Kafka message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Literal

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from datetime import datetime

CONTENT_TYPE: Final = "application/cloudevents+json"


class CloudEvent(BaseModel):
    """One message on the wire. `id` is the idempotency key; `subject` is also the Kafka key.

    `schemaversion` is a CloudEvents extension attribute naming the version of `data`'s
    schema for `type`; absent means 1.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: Literal["1.0"]
    id: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=500)
    type: str = Field(min_length=1, max_length=100)
    time: AwareDatetime
    subject: str = Field(min_length=1, max_length=200)
    datacontenttype: Literal["application/json"] = "application/json"
    correlationid: str | None = Field(default=None, max_length=200)
    causationid: str | None = Field(default=None, max_length=200)
    schemaversion: int = Field(default=1, ge=1)
    data: dict[str, Any]

    def to_json(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json", exclude_none=True))


def decode_json(raw: bytes) -> Any:
    """Raw bytes to a JSON value; raises `orjson.JSONDecodeError` (a `ValueError`)."""
    return orjson.loads(raw)


def encode_time(moment: datetime) -> str:
    return moment.isoformat()
