"""Shared value types: households, tracks and personal data that never shows itself."""

from datetime import date
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from keten.contracts.errors import describe_location
from keten.contracts.registration import PersonalDataRecorded, RegisterApplication
from keten.contracts.values import (
    ACCELERATED_TRACKS,
    MAX_COUNT,
    MAX_STORED_INT,
    MIN_STORED_INT,
    Count,
    Household,
    PersonalData,
    PositiveCount,
    StoredInt,
    Tie,
    is_accelerated,
)

PERSONAL = PersonalData(
    v_number="1234567890",
    family_name="Zeldzaam",
    given_names="Voorbeeld",
    date_of_birth=date(1987, 11, 23),
)


def test_household_counts_persons() -> None:
    assert Household(adults=2, minors=3).persons == 5
    assert Household(adults=1, minors=0).persons == 1


def test_accelerated_tracks() -> None:
    assert {"dublin", "safe_country", "low_recognition"} == ACCELERATED_TRACKS
    assert is_accelerated("dublin")
    assert is_accelerated("safe_country")
    assert is_accelerated("low_recognition")
    assert not is_accelerated("general")


def _assert_hidden(text: str) -> None:
    for value in ("1234567890", "Zeldzaam", "Voorbeeld", "1987"):
        assert value not in text


def test_personal_data_repr_and_str_hide_values() -> None:
    assert repr(PERSONAL) == "PersonalData(<redacted>)"
    assert str(PERSONAL) == "PersonalData(<redacted>)"
    _assert_hidden(f"{PERSONAL} {PERSONAL!r}")


def test_personal_data_stays_hidden_inside_messages() -> None:
    command = RegisterApplication(
        case_id="case-1",
        application_centre_id="ter-apel",
        household=Household(adults=1, minors=0),
        nationality="ERI",
        ties=[Tie(municipality_code="GM0363", kind="work")],
        personal=PERSONAL,
    )
    recorded = PersonalDataRecorded(case_id="case-1", personal=PERSONAL)
    for message in (command, recorded):
        _assert_hidden(repr(message))
        _assert_hidden(str(message))
    assert command.to_data()["personal"]["v_number"] == "1234567890"  # the data itself is intact


def test_max_count_is_the_contracts_bound() -> None:
    assert MAX_COUNT == 100_000
    assert (MIN_STORED_INT, MAX_STORED_INT) == (-(2**31), 2**31 - 1)


@pytest.mark.parametrize(
    ("kind", "fits", "refused"),
    [
        (Count, [0, 1, MAX_COUNT], [-1, MAX_COUNT + 1, 2**40, True, "3", 3.0]),
        (PositiveCount, [1, MAX_COUNT], [0, MAX_COUNT + 1, 2**63, False]),
        (StoredInt, [MIN_STORED_INT, 0, MAX_STORED_INT], [MIN_STORED_INT - 1, MAX_STORED_INT + 1]),
    ],
)
def test_counts_are_bounded(kind: Any, fits: list[int], refused: list[object]) -> None:
    adapter: TypeAdapter[int] = TypeAdapter(kind)
    for value in fits:
        assert adapter.validate_python(value) == value
    for wrong in refused:
        with pytest.raises(ValidationError):
            adapter.validate_python(wrong)


def test_household_persons_is_a_count() -> None:
    assert Household(adults=MAX_COUNT, minors=0).persons == MAX_COUNT
    assert Household(adults=1, minors=MAX_COUNT - 1).persons == MAX_COUNT
    for adults, minors in [(MAX_COUNT + 1, 0), (1, MAX_COUNT), (MAX_COUNT, MAX_COUNT)]:
        with pytest.raises(ValidationError):
            Household(adults=adults, minors=minors)


def test_keys_inside_a_personal_block_never_stand_in_a_reason() -> None:
    assert describe_location(("data", "personal", "1234567890", "x")) == "data.personal.?.?"
    assert describe_location(("personal", "family_name")) == "personal.family_name"
