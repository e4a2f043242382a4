"""Waits until the Kafka broker answers, then creates the contract's topics (idempotently).

The partition count is one setting: KETEN_PARTITIONS. A compacted topic (`keten.clock`) has one
partition and keeps the newest value of each key: it holds a state, which no consumer needs
spread over partitions.
"""

import asyncio
import logging
import os
import sys
import time

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from keten.contracts.topics import COMPACTED_TOPICS, all_topics


async def connect(bootstrap: str, deadline: float) -> AIOKafkaAdminClient:
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            await admin.list_topics()
        except (KafkaError, OSError) as exc:
            await admin.close()
            if time.monotonic() > deadline:
                sys.exit(
                    f"kafka: no answer from {bootstrap} ({exc}); start it with `make infra-up`"
                )
            await asyncio.sleep(0.5)
        else:
            return admin


def new_topic(name: str, partitions: int) -> NewTopic:
    if name in COMPACTED_TOPICS:
        compacted = {"cleanup.policy": "compact"}
        return NewTopic(name, num_partitions=1, replication_factor=1, topic_configs=compacted)
    return NewTopic(name, num_partitions=partitions, replication_factor=1)


async def main() -> None:
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    partitions = int(os.environ.get("KETEN_PARTITIONS", "3"))
    admin = await connect(bootstrap, time.monotonic() + 90)
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in all_topics() if t not in existing]
        if missing:
            await admin.create_topics([new_topic(t, partitions) for t in missing])
        print(
            f"kafka: ready on {bootstrap}, {len(missing)} topics created, "
            f"{len(all_topics()) - len(missing)} present"
        )
    finally:
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
