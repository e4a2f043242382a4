"""A service's settings, read from the environment (the names docker-compose.yml also uses)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Final

from keten.contracts.topics import CLOCK
from keten.kernel.sealing import DeadLetterKey

PARKING_MAX_WAIT: Final = timedelta(days=7)

# Every environment variable a service reads, with its meaning.
SETTING_NAMES: Final = {
    "KAFKA_BOOTSTRAP_SERVERS": "the Kafka broker(s), host:port[,host:port]",
    "DATABASE_URL": "the service's own PostgreSQL database",
    "HTTP_HOST": "address of the query API",
    "HTTP_PORT": "port of the query API",
    "KETEN_CLOCK": "`wall` (default) or `simulated`: what time the timers follow",
    "LOG_LEVEL": "debug, info (default), warning",
    "KETEN_DEAD_LETTER_PUBLIC_KEY": "file of the dead-letter key's public half (every service)",
    "KETEN_DEAD_LETTER_PRIVATE_KEY": "file of its private half (registration only: redrives)",
    "KETEN_PARKING_MAX_WAIT": "seconds a parked message waits before its dead letter (7 days)",
}


@dataclass(frozen=True)
class Settings:
    service: str
    kafka_bootstrap_servers: str
    database_url: str
    http_host: str
    http_port: int
    clock: str
    log_level: str
    dead_letter_public_key: Path | None = None
    dead_letter_private_key: Path | None = None
    parking_max_wait: timedelta = PARKING_MAX_WAIT
    # Where the services share their simulated time; a test gives its services one of their own.
    clock_topic: str = CLOCK

    def dead_letter_key(self) -> DeadLetterKey:
        """The key that seals personal data in dead letters; a service never runs without."""
        if self.dead_letter_public_key is None:
            raise RuntimeError(
                f"{self.service}: set KETEN_DEAD_LETTER_PUBLIC_KEY (make setup creates the key)"
            )
        return DeadLetterKey.from_files(self.dead_letter_public_key, self.dead_letter_private_key)

    @classmethod
    def from_environment(cls, service: str, default_port: int) -> Settings:
        env = os.environ
        database_url = env.get("DATABASE_URL") or env.get(f"{service.upper()}_DATABASE_URL")
        if not database_url:
            raise RuntimeError(f"{service}: set DATABASE_URL (see infra/env.sh)")
        return cls(
            service=service,
            kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
            database_url=database_url,
            http_host=env.get("HTTP_HOST", "127.0.0.1"),
            http_port=int(env.get("HTTP_PORT", str(default_port))),
            clock=env.get("KETEN_CLOCK", "wall"),
            log_level=env.get("LOG_LEVEL", "info"),
            dead_letter_public_key=_path(env.get("KETEN_DEAD_LETTER_PUBLIC_KEY")),
            dead_letter_private_key=_path(env.get("KETEN_DEAD_LETTER_PRIVATE_KEY")),
            parking_max_wait=timedelta(
                seconds=float(env.get("KETEN_PARKING_MAX_WAIT", PARKING_MAX_WAIT.total_seconds()))
            ),
        )


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None
