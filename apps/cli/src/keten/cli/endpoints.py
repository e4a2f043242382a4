"""Where each service's query API is (the ports of the contract, or KETEN_<SERVICE>_URL)."""

from __future__ import annotations

import os
from typing import Final

SERVICE_PORTS: Final = {"registration": 8081, "placement": 8082, "housing": 8083, "capacity": 8084}


def service_url(service: str) -> str:
    default = f"http://127.0.0.1:{SERVICE_PORTS[service]}"
    return os.environ.get(f"KETEN_{service.upper()}_URL", default)


def kafka_bootstrap() -> str:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
