"""`keten up | down | status | simulate | rebuild | audit verify`."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from keten.cli import admin, stack


def _time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give an RFC 3339 time with an offset")
    return moment


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="keten", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="start Kafka, PostgreSQL and the four services")
    commands.add_parser("down", help="stop them all")
    commands.add_parser("status", help="each service with its consumer lag")
    rebuild = commands.add_parser("rebuild", help="replay a projection and compare digests")
    rebuild.add_argument("targets", nargs="*", help="<service>.<projection> ...")
    rebuild.add_argument("--all", action="store_true", help="every projection of every service")
    rebuild.add_argument("--as-of", type=_time, help="write the historical view as of TIME")
    audit = commands.add_parser("audit", help="check the event stores")
    audit.add_argument("action", choices=["verify"])
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    match args.command:
        case "up":
            return stack.up()
        case "down":
            return stack.down()
        case "status":
            return stack.status()
        case "rebuild":
            targets = ["--all"] if args.all else args.targets
            if not targets:
                sys.exit("keten rebuild: name <service>.<projection> or --all")
            return admin.rebuild(targets, args.as_of)
        case "audit":
            return admin.audit_verify()
    return 2


if __name__ == "__main__":
    sys.exit(main())
