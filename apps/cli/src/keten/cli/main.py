"""`keten up | down | status | simulate | rebuild | audit verify | dlq`."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from keten.cli import admin, dlq, stack
from keten.cli.simulate.command import simulate
from keten.cli.simulate.scenarios import SCENARIOS


def _time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give an RFC 3339 time with an offset")
    return moment


def _positive(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("give a number >= 0")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError("give a fraction above 0, at most 1")
    return value


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="keten", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="start Kafka, PostgreSQL and the four services")
    commands.add_parser("down", help="stop them all")
    commands.add_parser("status", help="each service with its consumer lag")
    sim = commands.add_parser("simulate", help="publish a realistic stream of commands")
    sim.add_argument("--scenario", choices=sorted(SCENARIOS), default="demo")
    sim.add_argument("--seed", type=int, default=1, help="the same seed gives the same run")
    sim.add_argument(
        "--speed",
        type=_positive,
        help="simulated seconds per wall-clock second (0: as fast as the chain goes; "
        "default per scenario)",
    )
    sim.add_argument(
        "--scale",
        type=_fraction,
        help="persons and places as a fraction of the public figures (default per scenario)",
    )
    sim.add_argument("--summary-json", type=Path, help="also write the summary to this file")
    rebuild = commands.add_parser("rebuild", help="replay a projection and compare digests")
    rebuild.add_argument("targets", nargs="*", help="<service>.<projection> ...")
    rebuild.add_argument("--all", action="store_true", help="every projection of every service")
    rebuild.add_argument("--as-of", type=_time, help="write the historical view as of TIME")
    audit = commands.add_parser("audit", help="check the event stores")
    audit.add_argument("action", choices=["verify"])
    dlq = commands.add_parser("dlq", help="dead letters: list, show, replay")
    dlq_actions = dlq.add_subparsers(dest="action", required=True)
    listing = dlq_actions.add_parser("list", help="every service's dead letters")
    listing.add_argument("--topic", help="only those of this topic")
    listing.add_argument("--reason", help="only those whose reason or error type matches")
    listing.add_argument("--json", action="store_true", help="JSON instead of a table")
    shown = dlq_actions.add_parser("show", help="one dead letter (personal data sealed)")
    shown.add_argument("name", help="<service>:<id>")
    replaying = dlq_actions.add_parser("replay", help="replay dead letters once mended")
    replaying.add_argument("names", nargs="*", help="<service>:<id> ...")
    replaying.add_argument("--all", action="store_true", help="every unresolved dead letter")
    replaying.add_argument("--topic", help="with --all: only those of this topic")
    replaying.add_argument("--json", action="store_true", help="JSON instead of a table")
    return root


def _dlq(args: argparse.Namespace) -> int:
    match args.action:
        case "list":
            return dlq.list_letters(args.topic, args.reason, as_json=args.json)
        case "show":
            return dlq.show(args.name)
    return dlq.replay(args.names, replay_all=args.all, topic=args.topic, as_json=args.json)


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0911 - one return per subcommand
    args = parser().parse_args(argv)
    match args.command:
        case "up":
            return stack.up()
        case "down":
            return stack.down()
        case "status":
            return stack.status()
        case "simulate":
            return simulate(
                args.scenario,
                args.seed,
                speed=args.speed,
                scale=args.scale,
                summary_json=args.summary_json,
            )
        case "rebuild":
            targets = ["--all"] if args.all else args.targets
            if not targets:
                sys.exit("keten rebuild: name <service>.<projection> or --all")
            return admin.rebuild(targets, args.as_of)
        case "audit":
            return admin.audit_verify()
        case "dlq":
            return _dlq(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
