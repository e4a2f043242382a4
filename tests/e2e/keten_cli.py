"""Runs the `keten` command against a chain, as a person would."""

from __future__ import annotations

import subprocess
import sys

from tests.support.chain import Chain


def keten(chain: Chain, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keten.cli.main", *args],
        env={**chain.env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
