"""`cancelbot worker`: run approved jobs and deliver their results until SIGTERM, no listeners.

A job-only instance next to `cancelbot run`, or several of them on one PostgreSQL database:
leases in the database keep each job to one worker (DESIGN.md, "Jobs and the scheduler").
"""
from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime, timedelta, timezone
from typing import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.commands.problems import database_unusable
from bot.config import ConfigError, Settings
from bot.scheduler import build_scheduler, run_until_signalled
from bot.wiring import Store, open_store
from bot.worker import LEASE, JobWorker, worker_owner
from handlers.digest import post_digest
from handlers.slack_client import make_web_client
from handlers.thread_results import deliver_due

log = logging.getLogger("cancelbot.worker")


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    worker = commands.add_parser(
        "worker", help="run approved resyncs and restores until SIGTERM (no Slack listeners)",
        description="Polls every CANCELBOT_POLL_SECONDS; on SIGTERM or Ctrl-C finishes the job "
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


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def run_worker(args: argparse.Namespace) -> int:
    """Poll until SIGTERM or SIGINT; 0 after a clean stop, 1 if the database is not usable."""
    configure_logging()
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    store = open_store(settings)
    try:
        worker, scheduler = background(settings, store, timedelta(seconds=args.lease_seconds))
        run_until_signalled(scheduler, worker)
        return 0
    except (OperationalError, ProgrammingError) as exc:
        print(database_unusable(exc, "use"), file=sys.stderr)
        return 1
    finally:
        store.close()


def configure_logging() -> None:
    """Log lines on stderr, without APScheduler's line per poll."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per poll otherwise


def background(settings: Settings, store: Store, lease: timedelta = LEASE,
               client: WebClient | None = None) -> tuple[JobWorker, BackgroundScheduler]:
    """The job worker and the scheduler (not started) polling jobs, outbox and digest; both
    Slack pollers use client (default: one made from the settings' bot token).

    Reclaims expired leases first, which also checks that the database answers (it raises
    OperationalError or ProgrammingError otherwise).
    """
    owner = worker_owner()
    worker = JobWorker(store.uow, store.sales_site, settings, owner, utc_now, lease=lease,
                       recoveries=store.recoveries)
    worker.reclaim_expired()
    if client is None and settings.slack_bot_token:
        client = make_web_client(settings.slack_bot_token, settings.slack_api_url)
    scheduler = build_scheduler(worker, outbox_delivery(client, store, owner),
                                digest_posting(settings, client, store, owner), settings)
    return worker, scheduler


def outbox_delivery(client: WebClient | None, store: Store,
                    owner: str) -> Callable[[], int] | None:
    """The poller posting outbox rows into their Slack threads; None without a Slack client."""
    if client is None:
        # nothing is lost: the results wait in the outbox for a worker that has a token
        log.warning("SLACK_BOT_TOKEN is not set; results stay in the outbox")
        return None
    return lambda: deliver_due(store.uow, client, owner, utc_now())


def digest_posting(settings: Settings, client: WebClient | None, store: Store,
                   owner: str) -> Callable[[], object] | None:
    """The morning digest poster; None without a Slack client or CANCELBOT_APPROVAL_CHANNEL."""
    channel = settings.approval_channel
    if not (client and channel):
        log.info("no morning digest: SLACK_BOT_TOKEN or CANCELBOT_APPROVAL_CHANNEL is not set")
        return None
    # the clock is read when the scheduler calls, so each try sees its own now
    return lambda: post_digest(store.uow, client, channel, settings.status_context(utc_now()),
                               owner=owner)
