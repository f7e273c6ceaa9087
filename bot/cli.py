"""The `cancelbot` command line: each sub-command lives in a module of bot/commands/.

main() is the one place where what stops a command becomes one line on stderr and an exit
status: a setting that cannot be used, a database that cannot be used (never the SQL or its
parameters), a refusal the domain explains, or a CommandFailed the command raised.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from bot.commands import console, database, demo, doctor, importing, inspect, run, worker
from bot.commands.context import Command, CommandFailed
from bot.commands.problems import database_unusable
from bot.config import ConfigError
from domain.errors import DomainError

COMMAND_MODULES = (database, importing, inspect, demo, worker, run, console, doctor)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cancelbot",
        description=("Cancelled deliveries for Smartship seller support: "
                     "look up, list, resync, restore."),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command = Command(args)
    wording = command.wording
    try:
        with command:
            return int(args.run(command) or 0)
    except CommandFailed as exc:
        return _say(exc.message, exc.status)
    except ConfigError as exc:
        return _say(wording.config_prefix + str(exc), wording.config_status)
    except SQLAlchemyError as exc:
        # whichever command met it: one line, without the SQL and its parameters
        return _say(database_unusable(exc, wording.database_verb, wording.upgrade_hint)
                    + wording.after_database)
    except DomainError as exc:
        return _say(exc.message)
    except KeyboardInterrupt:
        return _say("interrupted", 130)
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: stop quietly, as other command-line tools do
        sys.stderr.close()
        return 0


def _say(line: str, status: int = 1) -> int:
    print(line, file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
