"""The chaos campaign's slice in `make test`: the demo simulation undisturbed, then again on a
fresh chain while the nemesis SIGKILLs and SIGTERMs each service, restarts PostgreSQL and
kills the broker (ten injections). The faulted run must end with the undisturbed run's
figures, and the checker must find nothing lost, nothing applied twice, nothing out of order.

The databases are on a PostgreSQL cluster of the test's own, so that restarting it cuts
nobody else (`KETEN_CHAOS_POSTGRES=shared` restarts the shared cluster instead).

About six minutes here: each run two to three (the faulted one longer by its recoveries), the
checker, replays and audits a few seconds each. `make chaos` runs the full campaign."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import cast

import pytest

from tests.chaos.campaign import Run, simulate
from tests.chaos.nemesis import KINDS, every_kind_on_every_service, table
from tests.chaos.postgres import Where
from tests.conftest import Infra
from tests.support.summaries import differences

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1200)]
# The cluster restarted: the run's own (default), or the shared one when nothing else uses it.
POSTGRES = cast("Where", os.environ.get("KETEN_CHAOS_POSTGRES", "own"))
assert POSTGRES in ("own", "shared"), POSTGRES


def _report(name: str, run: Run, path: Path) -> str:
    text = "\n".join(
        [
            f"{name}: {run.commands:,} commands, {run.seconds:.0f} s",
            table(run.injections),
            run.findings.report(),
            *run.replay_problems,
        ]
    )
    path.write_text(text + "\n")
    print(text)  # noqa: T201 - shown with -s, and with a failure
    return text


async def test_the_demo_survives_one_fault_of_each_kind_with_its_undisturbed_figures(
    infra: Infra, tmp_path: Path
) -> None:
    undisturbed = await simulate(
        infra.admin_database_url, tmp_path / "undisturbed", postgres=POSTGRES
    )
    _report("undisturbed", undisturbed, tmp_path / "undisturbed.txt")
    assert undisturbed.findings.totals() == {
        "lost": 0, "duplicated": 0, "reordered": 0, "dead_letters": 0,
    }, undisturbed.findings.report()  # fmt: skip
    assert undisturbed.replay_problems == []

    faulted = await simulate(
        infra.admin_database_url,
        tmp_path / "faulted",
        every_kind_on_every_service(),
        commands=undisturbed.commands,
        postgres=POSTGRES,
    )
    report = _report("faulted", faulted, tmp_path / "faulted.txt")

    kinds = Counter(injection.fault.kind for injection in faulted.injections)
    assert set(kinds) == set(KINDS), report
    assert [str(i.fault) for i in faulted.injections if i.remark] == [], report
    assert differences(faulted.summary, undisturbed.summary) == {}
    assert faulted.findings.totals() == {
        "lost": 0, "duplicated": 0, "reordered": 0, "dead_letters": 0,
    }, report  # fmt: skip
    assert faulted.replay_problems == []
