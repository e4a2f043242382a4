"""Sealing personal data in dead letters with registration's dead-letter key.

Any service may have to dead-letter a message holding personal data (a `RegisterApplication`
sent to the wrong topic, say), but only registration may read it again. So the key is a pair:
every service seals with the public half; registration (which redrives its dead letters) opens
with the private half. A seal is X25519 with a fresh ephemeral key, HKDF-SHA256 and AES-GCM
(`cryptography`), written as one base64 string.

`seal_personal` replaces every `personal` block in a JSON message with its seal; a value that
is not a JSON object at all is sealed whole, since nothing shows what it holds.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEALED: Final = "keten.sealed"  # {"keten.sealed": "<seal>"} stands where the data stood
WHOLE: Final = "keten.sealed_value"  # {"keten.sealed_value": "<seal>"}: a value sealed whole
PERSONAL: Final = "personal"
_INFO: Final = b"keten dead letter v1"
_RAW: Final = serialization.Encoding.Raw


class SealError(Exception):
    """A seal that cannot be opened: the wrong key, or altered."""


def _derive(shared: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(shared)


def _public_bytes(key: X25519PublicKey) -> bytes:
    return key.public_bytes(_RAW, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class DeadLetterKey:
    """The public half (to seal), and where the service may open, the private half."""

    public: X25519PublicKey
    private: X25519PrivateKey | None = None

    @classmethod
    def generate(cls) -> DeadLetterKey:
        private = X25519PrivateKey.generate()
        return cls(private.public_key(), private)

    @classmethod
    def from_files(cls, public: Path, private: Path | None = None) -> DeadLetterKey:
        public_key = X25519PublicKey.from_public_bytes(base64.b64decode(public.read_text()))
        if private is None:
            return cls(public_key)
        private_key = X25519PrivateKey.from_private_bytes(base64.b64decode(private.read_text()))
        return cls(public_key, private_key)

    def write(self, public: Path, private: Path) -> None:
        """Writes both halves base64-encoded; the private one readable by its owner only."""
        assert self.private is not None
        raw = self.private.private_bytes(
            _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        private.touch(mode=0o600)
        private.write_text(base64.b64encode(raw).decode())
        public.write_text(base64.b64encode(_public_bytes(self.public)).decode())

    @property
    def can_open(self) -> bool:
        return self.private is not None

    def seal(self, plaintext: bytes) -> str:
        ephemeral = X25519PrivateKey.generate()
        key = _derive(ephemeral.exchange(self.public))
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, plaintext, _public_bytes(self.public))
        return base64.b64encode(_public_bytes(ephemeral.public_key()) + nonce + sealed).decode()

    def open(self, seal: str) -> bytes:
        if self.private is None:
            raise SealError("this service holds only the public half of the dead-letter key")
        try:
            raw = base64.b64decode(seal, validate=True)
            peer = X25519PublicKey.from_public_bytes(raw[:32])
            key = _derive(self.private.exchange(peer))
            return AESGCM(key).decrypt(raw[32:44], raw[44:], _public_bytes(self.public))
        except (ValueError, TypeError, InvalidTag) as exc:
            raise SealError(f"cannot be opened ({type(exc).__name__})") from None


def seal_personal(key: DeadLetterKey, value: bytes) -> tuple[bytes, bool]:
    """The value with each `personal` block sealed, and whether anything was sealed. A value
    too deep to walk or write back is sealed whole: whatever the input, this never fails."""
    try:
        document = orjson.loads(value)
        if isinstance(document, dict):
            sealed, changed = _seal_blocks(key, document)
            return (orjson.dumps(sealed), True) if changed else (value, False)
    except (orjson.JSONDecodeError, orjson.JSONEncodeError, RecursionError, TypeError):
        pass
    return orjson.dumps({WHOLE: key.seal(value)}), True


def _seal_blocks(key: DeadLetterKey, node: Any) -> tuple[Any, bool]:
    if isinstance(node, dict):
        changed = False
        out: dict[str, Any] = {}
        for name, child in node.items():
            if name == PERSONAL:
                out[name] = {SEALED: key.seal(orjson.dumps(child))}
                changed = True
            else:
                out[name], inner = _seal_blocks(key, child)
                changed = changed or inner
        return out, changed
    if isinstance(node, list):
        items = [_seal_blocks(key, child) for child in node]
        return [item for item, _ in items], any(inner for _, inner in items)
    return node, False


def open_personal(key: DeadLetterKey, value: bytes) -> bytes:
    """The value as it was before `seal_personal` (byte for byte when sealed whole)."""
    document = orjson.loads(value)
    if isinstance(document, dict) and set(document) == {WHOLE}:
        return key.open(document[WHOLE])
    return orjson.dumps(_open_blocks(key, document))


def _open_blocks(key: DeadLetterKey, node: Any) -> Any:
    if isinstance(node, dict):
        if set(node) == {SEALED}:
            return orjson.loads(key.open(node[SEALED]))
        return {name: _open_blocks(key, child) for name, child in node.items()}
    if isinstance(node, list):
        return [_open_blocks(key, child) for child in node]
    return node
