"""Fuzzing the chain: mutated CloudEvents of every command on every command topic, valid
sentinels between them; every record ends in the consumer's inbox or its dead letters, every
sentinel takes effect, no consumer stalls, no personal data stands in plain text anywhere but
the command topics. The full size is `make fuzz`; this is the slice `make test` runs."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from keten.contracts.messages import decode_envelope, parse_message
from tests.conftest import Infra
from tests.fuzz import corpus
from tests.fuzz.generate import collect
from tests.fuzz.records import find_markers, to_json
from tests.fuzz.report import show
from tests.fuzz.run import Options, Target, fuzz
from tests.support.chain import fresh_chain

PER_TOPIC = 250  # x 4 command topics: 1,000 fuzzed records
SENTINEL_EVERY = 25


def test_the_corpus_has_a_command_of_every_type_the_contract_knows() -> None:
    types = {name for names in corpus.command_topics().values() for name in names}
    assert types == set(corpus.FUZZ_BUILDERS)


@pytest.mark.parametrize("type_name", sorted(corpus.FUZZ_BUILDERS))
def test_every_command_of_the_corpus_is_valid(type_name: str) -> None:
    entities = corpus.Entities("test")
    for number in range(50):
        built = corpus.fuzz_command(type_name, random.Random(number), entities, f"id-{number}")
        message = parse_message(decode_envelope(to_json(built.envelope)))
        assert message.type_name() == type_name
        assert type(message).topic in corpus.command_topics()


def test_the_same_seed_gives_the_same_records() -> None:
    entities, now = corpus.Entities("test"), datetime.now(UTC)
    once, again, other = (
        collect("housing.commands", 60, seed, entities, now=now) for seed in (7, 7, 8)
    )
    assert [r.wire for r in once] == [r.wire for r in again]
    assert [r.wire for r in once] != [r.wire for r in other]


def test_personal_markers_are_found_however_they_are_surrounded() -> None:
    personal = corpus.Personal("0a1b2c3d4e5f", "1234567890")
    text = b'{"family_name":"Fuzzname0a1b2c3d4e5f","v":"1234567890","n":12345678901}'
    assert find_markers(text, personal.markers) == {"0a1b2c3d4e5f", "1234567890"}
    assert find_markers(b"01234567890 0a1b2c3d4e5", personal.markers) == set()


@pytest.mark.integration
@pytest.mark.timeout(600)
async def test_every_fuzzed_record_ends_applied_or_dead_lettered(
    infra: Infra, tmp_path: Path
) -> None:
    async with fresh_chain(infra.admin_database_url, tmp_path, clock="wall") as chain:
        report = await fuzz(Target.of(chain), Options(PER_TOPIC, SENTINEL_EVERY))
    show(report)
    assert sum(t.fuzzed for t in report.topics) >= 1000
    assert all(t.sentinels for t in report.topics)
    assert report.violations() == []
