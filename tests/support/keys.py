"""The deployment's keys as the set-up created them (`make setup`, infra/keys.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypedDict

from keten.kernel.sealing import DeadLetterKey, open_personal


def _file(variable: str) -> Path:
    value = os.environ.get(variable)
    path = Path(value) if value else None
    if path is None or not path.exists():
        raise RuntimeError(
            f"{variable} names no key file: create the keys with `make setup`, "
            "or run the tests through `make test`"
        )
    return path


def dead_letter_public_key() -> Path:
    return _file("KETEN_DEAD_LETTER_PUBLIC_KEY")


def dead_letter_private_key() -> Path:
    return _file("KETEN_DEAD_LETTER_PRIVATE_KEY_FILE")


class KeyFiles(TypedDict):
    dead_letter_public_key: Path
    dead_letter_private_key: Path | None


def dead_letter_key_files(service: str) -> KeyFiles:
    """The Settings fields of `service`: every service seals, registration also opens."""
    private = dead_letter_private_key() if service.startswith("registration") else None
    return KeyFiles(
        dead_letter_public_key=dead_letter_public_key(), dead_letter_private_key=private
    )


def dead_letter_key() -> DeadLetterKey:
    """Both halves: what a test needs to open a sealed dead letter."""
    return DeadLetterKey.from_files(dead_letter_public_key(), dead_letter_private_key())


def opened(value: bytes, sealed: bool) -> bytes:  # noqa: FBT001 - as the header says
    """A dead letter's value as it was consumed, its seals opened."""
    return open_personal(dead_letter_key(), value) if sealed else value
