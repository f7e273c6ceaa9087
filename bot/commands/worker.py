"""`cancelbot worker`: run approved jobs and deliver their results until SIGTERM, no listeners.

A job-only instance next to `cancelbot run`, or several of them on one PostgreSQL database:
leases in the database keep each job to one worker (README, "Jobs"; docs/rules.md rule 6).
"""
from __future__ import annotations

import argparse
from datetime import timedelta

from bot.commands.context import Command
from bot.composition import background, configure_logging
from bot.scheduler import run_until_signalled
from bot.worker import LEASE


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = commands.add_parser(
        "worker", help="run approved resyncs and restores until SIGTERM (no Slack listeners)",
        description="Polls every CANCELBOT_POLL_SECONDS; on SIGTERM or Ctrl-C finishes the jobs "
        "in hand, gives back the jobs it claimed but did not start, and exits with status 0.",
    )
    worker.add_argument(
        "--lease-seconds", type=_seconds, default=LEASE.total_seconds(), metavar="SECONDS",
        help="how long a claimed job stays with this worker unless renewed (renewed every "
        "third of it); another worker takes over this long after a crash (default %(default)g)",
    )
    worker.set_defaults(run=run_worker)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def run_worker(command: Command) -> int:
    """Poll until SIGTERM or SIGINT; 0 after a clean stop."""
    settings = command.settings
    configure_logging(settings.log_format)
    lease = timedelta(seconds=command.args.lease_seconds)
    # fails here, before any poll, if the database does not answer
    worker, scheduler = background(settings, command.open_store(), lease)
    run_until_signalled(scheduler, worker)
    return 0
