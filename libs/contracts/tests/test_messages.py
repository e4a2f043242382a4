"""Every command and event of the contract: registered, on its topic, strict, and wire-safe."""

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

import keten.contracts  # noqa: F401 - registers every message
from keten.contracts import topics
from keten.contracts.errors import InvalidMessage
from keten.contracts.messages import (
    Command,
    Event,
    decode_envelope,
    make_envelope,
    message_type,
    parse_data,
    parse_message,
    registered_types,
)
from keten.contracts.values import MAX_COUNT

COMMANDS = {
    topics.REGISTRATION_COMMANDS: ["RegisterApplication", "AssignTrack", "RecordDecision"],
    topics.PLACEMENT_COMMANDS: ["TransferCase", "RecordDeparture"],
    topics.CAPACITY_COMMANDS: [
        "OpenLocation",
        "ChangeCapacity",
        "CloseLocation",
        "SetReceptionTarget",
    ],
    topics.HOUSING_COMMANDS: ["SetHousingQuota", "TransferQuota", "RecordHousing", "PairCase"],
}
EVENTS = {
    topics.REGISTRATION_EVENTS: [
        "AsylumApplied",
        "TrackAssigned",
        "PermitGranted",
        "ApplicationRejected",
        "ReceptionEntitlementEnded",
    ],
    topics.PLACEMENT_EVENTS: [
        "AdmittedToApplicationCentre",
        "TransferredToAZC",
        "TransferDeferred",
        "LeftReception",
    ],
    topics.HOUSING_EVENTS: [
        "HousingQuotaSet",
        "QuotaTransferred",
        "PairedWithMunicipality",
        "Housed",
        "HousingDeadlineApproaching",
        "HousingDeadlineMissed",
    ],
    topics.CAPACITY_EVENTS: [
        "LocationOpened",
        "CapacityChanged",
        "LocationClosed",
        "OverCapacity",
        "ReceptionTargetSet",
    ],
    topics.ALERTS: ["Alert"],
}
UNPUBLISHED = ["PersonalDataRecorded"]

HOUSEHOLD: dict[str, Any] = {"adults": 2, "minors": 3}
TIES: list[dict[str, Any]] = [{"municipality_code": "GM0014", "kind": "family"}]
PERSONAL: dict[str, Any] = {
    "v_number": "1234567890",
    "family_name": "Example",
    "given_names": "Sample Person",
    "date_of_birth": "1990-05-17",
}
REGISTER: dict[str, Any] = {
    "case_id": "case-0001",
    "application_centre_id": "loc:ter-apel",
    "household": HOUSEHOLD,
    "nationality": "SYR",
    "ties": TIES,
    "personal": PERSONAL,
}

