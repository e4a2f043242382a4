"""Old schema versions are read as the current one; versions from the future are refused."""

from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest

from keten.contracts import messages
from keten.contracts.envelope import CloudEvent
from keten.contracts.errors import InvalidMessage
from keten.contracts.messages import Event, parse_data, parse_message, upcaster


@pytest.fixture
def example_type(monkeypatch: pytest.MonkeyPatch) -> type[Event]:
    """A test-only v2 event whose v1 called `full_name` `name`; gone again after the test."""
    monkeypatch.setattr(messages, "_REGISTRY", dict(messages._REGISTRY))
    monkeypatch.setattr(messages, "_UPCASTERS", dict(messages._UPCASTERS))

    class ExampleRenamedField(Event):
        """Test only."""

        schema_version: ClassVar[int] = 2

        full_name: str

    @upcaster("ExampleRenamedField", 1)
    def upcast_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
        rest = {k: v for k, v in data.items() if k != "name"}
        return {**rest, "full_name": data["name"]}

    return ExampleRenamedField


def test_v1_data_is_read_as_v2(example_type: type[Event]) -> None:
    message = parse_data("ExampleRenamedField", 1, {"name": "Ter Apel"})
    assert isinstance(message, example_type)
    assert message.to_data() == {"full_name": "Ter Apel"}


def test_v2_data_is_read_as_is(example_type: type[Event]) -> None:
    assert parse_data("ExampleRenamedField", 2, {"full_name": "x"}) == example_type.model_validate(
        {"full_name": "x"}
    )


def test_v1_envelope_is_upcast(example_type: type[Event]) -> None:
    envelope = CloudEvent(
        specversion="1.0",
        id="1",
        source="test",
        type="ExampleRenamedField",
        time=datetime(2026, 1, 1, tzinfo=UTC),
        subject="s",
        data={"name": "old"},
    )
    assert envelope.schemaversion == 1
    assert parse_message(envelope) == example_type.model_validate({"full_name": "old"})


@pytest.mark.usefixtures("example_type")
def test_a_version_newer_than_known_is_refused() -> None:
    with pytest.raises(InvalidMessage, match="newer than known") as caught:
        parse_data("ExampleRenamedField", 3, {"full_name": "x"})
    assert caught.value.stage == "validate"


@pytest.mark.usefixtures("example_type")
def test_v1_data_without_upcast_is_invalid_as_v2() -> None:
    with pytest.raises(InvalidMessage, match="full_name: missing"):
        parse_data("ExampleRenamedField", 2, {"name": "x"})


def test_the_example_is_gone_after_its_tests() -> None:
    assert messages.message_type("ExampleRenamedField") is None
