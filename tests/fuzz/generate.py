"""Collects fuzzed records with Hypothesis, seeded: the same seed gives the same records (the
ids carry the run, so two runs never share one).

Each variant of a topic is collected by a `@given` run of its own, with the share the variant
has in `mutations.VARIANTS`; the runs' records are then shuffled together (seeded), and the
redeliveries and reused ids take their earlier record from what precedes them.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as with_seed
from hypothesis import strategies as st

from tests.fuzz import corpus
from tests.fuzz.mutations import DOC_OP_NAMES
from tests.fuzz.records import FuzzRecord
from tests.fuzz.values import NOW
from tests.fuzz.variants import VARIANTS, record, repeat, reuse

NEEDS_EARLIER = frozenset({"duplicate", "reused_id"})


def short(topic: str) -> str:
    return topic.split(".", 1)[0][:3]


def shares(count: int, excluded: Collection[str] = ()) -> dict[str, int]:
    """How many records of each variant make `count`: every variant at least once (from 100
    records on), the rest mutated; none of an `excluded` variant."""
    floor = 1 if count >= 100 else 0
    counts = {
        name: max(floor, count * share // 1000)
        for name, share in VARIANTS[1:]
        if name not in excluded
    }
    return {VARIANTS[0][0]: count - sum(counts.values()), **counts}


def _run(
    topic: str,
    variant: str,
    count: int,
    *,
    seed: int,
    entities: corpus.Entities,
    tag: str,
    ops: Sequence[str],
) -> list[FuzzRecord]:
    types = corpus.command_topics()[topic]
    records: list[FuzzRecord] = []

    @with_seed(seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def generate(data: Any) -> None:
        type_name = data.draw(st.sampled_from(types))
        rng = random.Random(data.draw(st.integers(0, 2**32 - 1)))
        # Fixed width: what is drawn may depend on an id's length, not on the count so far.
        message_id = f"fz-{entities.run}-{short(topic)}-{tag}{len(records):06d}"
        built = corpus.fuzz_command(type_name, rng, entities, message_id)
        records.append(record(data.draw, variant, topic, built, ops))

    generate()
    return records[:count]


def collect(
    topic: str,
    count: int,
    seed: int,
    entities: corpus.Entities,
    *,
    excluded: Collection[str] = (),
    now: datetime | None = None,
) -> list[FuzzRecord]:
    """`count` fuzzed records for `topic`, made from its command types' valid CloudEvents;
    `excluded` names variants and document operations to leave out; times relative to the wall
    clock count from `now` (default: now)."""
    token = NOW.set(now or datetime.now(UTC))
    try:
        return _collect(topic, count, seed, entities, excluded)
    finally:
        NOW.reset(token)


def _collect(
    topic: str, count: int, seed: int, entities: corpus.Entities, excluded: Collection[str]
) -> list[FuzzRecord]:
    counts = shares(count, excluded)
    ops = tuple(op for op in DOC_OP_NAMES if op not in excluded)
    made: dict[str, Iterator[FuzzRecord]] = {}
    for number, (variant, wanted) in enumerate(counts.items()):
        if variant != "duplicate" and wanted:
            run_seed = zlib.crc32(f"{seed}/{topic}/{variant}".encode())
            tag = f"{number:02d}"
            made[variant] = iter(
                _run(topic, variant, wanted, seed=run_seed, entities=entities, tag=tag, ops=ops)
            )
    order = [variant for variant, wanted in counts.items() for _ in range(wanted)]
    rng = random.Random(zlib.crc32(f"{seed}/{topic}".encode()))
    rng.shuffle(order)
    first = next((i for i, v in enumerate(order) if v not in NEEDS_EARLIER), 0)
    order[0], order[first] = order[first], order[0]
    records: list[FuzzRecord] = []
    for variant in order:
        if variant == "duplicate":
            index = rng.randrange(len(records))
            records.append(repeat(records[index], index))
        elif variant == "reused_id":
            ids = [r.message_id for r in records if r.message_id]
            records.append(reuse(next(made[variant]), rng.choice(ids or ["none"])))
        else:
            records.append(next(made[variant]))
    return records
