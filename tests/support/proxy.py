"""A TCP proxy between a service and a server it talks to (PostgreSQL), which a test can cut or
stall: to the service, the server is then gone at once (`cut`: open connections drop, new ones
are refused) or unreachable (`stall`: connections stay open, nothing answers, as in a network
partition).

It runs in the test's event loop: the test must wait with `await`, never block.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._stalled = False
        self._writers: set[asyncio.StreamWriter] = set()
        self._pipes: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def _accept(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        self._writers.add(client)
        if self._stalled:
            return  # held open, never answered
        try:
            server_reader, server = await asyncio.open_connection(*self._target)
        except OSError:
            self._drop(client)
            return
        self._writers.add(server)
        pipes = [
            asyncio.create_task(_pipe(client_reader, server)),
            asyncio.create_task(_pipe(server_reader, client)),
        ]
        self._pipes.update(pipes)
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        self._pipes.difference_update(pipes)
        if self._stalled:
            return  # both ends stay open, silent
        for pipe in pipes:
            pipe.cancel()
        self._drop(client)
        self._drop(server)

    def _drop(self, writer: asyncio.StreamWriter) -> None:
        writer.transport.abort()
        self._writers.discard(writer)

    def stall(self) -> None:
        """Nothing flows any more, either way; connections, old and new, stay open."""
        self._stalled = True
        for pipe in list(self._pipes):
            pipe.cancel()

    async def cut(self) -> None:
        """Stops listening and drops every open connection, without a goodbye."""
        if self._server is not None:
            self._server.close()
        for pipe in list(self._pipes):
            pipe.cancel()
        for writer in list(self._writers):
            self._drop(writer)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()


@contextlib.asynccontextmanager
async def tcp_proxy(target_host: str, target_port: int) -> AsyncIterator[TcpProxy]:
    """A running proxy to the target on a free local port; cut when the block ends."""
    proxy = TcpProxy(target_host, target_port)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.cut()
