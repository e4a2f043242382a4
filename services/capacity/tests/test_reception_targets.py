"""A municipality's reception target under the Dispersal Act."""

from __future__ import annotations

import pytest

from keten.capacity.domain.refusal import Refused
from keten.capacity.domain.targets import decide_set_target, fold_target
from keten.contracts.capacity import ReceptionTargetSet, SetReceptionTarget


def _set(places: int) -> SetReceptionTarget:
    return SetReceptionTarget(municipality_code="GM0106", places=places)


def test_a_target_is_set_for_a_known_municipality() -> None:
    events = decide_set_target(_set(650), fold_target("GM0106", []), known_municipality=True)

    assert events == [ReceptionTargetSet(municipality_code="GM0106", places=650)]


def test_a_new_target_replaces_the_old() -> None:
    state = fold_target("GM0106", [ReceptionTargetSet(municipality_code="GM0106", places=650)])

    assert decide_set_target(_set(700), state, known_municipality=True) == [
        ReceptionTargetSet(municipality_code="GM0106", places=700)
    ]


def test_setting_the_same_target_again_is_no_change() -> None:
    state = fold_target("GM0106", [ReceptionTargetSet(municipality_code="GM0106", places=650)])

    assert decide_set_target(_set(650), state, known_municipality=True) == []


def test_a_target_for_an_unknown_municipality_is_refused() -> None:
    with pytest.raises(Refused, match="not in the reference list"):
        decide_set_target(_set(10), fold_target("GM0106", []), known_municipality=False)
