"""The quota ledger: transfers keep the national sum and never make a quota negative, and
wait for the quotas they move between to be set."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from keten.contracts.housing import SetHousingQuota, TransferQuota
from keten.housing.domain.quota import (
    QuotaLedger,
    decide_set_quota,
    decide_transfer,
    evolve_quota,
)
from keten.kernel.decider import Decision
from keten.kernel.verdicts import Refused

PERIOD = "2026-H1"
STREAM = "quota-2026-H1"
CODES = ["GM0014", "GM0034", "GM0037", "GM0047", "GM0050"]


def ledger_with(quotas: dict[str, int]) -> QuotaLedger:
    ledger = QuotaLedger(PERIOD)
    for code, persons in quotas.items():
        command = SetHousingQuota(municipality_code=code, period=PERIOD, persons=persons)
        ledger = taken(ledger, decide_set_quota(ledger, command))
    return ledger


def taken(ledger: QuotaLedger, decision: Decision) -> QuotaLedger:
    assert decision.verdict is None
    for event in decision.events:
        ledger = evolve_quota(ledger, event)
    return ledger


def transfer(source: str, target: str, persons: int) -> TransferQuota:
    return TransferQuota(
        period=PERIOD, from_municipality=source, to_municipality=target, persons=persons
    )


transfers = st.lists(
    st.tuples(
        st.sampled_from(CODES), st.sampled_from(CODES), st.integers(min_value=1, max_value=60)
    ).filter(lambda t: t[0] != t[1]),
    max_size=40,
)


@given(
    quotas=st.lists(st.integers(min_value=0, max_value=100), min_size=5, max_size=5),
    moves=transfers,
)
def test_random_transfers_never_change_the_sum_nor_make_a_quota_negative(
    quotas: list[int], moves: list[tuple[str, str, int]]
) -> None:
    # given quotas for five municipalities
    ledger = ledger_with(dict(zip(CODES, quotas, strict=True)))
    total = ledger.total
    # when random transfers are decided one after another
    for source, target, persons in moves:
        available = ledger.quota_of(source)
        decision = decide_transfer(ledger, transfer(source, target, persons), STREAM)
        if isinstance(decision.verdict, Refused):
            # then a refused transfer is exactly one that would overdraw the giver
            assert persons > available
            continue
        ledger = taken(ledger, decision)
        # then the sum holds after every transfer, and no quota is negative
        assert ledger.total == total
        assert all(q >= 0 for q in ledger.quotas.values())


def test_a_transfer_that_would_make_a_quota_negative_is_refused_with_its_reason() -> None:
    # given
    ledger = ledger_with({"GM0014": 5, "GM0034": 0})
    # when
    decision = decide_transfer(ledger, transfer("GM0014", "GM0034", 6), STREAM)
    # then
    assert isinstance(decision.verdict, Refused)
    assert "GM0014 has a quota of 5" in decision.verdict.reason
    assert decision.events == ()


def test_a_transfer_moves_persons_from_one_municipality_to_the_other() -> None:
    ledger = ledger_with({"GM0014": 10, "GM0034": 4})
    ledger = taken(ledger, decide_transfer(ledger, transfer("GM0014", "GM0034", 3), STREAM))
    assert (ledger.quota_of("GM0014"), ledger.quota_of("GM0034")) == (7, 7)


def test_setting_a_quota_again_replaces_it() -> None:
    ledger = ledger_with({"GM0014": 10})
    again = SetHousingQuota(municipality_code="GM0014", period=PERIOD, persons=12)
    assert taken(ledger, decide_set_quota(ledger, again)).quota_of("GM0014") == 12


def test_a_transfer_waits_for_the_quotas_it_moves_between_to_be_set() -> None:
    # given a period in which only Groningen's quota is set
    ledger = ledger_with({"GM0014": 10})
    # when quota is moved from a municipality whose quota is not set, or to one
    from_unset = decide_transfer(ledger, transfer("GM0034", "GM0014", 3), STREAM)
    to_unset = decide_transfer(ledger, transfer("GM0014", "GM0034", 3), STREAM)
    # then each waits in the period's stream for the quota it needs
    assert from_unset == Decision.wait(STREAM, "the quota of GM0034 in 2026-H1")
    assert to_unset == Decision.wait(STREAM, "the quota of GM0034 in 2026-H1")
