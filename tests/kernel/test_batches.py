"""A batch of records in one transaction: a handler that writes and then refuses undoes only
its own record's writes; the records around it apply, each once."""

from __future__ import annotations

import pytest

from keten.kernel import eventstore
from keten.kernel.consumer import Delivery, IncomingRecord, RecordProcessor, Rejected, deadletters
from keten.kernel.consumer.model import Outcome
from keten.kernel.db import Connection, Pool
from keten.kernel.eventstore.model import START
from keten.kernel.sealing import DeadLetterKey
from tests.kernel.consumer_app import apply_command
from tests.kernel.events_for_tests import KernelTestDo, command_json

pytestmark = pytest.mark.integration


async def write_then_refuse(conn: Connection, delivery: Delivery) -> None:
    """Applies the command, then refuses odd counters: the refusal comes after the write."""
    await apply_command(conn, delivery)
    assert isinstance(delivery.message, KernelTestDo)
    if delivery.message.counter % 2:
        raise Rejected("odd counters are refused after writing")


def records(*counters: int) -> list[IncomingRecord]:
    return [
        IncomingRecord(
            "kernel.batch",
            0,
            offset,
            f"s{counter}".encode(),
            command_json(counter, subject=f"s{counter}"),
        )
        for offset, counter in enumerate(counters)
    ]


async def test_a_refusal_after_writing_undoes_only_its_own_record(pool: Pool) -> None:
    processor = RecordProcessor(
        "batch", pool, {"KernelTestDo": write_then_refuse}, DeadLetterKey.generate()
    )

    outcomes = await processor.process_batch(records(2, 3, 4, 5, 6))
    again = await processor.process_batch(records(2, 3, 4))

    assert outcomes == [
        Outcome.APPLIED,
        Outcome.DEAD_LETTERED,
        Outcome.APPLIED,
        Outcome.DEAD_LETTERED,
        Outcome.APPLIED,
    ]
    assert again == [Outcome.DUPLICATE] * 3
    async with pool.acquire() as conn:
        streams = [e.stream_id for e in await eventstore.read_all(conn, START, limit=100)]
        letters = await deadletters.listing(conn)
    assert streams == ["test-s2", "test-s4", "test-s6"]
    assert [(letter.offset, letter.reason) for letter in letters] == [
        (1, "odd counters are refused after writing"),
        (3, "odd counters are refused after writing"),
    ]