# Valid data for every message type, as it arrives on the wire.
SAMPLES: dict[str, dict[str, Any]] = {
    "RegisterApplication": REGISTER,
    "AssignTrack": {"case_id": "case-0001", "track": "general"},
    "RecordDecision": {"case_id": "case-0001", "outcome": "rejected", "final": True},
    "TransferCase": {"case_id": "case-0001", "to_location_id": "htl-1", "reason": "supervision"},
    "RecordDeparture": {"case_id": "case-0001", "reason": "voluntary"},
    "OpenLocation": {
        "location_id": "azc-12",
        "name": "AZC Example",
        "type": "azc",
        "municipality_code": "GM0014",
        "capacity": 400,
    },
    "ChangeCapacity": {"location_id": "azc-12", "capacity": 350, "reason": "renovation"},
    "CloseLocation": {"location_id": "azc-12"},
    "SetReceptionTarget": {"municipality_code": "GM0014", "places": 1200},
    "SetHousingQuota": {"municipality_code": "GM0014", "period": "2026-H1", "persons": 310},
    "TransferQuota": {
        "period": "2026-H1",
        "from_municipality": "GM0014",
        "to_municipality": "GM0034",
        "persons": 12,
    },
    "RecordHousing": {"case_id": "case-0001", "municipality_code": "GM0014", "kind": "transit"},
    "PairCase": {"case_id": "case-0001", "municipality_code": "GM0014"},
    "AsylumApplied": {k: v for k, v in REGISTER.items() if k != "personal"},
    "PersonalDataRecorded": {"case_id": "case-0001", "personal": PERSONAL},
    "TrackAssigned": {"case_id": "case-0001", "track": "dublin", "accelerated": True},
    "PermitGranted": {"case_id": "case-0001", "household": HOUSEHOLD, "ties": []},
    "ApplicationRejected": {
        "case_id": "case-0001",
        "final": True,
        "entitlement_ends_on": "2026-03-30",
    },
    "ReceptionEntitlementEnded": {"case_id": "case-0001", "ended_on": "2026-03-30"},
    "AdmittedToApplicationCentre": {
        "case_id": "case-0001",
        "location_id": "loc:ter-apel",
        "persons": 5,
        "household": HOUSEHOLD,
    },
    "TransferredToAZC": {
        "case_id": "case-0001",
        "from_location_id": "loc:ter-apel",
        "to_location_id": "azc-12",
        "to_location_type": "azc",
        "persons": 5,
        "reason": "track general",
        "manual": False,
        "move_count": 1,
    },
    "TransferDeferred": {
        "case_id": "case-0001",
        "location_type": "accelerated_azc",
        "persons": 5,
        "reason": "no room for the whole household",
    },
    "LeftReception": {
        "case_id": "case-0001",
        "location_id": "azc-12",
        "persons": 5,
        "reason": "housed",
    },
    "LocationOpened": {
        "location_id": "azc-12",
        "name": "AZC Example",
        "type": "azc",
        "municipality_code": "GM0014",
        "province": "Groningen",
        "capacity": 400,
    },
    "CapacityChanged": {
        "location_id": "azc-12",
        "capacity": 350,
        "previous_capacity": 400,
        "reason": "renovation",
    },
    "LocationClosed": {"location_id": "azc-12"},
    "OverCapacity": {"location_id": "azc-12", "capacity": 350, "occupied": 371},
    "ReceptionTargetSet": {"municipality_code": "GM0014", "places": 1200},
    "HousingQuotaSet": {"municipality_code": "GM0014", "period": "2026-H1", "persons": 310},
    "QuotaTransferred": {
        "period": "2026-H1",
        "from_municipality": "GM0014",
        "to_municipality": "GM0034",
        "persons": 12,
    },
    "PairedWithMunicipality": {
        "case_id": "case-0001",
        "municipality_code": "GM0014",
        "persons": 5,
        "household": HOUSEHOLD,
        "paired_on": "2026-03-03",
        "due_on": "2026-06-09",
        "manual": False,
        "reason": {
            "rule": "region",
            "region": "Groningen/Fryslân/Drenthe",
            "candidates": [
                {"municipality_code": "GM0014", "remaining": 40},
                {"municipality_code": "GM0034", "remaining": -3},
            ],
        },
    },
    "Housed": {
        "case_id": "case-0001",
        "municipality_code": "GM0014",
        "kind": "regular",
        "persons": 5,
        "period": "2026-H1",
    },
    "HousingDeadlineApproaching": {
        "case_id": "case-0001",
        "municipality_code": "GM0014",
        "due_on": "2026-06-09",
    },
    "HousingDeadlineMissed": {
        "case_id": "case-0001",
        "municipality_code": "GM0014",
        "due_on": "2026-06-09",
    },
    "Alert": {
        "kind": "housing_deadline_missed",
        "subject_id": "case-0001",
        "summary": "Household not housed within 14 weeks of pairing",
        "due": "2026-06-09",
        "figures": {"persons": 5, "municipality_code": "GM0014"},
    },
}

ALL_NAMES = sorted(
    [n for names in COMMANDS.values() for n in names]
    + [n for names in EVENTS.values() for n in names]
    + UNPUBLISHED
)
MOMENT = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


