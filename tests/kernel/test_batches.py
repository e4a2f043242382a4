"""A batch of records in one transaction: a handler that writes and then refuses undoes only
its own record's writes; the records around it apply, each once."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from keten.kernel import eventstore
from keten.kernel.consumer import Delivery, IncomingRecord, RecordProcessor, Rejected, inbox
from keten.kernel.consumer.model import Outcome
from keten.kernel.db import Connection, Pool
from keten.kernel.eventstore.model import START
from keten.kernel.producer import OutgoingRecord
from tests.kernel.consumer_app import apply_command
from tests.kernel.events_for_tests import KernelTestDo, command_json

pytestmark = pytest.mark.integration


class KeptDeadLetters:
    """The dead-letter port, in memory."""

    def __init__(self) -> None:
        self.sent: list[OutgoingRecord] = []

    async def send_all(self, records: Sequence[OutgoingRecord]) -> None:
        self.sent += records


async def write_then_refuse(conn: Connection, delivery: Delivery) -> None:
    """Applies the command, then refuses odd counters: the refusal comes after the write."""
    await apply_command(conn, delivery)
    assert isinstance(delivery.message, KernelTestDo)
    if delivery.message.counter % 2:
        raise Rejected("odd counters are refused after writing")


def records(*counters: int) -> list[IncomingRecord]:
    return [
        IncomingRecord(
            "kernel.batch", 0, offset, b"s", command_json(counter, subject=f"s{counter}")
        )
        for offset, counter in enumerate(counters)
    ]


async def test_a_refusal_after_writing_undoes_only_its_own_record(pool: Pool) -> None:
    async with pool.acquire() as conn:
        await inbox.setup(conn)
    dead = KeptDeadLetters()
    processor = RecordProcessor("batch", pool, dead, {"KernelTestDo": write_then_refuse})

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
    assert streams == ["test-s2", "test-s4", "test-s6"]
    assert [dict(r.headers)["error.message"] for r in dead.sent] == [
        b"odd counters are refused after writing"
    ] * 2
