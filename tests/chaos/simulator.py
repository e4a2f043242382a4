"""`keten simulate` as a client of a chain that faults: `python -m tests.chaos.simulator
simulate …` takes the command line's arguments. Two things are changed, both outside the
chain under test; everything else runs as `keten simulate` does.

- Its waits outlast a broker restart. `Quiescence` (is the chain caught up?) asks the broker
  for end offsets and consumer groups every few milliseconds, and the command line ends at the
  first error: a connection the killed broker closed (`KafkaConnectionError`), a restarted
  broker still loading its groups (`GroupLoadInProgressError`). Here those calls are retried
  while the broker comes back.
- It counts what it observes once per message. The relays publish at least once (a relay
  killed between Kafka's acknowledgement and its checkpoint publishes the batch again, with
  the same ids), and the contract has every reader skip a repeated id; the observer counted
  each record, so a republished alert made the summary's alert counts differ from an
  undisturbed run's. Here a record whose id (or dead letter) was seen before is skipped.

Remove each once `keten simulate` does it by itself (`make chaos CHAOS_ARGS="--simulator
plain"` shows whether it does)."""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Callable, Coroutine
from typing import Any, Final, ParamSpec, TypeVar

import orjson
from aiokafka.errors import KafkaError

from keten.cli import main as cli
from keten.cli.simulate.quiescence import Quiescence
from keten.cli.simulate.wire import Observer
from keten.contracts.topics import DLQ_SUFFIX

RETRY_SECONDS: Final = 180.0
P = ParamSpec("P")
R = TypeVar("R")


def tolerant(call: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """`call`, tried again for `RETRY_SECONDS` while the broker fails it."""

    @functools.wraps(call)
    async def tried(*args: P.args, **kwargs: P.kwargs) -> R:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RETRY_SECONDS
        while True:
            try:
                return await call(*args, **kwargs)
            except KafkaError:
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.5)

    return tried


Take = Callable[[Observer, str, bytes | None, bytes | None, Any], None]


def once(take: Take) -> Take:
    """The observer's `_take`, skipping a record whose message it has taken already."""

    @functools.wraps(take)
    def taken_once(
        observer: Observer, topic: str, key: bytes | None, value: bytes | None, headers: Any
    ) -> None:
        identity = _identity(topic, value, headers)
        seen: set[tuple[str, ...]] = observer.__dict__.setdefault("_chaos_seen", set())
        if identity is not None:
            if identity in seen:
                return
            seen.add(identity)
        take(observer, topic, key, value, headers)

    return taken_once


def _identity(topic: str, value: bytes | None, headers: Any) -> tuple[str, ...] | None:
    if topic.endswith(DLQ_SUFFIX):  # the original record's bytes: the letter is the message
        found = {name: raw.decode(errors="replace") for name, raw in headers or ()}
        consumer, letter = found.get("original.consumer"), found.get("dead_letter.id")
        return None if consumer is None or letter is None else (topic, consumer, letter)
    try:
        message = orjson.loads(value) if value else None
    except orjson.JSONDecodeError:
        return None
    if isinstance(message, dict) and isinstance(message.get("id"), str):
        return (topic, message["id"])
    return None


def patch() -> None:
    Quiescence.lag = tolerant(Quiescence.lag)  # type: ignore[method-assign]
    Quiescence.end_offsets = tolerant(Quiescence.end_offsets)  # type: ignore[method-assign]
    Quiescence.describe = tolerant(Quiescence.describe)  # type: ignore[method-assign]
    Observer._take = once(Observer._take)  # type: ignore[method-assign, assignment]


if __name__ == "__main__":
    patch()
    sys.exit(cli.main())
