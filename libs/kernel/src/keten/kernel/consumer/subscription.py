"""The faststream glue: a Kafka subscriber whose offsets are committed only after the record's
effect (or its dead letter) is stored.

faststream's Kafka default (ACK_FIRST) commits before the handler runs, and a plain `ack()`
commits every partition's position; so the subscriber acknowledges manually, record by record.
An exception escaping a faststream handler would let later commits pass the record: every
failure is therefore caught here and the record is sought back to be read again.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.message import StreamMessage

from keten.kernel.consumer.model import IncomingRecord
from keten.kernel.consumer.processor import RecordProcessor, Stopping
from keten.kernel.logging import get_logger
from keten.kernel.metrics import CONSUMER_LAG

log = get_logger(__name__)


def raw_body(message: StreamMessage[Any]) -> bytes:
    """No decoding by faststream: the processor decodes, and dead-letters what it cannot."""
    return message.body


def incoming(raw: Any) -> IncomingRecord:
    return IncomingRecord(
        topic=raw.topic,
        partition=raw.partition,
        offset=raw.offset,
        key=raw.key,
        value=raw.value or b"",
        headers=tuple(raw.headers or ()),
    )


def subscribe(
    broker: KafkaBroker, processor: RecordProcessor, *topics: str, description: str = ""
) -> None:
    """Subscribes `processor` to `topics` as the consumer group `processor.name`."""

    async def consume(body: bytes, msg: KafkaMessage) -> None:  # noqa: ARG001 - raw in msg
        raw = msg.raw_message
        record = incoming(raw)
        consumer = cast("AIOKafkaConsumer", msg.consumer)
        try:
            await processor.process(record)
            partition = TopicPartition(record.topic, record.partition)
            await consumer.commit({partition: record.offset + 1})
        except Stopping:
            await msg.nack()
            return
        except Exception as exc:  # noqa: BLE001 - never let faststream skip the record
            log.warning(
                "record.retry",
                consumer=processor.name,
                error=type(exc).__name__,
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
            )
            await msg.nack()
            await asyncio.sleep(1.0)
            return
        highwater = consumer.highwater(partition)
        if highwater is not None:
            CONSUMER_LAG.labels(processor.name, record.topic, record.partition).set(
                max(highwater - record.offset - 1, 0)
            )

    broker.subscriber(
        *topics,
        group_id=processor.name,
        ack_policy=AckPolicy.MANUAL,
        decoder=raw_body,
        auto_offset_reset="earliest",
        title=f"{processor.name}:{','.join(topics)}",
        description=description or None,
    )(consume)
