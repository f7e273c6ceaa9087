"""The `cancelbot` command line: each sub-command lives in a module of bot/commands/."""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from sqlalchemy.exc import SQLAlchemyError

from bot.commands import console, database, demo, doctor, importing, inspect, run, worker
from bot.commands.problems import database_unusable

COMMAND_MODULES = (database, importing, inspect, demo, worker, run, console, doctor)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cancelbot",
        description="Cancelled deliveries for Smartship seller support: look up, list, resync, restore.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except SQLAlchemyError as exc:
        # whichever command met it: one line, without the SQL and its parameters
        print(database_unusable(exc, "use"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: stop quietly, as other command-line tools do
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
