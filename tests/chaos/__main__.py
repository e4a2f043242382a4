"""`make chaos`: the demo simulation undisturbed once, then on fresh chains under the nemesis
until at least `--injections` faults (200) were injected, the four kinds in turn; after each
run the checker, a replay of every projection and an audit of every store; each run's final
figures compared with the undisturbed run's. Prints the injections by kind and the checker's
counts; exits 1 when any run lost, duplicated or reordered anything, or ended otherwise."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

from tests.chaos.campaign import Pace, Run, simulate
from tests.chaos.nemesis import Injection, rotation, table
from tests.support.summaries import differences

MAX_RUNS_PER_INJECTION_TARGET = 0.2  # at most one run per 5 injections asked: runs must inject


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make chaos", description=__doc__)
    parser.add_argument("--injections", type=int, default=200, help="at least this many")
    parser.add_argument("--per-run", type=int, default=50, help="at most this many per run")
    parser.add_argument("--gap", type=float, nargs=2, default=(0.5, 2.0), metavar=("MIN", "MAX"))
    parser.add_argument("--seed", type=int, default=1, help="the nemesis's random numbers")
    parser.add_argument("--keep", action="store_true", help="keep every run's state")
    parser.add_argument(
        "--postgres",
        choices=("own", "shared"),
        default="own",
        help="restart a cluster of each run's own (default) or the shared one",
    )
    parser.add_argument(
        "--simulator",
        choices=("tolerant", "plain"),
        default="tolerant",
        help="keten simulate with its waits outlasting a broker restart (default), or as is",
    )
    return parser.parse_args()


def _line(name: str, run: Run, reference: Run | None) -> str:
    counted = run.findings.totals()
    differing = len(differences(run.summary, reference.summary)) if reference else 0
    return (
        f"{name:<12} {len(run.injections):>4} injections  {run.seconds:>5.0f} s  "
        f"lost {counted['lost']}  duplicated {counted['duplicated']}  "
        f"reordered {counted['reordered']}  dead letters {counted['dead_letters']}  "
        f"figures differing {differing}  replay/audit problems {len(run.replay_problems)}  "
        f"(republished {run.findings.counts['republished']})"
    )


async def campaign(arguments: argparse.Namespace) -> int:
    admin_url = os.environ["KETEN_ADMIN_DATABASE_URL"]
    root = Path(os.environ.get("KETEN_STATE", ".state")) / "chaos" / time.strftime("%Y%m%d-%H%M%S")
    root.mkdir(parents=True)
    began = time.monotonic()
    print(f"chaos: state in {root}", flush=True)  # noqa: T201
    reference = await simulate(
        admin_url, root / "undisturbed", postgres=arguments.postgres, simulator=arguments.simulator
    )
    print(_line("undisturbed", reference, None), flush=True)  # noqa: T201
    if not reference.findings.ok or reference.replay_problems:
        print(reference.findings.report(), *reference.replay_problems, sep="\n")  # noqa: T201
        return 1
    injections: list[Injection] = []
    totals: Counter[str] = Counter()
    failures: list[str] = []
    runs = 0
    max_runs = max(1, round(arguments.injections * MAX_RUNS_PER_INJECTION_TARGET))
    while len(injections) < arguments.injections and runs < max_runs:
        runs += 1
        name = f"faulted-{runs}"
        faults = rotation(arguments.per_run, offset=len(injections))
        try:
            run = await simulate(
                admin_url,
                root / name,
                faults,
                commands=reference.commands,
                pace=Pace(gap=(arguments.gap[0], arguments.gap[1])),
                seed=arguments.seed * 1000 + runs,
                postgres=arguments.postgres,
                simulator=arguments.simulator,
            )
        except Exception as exc:  # a run that breaks is a finding, told
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
            print(f"{name:<12} failed: {type(exc).__name__}: {exc}", flush=True)  # noqa: T201
            continue
        injections.extend(run.injections)
        totals.update(run.findings.totals())
        totals["republished"] += run.findings.counts["republished"]
        print(_line(name, run, reference), flush=True)  # noqa: T201
        differing = differences(run.summary, reference.summary)
        problems = [
            *(
                f"{path}: {mine} (undisturbed {theirs})"
                for path, (mine, theirs) in differing.items()
            ),
            *run.replay_problems,
            *(f"{i.fault}: {i.remark}" for i in run.injections if i.remark),
        ]
        if not run.findings.ok or run.findings.dead_letters:
            problems.append(run.findings.report())
        if problems:
            failures.append(f"{name}:\n  " + "\n  ".join(problems))
        elif not arguments.keep:
            shutil.rmtree(root / name, ignore_errors=True)
    print()  # noqa: T201
    print(table(injections))  # noqa: T201
    print(  # noqa: T201
        f"checker over {runs} faulted runs: lost {totals['lost']}, duplicated "
        f"{totals['duplicated']}, reordered {totals['reordered']}; dead letters "
        f"{totals['dead_letters']} (records republished with their id, at least once: "
        f"{totals['republished']})"
    )
    print(f"chaos: {time.monotonic() - began:.0f} s in all", flush=True)  # noqa: T201
    if len(injections) < arguments.injections:
        failures.append(f"only {len(injections)} injections in {runs} runs")
    for failure in failures:
        print(f"FAILED {failure}")  # noqa: T201
    if not failures and not arguments.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(campaign(_arguments())))
