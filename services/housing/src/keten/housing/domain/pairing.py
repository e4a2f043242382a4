"""Which municipality a permit holder's household is paired with (koppeling).

The rule (contract.md, "What the services decide on their own"):
1. a hard tie decides: the first tie, in the order the IND link listed them, with a
   municipality of the reference list (later ties are shown as the other candidates);
2. otherwise the municipality in the COA region of the household's current location with the
   largest remaining obligation this period, ties to the lowest code, if any has room left
   (remaining > 0);
3. otherwise nationally: the largest remaining obligation, ties to the lowest code.
Without a hard tie the choice needs the household's stay: while housing does not know it (or
where its location is), the choice waits for it; it never pairs nationally on less
(contract.md, "Order, waiting and time").
The reason names the rule, the region and the best candidates weighed with their figures, so
that an auditor can retrace the choice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from keten.contracts.housing import MAX_CANDIDATES, Candidate, PairingReason, PairingRule
from keten.contracts.values import Tie
from keten.housing.domain.geography import Geography
from keten.kernel.verdicts import NotYet


@dataclass(frozen=True)
class PairingChoice:
    municipality_code: str
    reason: PairingReason


def choose_municipality(
    ties: Sequence[Tie],
    region: str | NotYet | None,
    remaining: Mapping[str, int],
    geography: Geography,
) -> PairingChoice | NotYet:
    """`region` is the COA region of the current location (None: its province is in no
    region), or what housing waits for to know it; `remaining` is this period's remaining
    obligation per municipality (absent: zero)."""
    tied = [tie.municipality_code for tie in ties if geography.knows(tie.municipality_code)]
    if tied:
        return _by_hard_tie(list(dict.fromkeys(tied)), remaining)
    if isinstance(region, NotYet):
        return region
    if region is not None:
        in_region = _ranked(geography.in_region(region), remaining)
        if in_region and in_region[0].remaining > 0:
            return _first(in_region, "region", region)
    return _first(_ranked(geography.codes(), remaining), "national", region)


def manual_choice(code: str, remaining: Mapping[str, int]) -> PairingChoice:
    """A pairing made by hand: the reason records the municipality's figure at the time."""
    candidate = Candidate(municipality_code=code, remaining=remaining.get(code, 0))
    return PairingChoice(code, PairingReason(rule="manual", candidates=[candidate]))


def _by_hard_tie(codes: list[str], remaining: Mapping[str, int]) -> PairingChoice:
    candidates = [Candidate(municipality_code=c, remaining=remaining.get(c, 0)) for c in codes]
    reason = PairingReason(rule="hard_tie", candidates=candidates[:MAX_CANDIDATES])
    return PairingChoice(codes[0], reason)


def _ranked(codes: Sequence[str], remaining: Mapping[str, int]) -> list[Candidate]:
    """Most room first, ties to the lowest code; the first `MAX_CANDIDATES`, as the reason
    keeps them."""
    ranked = sorted(codes, key=lambda code: (-remaining.get(code, 0), code))[:MAX_CANDIDATES]
    return [Candidate(municipality_code=c, remaining=remaining.get(c, 0)) for c in ranked]


def _first(ranked: list[Candidate], rule: PairingRule, region: str | None) -> PairingChoice:
    reason = PairingReason(rule=rule, region=region, candidates=ranked[:MAX_CANDIDATES])
    return PairingChoice(ranked[0].municipality_code, reason)
