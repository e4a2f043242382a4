"""The wait for quiescence reads the services' relay backlog, and survives a service restart."""

from __future__ import annotations

import math

import httpx

from keten.cli.endpoints import service_url
from keten.cli.simulate.quiescence import Quiescence

METRICS = 'keten_relay_backlog{service="x"} 3.0\nketen_consumer_lag{group="x"} 0\n'


def _client(down: set[str]) -> httpx.AsyncClient:
    def answer(request: httpx.Request) -> httpx.Response:
        if str(request.url).removesuffix("/metrics") in down:
            raise httpx.ConnectError("All connection attempts failed", request=request)
        return httpx.Response(200, text=METRICS)

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


async def test_the_backlog_is_the_sum_over_the_services() -> None:
    async with _client(down=set()) as client:
        assert await Quiescence("127.0.0.1:1").relay_backlog(client) == 12.0


async def test_a_service_that_does_not_answer_is_not_caught_up() -> None:
    async with _client(down={service_url("placement")}) as client:
        backlog = await Quiescence("127.0.0.1:1").relay_backlog(client)
    assert math.isinf(backlog)
