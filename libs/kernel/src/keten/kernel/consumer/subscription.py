"""The faststream glue: a Kafka subscriber whose offsets are committed only after the effects
of its records (or their dead letters) are stored.

faststream's Kafka default (ACK_FIRST) commits before the handler runs, and a plain `ack()`
commits every partition's position; so the subscriber acknowledges manually, with the offsets
of exactly the records it stored. An exception escaping a faststream handler would let later
commits pass the records: every failure is caught here and the batch is sought back.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any, Final, cast

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage

from keten.kernel.consumer.model import IncomingRecord
from keten.kernel.consumer.processor import RecordProcessor, Stopping
from keten.kernel.health import LoopHealth
from keten.kernel.logging import get_logger
from keten.kernel.metrics import CONSUMER_LAG

log = get_logger(__name__)

BATCH_RECORDS: Final = 200
BATCH_WAIT_MS: Final = 50


def incoming(raw: Any) -> IncomingRecord:
    return IncomingRecord(
        topic=raw.topic,
        partition=raw.partition,
        offset=raw.offset,
        key=raw.key,
        value=raw.value or b"",
        headers=tuple(raw.headers or ()),
    )


def _readable_headers(record: ConsumerRecord[Any, Any]) -> ConsumerRecord[Any, Any]:
    """faststream decodes headers as UTF-8 and drops a record it cannot: keep such a record,
    with its unreadable header values replaced by `UNREADABLE` (key and value untouched)."""
    return dataclasses.replace(
        record, headers=[(name, readable(value)) for name, value in record.headers or ()]
    )


# Stands for a header value that is not UTF-8: a control character, so that a `ce_` attribute
# given such a value is refused at the door (`validate`), never read as another value.
UNREADABLE: Final = b"\x00not-utf-8"


def readable(value: bytes) -> bytes:
    """A header value as the consumer hands it on."""
    try:
        value.decode()
    except UnicodeDecodeError:
        return UNREADABLE
    return value


async def _safe_parser(message: Any, original: Any) -> Any:
    return await original(tuple(_readable_headers(r) for r in message))


def _offsets(records: list[IncomingRecord]) -> dict[TopicPartition, int]:
    """The next offset to read, per partition: one past the last record stored."""
    offsets: dict[TopicPartition, int] = {}
    for record in records:
        partition = TopicPartition(record.topic, record.partition)
        offsets[partition] = max(offsets.get(partition, 0), record.offset + 1)
    return offsets


def subscribe(
    broker: KafkaBroker,
    processor: RecordProcessor,
    *topics: str,
    description: str = "",
    health: LoopHealth | None = None,
) -> None:
    """Subscribes `processor` to `topics` as the consumer group `processor.name`; `health`
    tells how long it has held records it could not store. Only committed records are read
    (`read_committed`): a transactional producer's aborted records never take effect."""
    health = health or LoopHealth(processor.name)

    async def consume(body: list[bytes], msg: KafkaMessage) -> None:  # noqa: ARG001 - raw in msg
        raw = msg.raw_message
        records = [incoming(r) for r in (raw if isinstance(raw, tuple) else (raw,))]
        consumer = cast("AIOKafkaConsumer", msg.consumer)
        health.busy()
        try:
            await processor.process_batch(records)
            offsets = _offsets(records)
            await consumer.commit(offsets)
            health.progressed()
        except Stopping:
            await msg.nack()
            return
        except Exception as exc:  # noqa: BLE001 - never let faststream skip the records
            log.warning(
                "batch.retry",
                consumer=processor.name,
                error=type(exc).__name__,
                records=len(records),
            )
            await msg.nack()
            await asyncio.sleep(1.0)
            return
        for partition, next_offset in offsets.items():
            highwater = consumer.highwater(partition)
            if highwater is not None:
                CONSUMER_LAG.labels(processor.name, partition.topic, partition.partition).set(
                    max(highwater - next_offset, 0)
                )

    broker.subscriber(
        *topics,
        group_id=processor.name,
        ack_policy=AckPolicy.MANUAL,
        batch=True,
        max_records=BATCH_RECORDS,
        batch_timeout_ms=BATCH_WAIT_MS,
        parser=_safe_parser,
        decoder=lambda message: message.body,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        title=f"{processor.name}:{','.join(topics)}",
        description=description or None,
    )(consume)
