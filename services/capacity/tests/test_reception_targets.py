"""A municipality's reception target under the Dispersal Act."""

from __future__ import annotations

from keten.capacity.domain.targets import TargetState, decide_set_target, evolve_target
from keten.contracts.capacity import ReceptionTargetSet, SetReceptionTarget
from keten.kernel.decider import Decision


def _set(places: int) -> SetReceptionTarget:
    return SetReceptionTarget(municipality_code="GM0106", places=places)


def test_a_target_is_set_for_a_known_municipality() -> None:
    decision = decide_set_target(_set(650), TargetState("GM0106"), known_municipality=True)

    assert decision == Decision(events=[ReceptionTargetSet(municipality_code="GM0106", places=650)])


def test_a_new_target_replaces_the_old() -> None:
    state = evolve_target(
        TargetState("GM0106"), ReceptionTargetSet(municipality_code="GM0106", places=650)
    )

    decision = decide_set_target(_set(700), state, known_municipality=True)

    assert state == TargetState("GM0106", 650)
    assert decision == Decision(events=[ReceptionTargetSet(municipality_code="GM0106", places=700)])


def test_setting_the_same_target_again_is_no_change() -> None:
    decision = decide_set_target(_set(650), TargetState("GM0106", 650), known_municipality=True)

    assert decision == Decision()


def test_a_target_for_an_unknown_municipality_is_refused_not_waited_for() -> None:
    # The municipalities are reference data: an unknown code will not become known later.
    decision = decide_set_target(_set(10), TargetState("GM0106"), known_municipality=False)

    assert decision == Decision.refuse("municipality GM0106 is not in the reference list")
