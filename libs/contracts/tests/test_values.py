"""Shared value types: households, tracks and personal data that never shows itself."""

from datetime import date

from keten.contracts.registration import PersonalDataRecorded, RegisterApplication
from keten.contracts.values import (
    ACCELERATED_TRACKS,
    Household,
    PersonalData,
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
