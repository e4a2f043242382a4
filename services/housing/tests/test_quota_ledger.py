"""The quota ledger: transfers keep the national sum and never make a quota negative."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keten.contracts.housing import SetHousingQuota, TransferQuota
from keten.housing.domain.errors import Refused
from keten.housing.domain.quota import (
    QuotaLedger,
    decide_set_quota,
    decide_transfer,
    evolve_quota,
)

PERIOD = "2026-H1"
CODES = ["GM0014", "GM0034", "GM0037", "GM0047", "GM0050"]


def ledger_with(quotas: dict[str, int]) -> QuotaLedger:
    ledger = QuotaLedger(PERIOD)
    for code, persons in quotas.items():
        command = SetHousingQuota(municipality_code=code, period=PERIOD, persons=persons)
        ledger = evolve_quota(ledger, decide_set_quota(ledger, command))
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
        try:
            event = decide_transfer(ledger, transfer(source, target, persons))
        except Refused:
            # then a refused transfer is exactly one that would overdraw the giver
            assert persons > available
            continue
        ledger = evolve_quota(ledger, event)
        # then the sum holds after every transfer, and no quota is negative
        assert ledger.total == total
        assert all(q >= 0 for q in ledger.quotas.values())


def test_a_transfer_that_would_make_a_quota_negative_is_refused_with_its_reason() -> None:
    # given
    ledger = ledger_with({"GM0014": 5, "GM0034": 0})
    # when / then
    with pytest.raises(Refused) as refused:
        decide_transfer(ledger, transfer("GM0014", "GM0034", 6))
    assert "GM0014 has a quota of 5" in refused.value.reason


def test_a_transfer_moves_persons_from_one_municipality_to_the_other() -> None:
    ledger = ledger_with({"GM0014": 10, "GM0034": 4})
    ledger = evolve_quota(ledger, decide_transfer(ledger, transfer("GM0014", "GM0034", 3)))
    assert (ledger.quota_of("GM0014"), ledger.quota_of("GM0034")) == (7, 7)


def test_setting_a_quota_again_replaces_it() -> None:
    ledger = ledger_with({"GM0014": 10})
    again = SetHousingQuota(municipality_code="GM0014", period=PERIOD, persons=12)
    assert evolve_quota(ledger, decide_set_quota(ledger, again)).quota_of("GM0014") == 12
