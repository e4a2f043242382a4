"""Sealing personal data in dead letters: every service seals, only the private half opens."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from keten.kernel.sealing import DeadLetterKey, SealError, open_personal, seal_personal

PERSON = {"v_number": "1234567890", "family_name": "Haddad", "given_names": "Rana"}


def register(personal: object) -> bytes:
    return orjson.dumps(
        {"specversion": "1.0", "type": "RegisterApplication", "data": {"personal": personal}}
    )


def test_a_personal_block_is_sealed_and_the_private_half_restores_it() -> None:
    key = DeadLetterKey.generate()
    value = register(PERSON)

    sealed, changed = seal_personal(DeadLetterKey(key.public), value)

    assert changed
    assert b"Haddad" not in sealed
    assert b"1234567890" not in sealed
    assert orjson.loads(sealed)["type"] == "RegisterApplication"  # the rest stays readable
    assert orjson.loads(open_personal(key, sealed)) == orjson.loads(value)


def test_a_value_that_is_not_a_json_object_is_sealed_whole_and_restored_byte_for_byte() -> None:
    key = DeadLetterKey.generate()
    for value in (b'{"data": {"personal": {"family_name": "Haddad"', b"\xff\xfe", b"[1, 2]"):
        sealed, changed = seal_personal(key, value)
        assert changed
        assert b"Haddad" not in sealed
        assert open_personal(key, sealed) == value


def test_a_value_without_personal_data_is_kept_as_it_was() -> None:
    key = DeadLetterKey.generate()
    value = b'{"specversion": "1.0", "data": {"capacity": 10}}'

    assert seal_personal(key, value) == (value, False)


def test_only_the_private_half_opens_and_another_key_or_an_altered_seal_is_refused() -> None:
    key, other = DeadLetterKey.generate(), DeadLetterKey.generate()
    sealed, _ = seal_personal(key, register(PERSON))

    with pytest.raises(SealError):
        open_personal(DeadLetterKey(key.public), sealed)
    with pytest.raises(SealError):
        open_personal(other, sealed)
    seal = orjson.loads(sealed)["data"]["personal"]["keten.sealed"]
    altered = sealed.replace(seal.encode(), (seal[:-8] + "AAAAAAA=").encode())
    with pytest.raises(SealError):
        open_personal(key, altered)


def test_the_key_files_are_written_and_read_back_the_private_one_for_its_owner_only(
    tmp_path: Path,
) -> None:
    key = DeadLetterKey.generate()
    key.write(tmp_path / "k.pub", tmp_path / "k.key")

    public_only = DeadLetterKey.from_files(tmp_path / "k.pub")
    both = DeadLetterKey.from_files(tmp_path / "k.pub", tmp_path / "k.key")

    assert (tmp_path / "k.key").stat().st_mode & 0o077 == 0
    assert not public_only.can_open
    sealed, _ = seal_personal(public_only, register(PERSON))
    assert orjson.loads(open_personal(both, sealed))["data"]["personal"] == PERSON


def test_a_value_too_deep_to_walk_or_write_back_is_sealed_whole() -> None:
    key = DeadLetterKey.generate()
    arrays = b'{"data":' + b"[" * 600 + b"0" + b"]" * 600 + b"}"
    objects = b'{"personal":{},"data":' + b'{"a":' * 300 + b"0" + b"}" * 300 + b"}"
    for value in (arrays, objects):
        sealed, changed = seal_personal(key, value)
        assert changed
        assert open_personal(key, sealed) == value
