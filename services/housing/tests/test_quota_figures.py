"""Obligation, backlog and what remains, over the half-year rollovers."""

from __future__ import annotations

from keten.housing.domain.figures import PeriodActivity, figures_for, summed


def test_the_backlog_carries_over_two_rollovers_and_an_advance_lowers_the_obligation() -> None:
    # given a municipality with a quota of 10 in 2026-H1, of which it housed 6,
    # a quota of 8 in 2026-H2, of which it housed 15, and a quota of 9 in 2027-H1
    history = {
        "2026-H1": PeriodActivity(quota=10, housed=6),
        "2026-H2": PeriodActivity(quota=8, housed=15),
        "2027-H1": PeriodActivity(quota=9, housed=2),
    }
    # when
    first = figures_for("2026-H1", history, paired=0, awaiting=0)
    second = figures_for("2026-H2", history, paired=0, awaiting=0)
    third = figures_for("2027-H1", history, paired=0, awaiting=0)
    # then H1 leaves a backlog of 4 to H2: its obligation is 8 + 4 = 12
    assert (first.obligation, first.balance) == (10, -4)
    assert (second.backlog, second.obligation) == (4, 12)
    # and H2 housed 3 more than its obligation: an advance that lowers 2027-H1's obligation
    assert second.balance == 3
    assert (third.backlog, third.obligation, third.remaining) == (-3, 6, 4)


def test_a_period_without_activity_carries_the_backlog_unchanged() -> None:
    history = {"2026-H1": PeriodActivity(quota=5, housed=1)}
    assert figures_for("2027-H2", history, paired=0, awaiting=0).backlog == 4


def test_remaining_subtracts_the_persons_housed_and_those_paired_but_awaiting_housing() -> None:
    # given a quota of 20 with a backlog of 5; 6 persons housed, 7 paired and not yet housed
    history = {
        "2026-H1": PeriodActivity(quota=5, housed=0),
        "2026-H2": PeriodActivity(quota=20, housed=6),
    }
    # when
    figures = figures_for("2026-H2", history, paired=9, awaiting=7)
    # then remaining = quota + backlog - persons already paired or housed
    assert (figures.obligation, figures.remaining) == (25, 12)


def test_a_province_sums_its_municipalities() -> None:
    a = figures_for("2026-H1", {"2026-H1": PeriodActivity(10, 4)}, paired=5, awaiting=1)
    b = figures_for("2026-H1", {"2026-H1": PeriodActivity(3, 5)}, paired=5, awaiting=0)
    total = summed([a, b])
    assert (total.quota, total.housed, total.paired, total.remaining) == (13, 9, 10, 3)
