"""The PostgreSQL cluster the nemesis restarts: the shared one the infra started (`make
infra-up`), or a cluster of the run's own.

The shared cluster holds every database of the machine: restarting it cuts every other chain,
test and service that uses it at that moment, which is harmless only while nothing else runs.
A cluster of the run's own (initdb'd in the state directory, on a free port, with the shared
cluster's settings) takes the same fault without touching anyone else; `make chaos` uses it,
and so does the slice in `make test` unless `KETEN_CHAOS_POSTGRES=shared`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import asyncpg

from tests.support.services import free_port

Where = Literal["own", "shared"]
SETTINGS: Final = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{sockets}'
max_connections = 300
shared_buffers = 128MB
fsync = on
synchronous_commit = on
timezone = 'UTC'
log_min_messages = warning
"""


@dataclass(frozen=True)
class PostgresCluster:
    """A running cluster and how to restart it: with `pg_ctlcluster` when Debian's tools know
    it, else with `pg_ctl` on its data directory (as infra/postgres/start.sh runs it, its log
    next to the data directory)."""

    data_directory: Path
    version: str
    owner: str
    debian_cluster: str | None

    @classmethod
    async def serving(cls, admin_database_url: str) -> PostgresCluster:
        """The cluster behind the URL (its data directory as the server tells it)."""
        conn = await asyncpg.connect(admin_database_url)
        try:
            data = Path(await conn.fetchval("SHOW data_directory"))
        finally:
            await conn.close()
        return await asyncio.to_thread(cls.of, data)

    @classmethod
    def of(cls, data: Path) -> PostgresCluster:
        version = (data / "PG_VERSION").read_text().strip()
        return cls(data, version, data.owner(), _debian_cluster(version, data))

    def restart_command(self) -> list[str]:
        if self.debian_cluster is not None:
            command = ["pg_ctlcluster", self.version, self.debian_cluster, "restart", "-m", "fast"]
        else:
            command = [*self._pg_ctl(), "-m", "fast", "-w", "-t", "120", "restart"]
        return self._as_owner(command)

    def restart(self) -> None:
        self._run(self.restart_command())

    def _pg_ctl(self) -> list[str]:
        log = self.data_directory.parent / "postgres.log"
        return [_bin(self.version, "pg_ctl"), "-D", str(self.data_directory), "-l", str(log)]

    def _as_owner(self, command: list[str]) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", self.owner, "--", *command]
        return command  # the cluster's owner already, or the command fails saying so

    def _run(self, command: list[str]) -> None:
        done = subprocess.run(
            command, capture_output=True, stdin=subprocess.DEVNULL, timeout=180, check=False
        )
        if done.returncode != 0:
            output = (done.stdout + done.stderr).decode(errors="replace")[-2000:]
            raise RuntimeError(f"`{' '.join(command)}` failed ({done.returncode}): {output}")


def _bin(version: str, name: str) -> str:
    return f"/usr/lib/postgresql/{version}/bin/{name}"


def _debian_cluster(version: str, data: Path) -> str | None:
    if shutil.which("pg_lsclusters") is None:
        return None
    listed = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=False
    )
    for line in listed.stdout.splitlines():
        columns = line.split()
        if len(columns) >= 6 and columns[0] == version and Path(columns[5]) == data:
            return columns[1]
    return None


@contextlib.asynccontextmanager
async def postgres_for_run(
    where: Where, shared_admin_url: str, state_root: Path
) -> AsyncIterator[tuple[str, PostgresCluster]]:
    """An administrator's URL and the cluster it reaches: the shared one, or a new cluster in
    a directory under `state_root` (which its owner must be able to reach), removed after."""
    if where == "shared":
        yield shared_admin_url, await PostgresCluster.serving(shared_admin_url)
        return
    shared = await PostgresCluster.serving(shared_admin_url)
    own = state_root / f"chaos-postgres-{uuid.uuid4().hex[:8]}"
    cluster = PostgresCluster(own / "data", shared.version, shared.owner, None)
    port = free_port()
    await asyncio.to_thread(_create, cluster, port)
    try:
        yield f"postgresql://keten:keten@127.0.0.1:{port}/postgres", cluster
    finally:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            await asyncio.to_thread(
                cluster._run,
                cluster._as_owner([*cluster._pg_ctl(), "-m", "immediate", "-w", "stop"]),
            )
        await asyncio.to_thread(shutil.rmtree, own, ignore_errors=True)


def _create(cluster: PostgresCluster, port: int) -> None:
    home = cluster.data_directory.parent
    home.mkdir(parents=True)
    password = home / "password"
    password.write_text("keten\n")
    if os.geteuid() == 0:
        shutil.chown(home, cluster.owner)
        shutil.chown(password, cluster.owner)
    cluster._run(
        cluster._as_owner(
            [_bin(cluster.version, "initdb"), "-D", str(cluster.data_directory), "-U", "keten",
             f"--pwfile={password}", "--auth-local=trust", "--auth-host=scram-sha-256",
             "-E", "UTF8", "--locale=C.UTF-8"]
        )
    )  # fmt: skip
    with (cluster.data_directory / "postgresql.conf").open("a") as conf:
        conf.write(SETTINGS.format(port=port, sockets=home))
    cluster._run(cluster._as_owner([*cluster._pg_ctl(), "-w", "-t", "60", "start"]))
