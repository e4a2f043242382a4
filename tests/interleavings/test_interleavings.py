"""The same facts give the same events, whatever order the topics arrive in.

A scenario of every command type is published in its true order, then with its topics
interleaved in random ways (each topic's own order kept, as Kafka keeps it per partition): each
run, on fresh stores, must end with the same events per stream (ids left out, in event-time
order) and the same figures. Prerequisites that arrive late (a centre after its applications, a
case after its track, a stay after its permit) are waited for, never refused or guessed.
"""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from keten.contracts.civil_time import civil_date, half_year
from tests.conftest import Infra
from tests.interleavings.chain import (
    Running,
    dead_letters,
    events_by_stream,
    four_services,
    read,
    settled,
)
from tests.interleavings.scenario import AC, AZC, FAST, HTL, Sent, commands, interleaved

pytestmark = [pytest.mark.integration, pytest.mark.timeout(2400)]

INTERLEAVINGS = int(os.environ.get("KETEN_INTERLEAVINGS", "20"))
# Near the wall clock (a message may be at most a day ahead of it), far from any term's end.
BASE = (datetime.now(UTC) - timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
PERIOD = half_year(civil_date(BASE))


async def publish(bootstrap: str, order: list[Sent]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for sent in order:
            await producer.send_and_wait(
                sent.topic, sent.cloud_event(BASE), key=sent.subject.encode()
            )
    finally:
        await producer.stop()


async def figures(services: dict[str, Running]) -> dict[str, Any]:
    capacity, housing, placement = (services[s] for s in ("capacity", "housing", "placement"))
    return {
        "occupancy": await read(capacity, "/occupancy", by="location"),
        "national": await read(capacity, "/occupancy", by="national"),
        "quota": await read(housing, "/quota", period=PERIOD, by="municipality"),
        "pairings": await read(housing, "/pairings"),
        "residents": {
            location: await read(placement, f"/locations/{location}/residents")
            for location in (AC, FAST, AZC, HTL)
        },
    }


async def run(infra: Infra, bootstrap: str, order: list[Sent]) -> dict[str, Any]:
    async with four_services(infra.admin_database_url, bootstrap) as services:
        await publish(bootstrap, order)
        await settled(services)
        return {
            "events": {
                name: await events_by_stream(s.database_url) for name, s in services.items()
            },
            "dead_letters": {
                name: await dead_letters(s.database_url) for name, s in services.items()
            },
            "figures": await figures(services),
        }


def differences(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    found = []
    for service, streams in expected["events"].items():
        for stream in sorted(set(streams) | set(got["events"][service])):
            want, have = streams.get(stream, []), got["events"][service].get(stream, [])
            if want != have:
                missing = [e for e in want if e not in have]
                extra = [e for e in have if e not in want]
                found.append(f"{service} {stream}: missing {missing}, extra {extra}")
    found += [
        f"figures {k}" for k in expected["figures"] if expected["figures"][k] != got["figures"][k]
    ]
    return found


async def test_every_interleaving_of_the_topics_gives_the_same_events_and_figures(
    infra: Infra, kafka_bootstrap: str
) -> None:
    scenario = commands(PERIOD)
    assert len({type(s.command) for s in scenario}) == 13  # every command type but ForgetPerson

    expected = await run(infra, kafka_bootstrap, scenario)

    assert expected["dead_letters"] == {name: [] for name in expected["dead_letters"]}
    assert expected["figures"]["national"]["rows"][0]["occupied"] > 0
    differing: dict[int, list[str]] = {}
    orders = set()
    for seed in range(INTERLEAVINGS):
        order = interleaved(scenario, random.Random(seed))
        orders.add(tuple(s.minute for s in order))
        got = await run(infra, kafka_bootstrap, order)
        found = differences(expected, got)
        if found or got["dead_letters"] != expected["dead_letters"]:
            differing[seed] = [*found, str(got["dead_letters"])]
    assert len(orders) == INTERLEAVINGS  # each interleaving another order
    shown = "\n".join(f"{seed}: {line}" for seed, lines in differing.items() for line in lines)
    assert differing == {}, f"{len(differing)} of {INTERLEAVINGS} interleavings differ:\n{shown}"