def test_every_contract_type_is_registered_on_its_topic() -> None:
    registered = registered_types()
    for topic, names in COMMANDS.items():
        for name in names:
            assert issubclass(registered[name], Command), name
            assert registered[name].topic == topic, name
    for topic, names in EVENTS.items():
        for name in names:
            assert issubclass(registered[name], Event), name
            assert registered[name].topic == topic, name
    assert message_type("PersonalDataRecorded") is not None
    assert message_type("PersonalDataRecorded").topic is None  # type: ignore[union-attr]


def test_every_type_has_a_sample() -> None:
    assert sorted(SAMPLES) == ALL_NAMES


@pytest.mark.parametrize("name", ALL_NAMES)
def test_sample_round_trips_through_the_envelope(name: str) -> None:
    message = parse_data(name, 1, SAMPLES[name])
    raw = make_envelope(
        message, id=f"id-{name}", source="test", subject="case-0001", time=MOMENT
    ).to_json()
    envelope = decode_envelope(raw)
    assert envelope.type == name
    assert parse_message(envelope) == message
    assert message.to_data() == parse_data(name, 1, message.to_data()).to_data()


@pytest.mark.parametrize("name", ALL_NAMES)
def test_extra_fields_are_refused(name: str) -> None:
    with pytest.raises(InvalidMessage, match="extra_forbidden"):
        parse_data(name, 1, {**SAMPLES[name], "surprise": 1})


def test_nested_extra_fields_are_refused() -> None:
    data = {**REGISTER, "household": {**HOUSEHOLD, "pets": 1}}
    with pytest.raises(InvalidMessage, match=r"household\.pets: extra_forbidden"):
        parse_data("RegisterApplication", 1, data)


def test_register_application_round_trips() -> None:
    message = parse_data("RegisterApplication", 1, REGISTER)
    envelope = make_envelope(
        message,
        id="6f1c",
        source="coa/ter-apel/desk-3",
        subject="case-0001",
        time=MOMENT,
        correlation_id="corr-1",
    )
    back = parse_message(decode_envelope(envelope.to_json()))
    assert back == message
    assert back.to_data() == REGISTER


def test_validation_errors_do_not_repeat_personal_data() -> None:
    bad_date, bad_v_number = "1990-13-45", "VX-98765-Q"
    data = {**REGISTER, "personal": {**PERSONAL, "v_number": bad_v_number}}
    data["personal"]["date_of_birth"] = bad_date
    with pytest.raises(InvalidMessage) as caught:
        parse_data("RegisterApplication", 1, data)
    text = str(caught.value)
    assert "personal.v_number" in text
    assert "personal.date_of_birth" in text
    assert bad_date not in text
    assert bad_v_number not in text
    assert caught.value.stage == "validate"


def test_pydantic_errors_hide_personal_input_too() -> None:
    cls = registered_types()["RegisterApplication"]
    data = {**REGISTER, "personal": {**PERSONAL, "family_name": ""}}
    data["personal"]["v_number"] = "VX-98765-Q"
    with pytest.raises(ValueError, match="v_number") as caught:
        cls.model_validate(data)
    assert "VX-98765-Q" not in str(caught.value)
    assert "Sample Person" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("SetHousingQuota", "persons", "310"),  # a string is not a number
        ("SetHousingQuota", "persons", -1),
        ("SetHousingQuota", "period", "2026-H3"),
        ("SetHousingQuota", "municipality_code", "0014"),
        ("OpenLocation", "type", "hotel"),
        ("OpenLocation", "capacity", 1.5),
        ("TransferQuota", "persons", 0),
        ("TransferQuota", "to_municipality", "GM0014"),  # the same as from
        ("RecordDecision", "final", "yes"),
        ("RegisterApplication", "nationality", "syr"),
        ("RegisterApplication", "case_id", "-leading-dash"),
        ("RegisterApplication", "case_id", "has space"),
        ("RegisterApplication", "household", {"adults": 0, "minors": 2}),
        ("TrackAssigned", "accelerated", False),  # dublin is accelerated
        ("ApplicationRejected", "entitlement_ends_on", None),  # final needs an end date
        ("LeftReception", "reason", "bored"),
        ("Alert", "kind", "something"),
    ],
)
def test_bad_values_are_refused(name: str, field: str, value: object) -> None:
    with pytest.raises(InvalidMessage):
        parse_data(name, 1, {**SAMPLES[name], field: value})


