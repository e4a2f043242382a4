"""Creates one database and one login role per service, reachable by that role only.

Run with the admin URL (a superuser): `python infra/databases.py`. Idempotent.
"""

import asyncio
import os

import asyncpg

SERVICES = ("registration", "placement", "housing", "capacity")


def service_database_url(admin_url: str, service: str) -> str:
    """The URL a service uses: its own role (password = name, local only) on its own database."""
    host_port = admin_url.rsplit("@", 1)[1].split("/", 1)[0]
    return f"postgresql://{service}:{service}@{host_port}/{service}"


async def provision(admin_url: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        for service in SERVICES:
            if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", service):
                await conn.execute(f"CREATE ROLE {service} LOGIN PASSWORD '{service}'")
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", service):
                await conn.execute(f"CREATE DATABASE {service} OWNER {service}")
            await conn.execute(
                f"REVOKE CONNECT ON DATABASE {service} FROM PUBLIC;"
                f"GRANT CONNECT ON DATABASE {service} TO {service}, CURRENT_USER"
            )
    finally:
        await conn.close()


if __name__ == "__main__":
    asyncio.run(provision(os.environ["KETEN_ADMIN_DATABASE_URL"]))
