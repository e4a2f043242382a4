"""`/admin/dead-letters`: list, show and replay the records this service could not apply.

A replay feeds the letter's record, its seals opened, to the consumer that refused it: once its
cause is mended it takes effect, exactly once however often it is replayed (the consumer's
inbox knows the message); refused again, the letter keeps the new reason.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Query

from keten.kernel.consumer import Outcome, RecordProcessor, deadletters
from keten.kernel.consumer.deadletters import StoredDeadLetter
from keten.kernel.db import Pool
from keten.kernel.sealing import DeadLetterKey, SealError, open_personal

_NOT_LISTED = frozenset({"key", "value", "headers", "created_at", "published_at", "resolved_at"})


def summary(letter: StoredDeadLetter) -> dict[str, Any]:
    """The letter without its record (key, value, headers), its moments as flags and text."""
    fields = {f.name: getattr(letter, f.name) for f in dataclasses.fields(letter)}
    return {
        **{name: value for name, value in fields.items() if name not in _NOT_LISTED},
        "created_at": letter.created_at.isoformat(),
        "published": letter.published_at is not None,
        "resolved": letter.resolved_at is not None,
    }


def _shown(value: bytes) -> Any:
    """The value as JSON where it is JSON (seals stay sealed), else its bytes in base64."""
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return {"base64": base64.b64encode(value).decode()}


async def _replayed(
    letter: StoredDeadLetter, processors: Mapping[str, RecordProcessor], key: DeadLetterKey
) -> Outcome:
    processor = processors.get(letter.consumer)
    if processor is None:
        raise HTTPException(409, f"consumer {letter.consumer} does not run here")
    try:
        value = open_personal(key, letter.value) if letter.sealed else letter.value
    except SealError as exc:
        raise HTTPException(409, f"dead letter {letter.id} is sealed: {exc}") from None
    return await processor.replay(letter.record(value))


def dead_letter_router(
    pool: Pool, processors: Mapping[str, RecordProcessor], key: DeadLetterKey
) -> APIRouter:
    router = APIRouter(prefix="/admin/dead-letters", tags=["administration"])

    async def find(letter_id: int) -> StoredDeadLetter:
        async with pool.acquire() as conn:
            letter = await deadletters.find(conn, letter_id)
        if letter is None:
            raise HTTPException(404, f"no dead letter {letter_id}")
        return letter

    async def replay(letter: StoredDeadLetter) -> dict[str, Any]:
        outcome = await _replayed(letter, processors, key)
        resolved = outcome in (Outcome.APPLIED, Outcome.DUPLICATE, Outcome.IGNORED)
        async with pool.acquire() as conn:
            await deadletters.replayed(conn, letter.id, resolved=resolved)
        after = await find(letter.id)
        return {"id": letter.id, "outcome": outcome.value, "reason": after.reason}

    @router.get("")
    async def listing(
        topic: str | None = None,
        reason: str | None = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> list[dict[str, Any]]:
        """Dead letters, oldest first; `reason` matches part of the reason or the error type."""
        async with pool.acquire() as conn:
            letters = await deadletters.listing(conn, topic=topic, reason=reason, limit=limit)
        return [summary(letter) for letter in letters]

    @router.get("/{letter_id}")
    async def show(letter_id: int) -> dict[str, Any]:
        """One dead letter with its value; personal data stays sealed."""
        letter = await find(letter_id)
        return {**summary(letter), "key": (letter.key or b"").decode(errors="replace"),
                "value": _shown(letter.value)}  # fmt: skip

    @router.post("/{letter_id}/replay")
    async def replay_one(letter_id: int) -> dict[str, Any]:
        """Replays one dead letter: `applied`, `duplicate` (it took effect before) or
        `dead_lettered` again (with its new reason)."""
        return await replay(await find(letter_id))

    @router.post("/replay")
    async def replay_all(topic: str | None = None, reason: str | None = None) -> dict[str, Any]:
        """Replays every unresolved dead letter (of `topic`, matching `reason`)."""
        async with pool.acquire() as conn:
            letters = await deadletters.listing(conn, topic=topic, reason=reason, limit=10_000)
        results = [await replay(letter) for letter in letters if letter.resolved_at is None]
        counts: dict[str, int] = {}
        for result in results:
            counts[result["outcome"]] = counts.get(result["outcome"], 0) + 1
        return {"replayed": len(results), "outcomes": counts, "letters": results}

    return router