def test_messages_are_frozen() -> None:
    message = parse_data("AssignTrack", 1, SAMPLES["AssignTrack"])
    with pytest.raises(ValueError, match="frozen"):
        message.track = "dublin"  # type: ignore[attr-defined]


def _top_level_counts() -> list[tuple[str, str]]:
    """(type, field) for every whole number at the top of a sample: its counts and capacities."""
    return [
        (name, field)
        for name, sample in sorted(SAMPLES.items())
        for field, value in sample.items()
        if isinstance(value, int) and not isinstance(value, bool)
    ]


def test_every_count_of_the_models_is_covered() -> None:
    fields = {field for _, field in _top_level_counts()}
    assert fields == {
        "capacity",
        "previous_capacity",
        "places",
        "persons",
        "occupied",
        "move_count",
    }


@pytest.mark.parametrize(("name", "field"), _top_level_counts())
def test_counts_and_capacities_are_at_most_max_count(name: str, field: str) -> None:
    assert parse_data(name, 1, {**SAMPLES[name], field: MAX_COUNT}).to_data()[field] == MAX_COUNT
    for too_many in (MAX_COUNT + 1, 2**40, 2**70):
        with pytest.raises(InvalidMessage, match=f"{field}: less_than_equal") as caught:
            parse_data(name, 1, {**SAMPLES[name], field: too_many})
        assert caught.value.stage == "validate"
        assert str(too_many) not in str(caught.value)


@pytest.mark.parametrize("name", ["RegisterApplication", "AsylumApplied", "PermitGranted"])
def test_a_household_is_at_most_max_count_persons(name: str) -> None:
    most = {"adults": MAX_COUNT - 7, "minors": 7}
    assert parse_data(name, 1, {**SAMPLES[name], "household": most}).to_data()["household"] == most
    for household, kind in [
        ({"adults": MAX_COUNT + 1, "minors": 0}, "household.adults: less_than_equal"),
        ({"adults": 1, "minors": MAX_COUNT + 1}, "household.minors: less_than_equal"),
        ({"adults": MAX_COUNT, "minors": 1}, "household: too_many_persons"),
    ]:
        with pytest.raises(InvalidMessage, match=kind):
            parse_data(name, 1, {**SAMPLES[name], "household": household})


def test_other_stored_whole_numbers_fit_a_postgresql_integer() -> None:
    pairing = SAMPLES["PairedWithMunicipality"]
    for remaining, fits in [
        (2**31 - 1, True),
        (-(2**31), True),
        (2**31, False),
        (-(2**31) - 1, False),
    ]:
        candidate = {"municipality_code": "GM0014", "remaining": remaining}
        data = {**pairing, "reason": {**pairing["reason"], "candidates": [candidate]}}
        if fits:
            parse_data("PairedWithMunicipality", 1, data)
        else:
            with pytest.raises(InvalidMessage, match=r"reason\.candidates\.0\.remaining"):
                parse_data("PairedWithMunicipality", 1, data)
    alert = SAMPLES["Alert"]
    parse_data("Alert", 1, {**alert, "figures": {"days": 2**31 - 1}})
    with pytest.raises(InvalidMessage, match=r"figures\.days"):
        parse_data("Alert", 1, {**alert, "figures": {"days": 2**31}})


@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_sample_passes_the_envelope_bounds_from_the_wire(name: str) -> None:
    raw = orjson.dumps(
        {
            "specversion": "1.0",
            "id": f"id-{name}",
            "source": "test",
            "type": name,
            "time": "2026-03-02T09:30:00+01:00",
            "subject": "case-0001",
            "data": SAMPLES[name],
        }
    )
    assert parse_message(decode_envelope(raw)) == parse_data(name, 1, SAMPLES[name])
