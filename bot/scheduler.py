"""APScheduler inside each bot process, only as a poller; the database decides who runs what.

The job store is in memory and never shared between processes (README, "Jobs"): every process
polls, and leases in the jobs and outbox tables make sure each job runs and each message is
posted once (docs/rules.md rule 6).
"""
from __future__ import annotations

import faulthandler
import logging
import signal
import threading
from collections.abc import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.config import Settings
from bot.worker import JobWorker

DIGEST_HOUR = 9  # business time
SYNC_ORDER_FEED = "sync_order_feed"  # the order feed's poll, among the scheduler's jobs
# tried again every five minutes of the hour: a try that failed gave the day back (see
# handlers/digest.py), and once a try has settled the day the later ones do nothing
DIGEST_MINUTES = "*/5"
# The kernel hands a signal to any thread of the process, and Python runs its handler on the
# main thread only when that thread next runs: waiting in slices bounds how late that is.
SIGNAL_WAIT_SLICE_SECONDS = 0.5

log = logging.getLogger(__name__)


class _SkippedPollFilter(logging.Filter):
    """Drops APScheduler's warning that a poll was skipped because the last one still runs.

    That is max_instances=1 doing its job (a long queue is drained by the running poll), and it
    would otherwise be logged at every interval while the queue drains.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


SKIPPED_POLL_FILTER = _SkippedPollFilter()


def build_scheduler(
    worker: JobWorker, deliver_outbox: Callable[[], object] | None,
    post_digest: Callable[[], object] | None, settings: Settings,
    sync_order_feed: Callable[[], object] | None = None,
) -> BackgroundScheduler:
    """A scheduler (not started) polling jobs, the outbox and expired leases, plus the digest
    and, every CANCELBOT_FEED_SECONDS, the order feed."""
    scheduler = BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        # a poll still running when the next is due is not doubled, and missed polls are one
        job_defaults={"max_instances": 1, "coalesce": True},
        timezone=settings.zone,
    )
    logging.getLogger("apscheduler.scheduler").addFilter(SKIPPED_POLL_FILTER)  # added once
    every = {"trigger": "interval", "seconds": settings.poll_seconds}
    scheduler.add_job(worker.run_due, id="run_due", name="run queued jobs", **every)
    if deliver_outbox is not None:
        scheduler.add_job(deliver_outbox, id="deliver_outbox", name="deliver the outbox", **every)
    scheduler.add_job(worker.reclaim_expired, id="reclaim_expired", name="reclaim expired leases",
                      **every)
    scheduler.add_job(worker.withdraw_unposted, "interval", minutes=1, id="withdraw_unposted",
                      name="withdraw requests never posted")
    scheduler.add_job(worker.remind_and_expire, "interval", minutes=1, id="remind_and_expire",
                      name="remind of and expire undecided requests (rule 14)")
    if sync_order_feed is not None:
        scheduler.add_job(sync_order_feed, "interval", seconds=settings.feed_seconds,
                          id=SYNC_ORDER_FEED, name="apply the order feed's new pages")
    if post_digest is not None:
        scheduler.add_job(
            post_digest,
            CronTrigger(hour=DIGEST_HOUR, minute=DIGEST_MINUTES, timezone=settings.zone),
            id="post_digest", name="post the morning digest",
            misfire_grace_time=15 * 60,  # a busy pool at 09:00 still posts it a little late
        )
    return scheduler


def run_until_signalled(
    scheduler: BackgroundScheduler, worker: JobWorker,
    signals: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT),
    before_stop: Callable[[], object] | None = None,
) -> None:
    """Run the scheduler until SIGTERM or SIGINT, then stop cleanly (call on the main thread).

    On the signal, before_stop runs first (`cancelbot run` stops serving Slack there); then the
    worker stops claiming, finishes the jobs in hand and releases what it claimed but did not
    start; the scheduler then waits for its running polls and stops.
    """
    received = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("received %s; stopping", signal.Signals(signum).name)
        received.set()

    previous = {s: signal.signal(s, on_signal) for s in signals}
    # `kill -USR1 PID` prints every thread's stack to stderr: what a stuck process is doing
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    try:
        if not scheduler.running:
            scheduler.start()
        log.info("worker %s started", worker.owner)
        while not received.wait(SIGNAL_WAIT_SLICE_SECONDS):
            pass
    finally:
        try:
            if before_stop is not None:
                before_stop()
        finally:
            worker.stop()
            scheduler.shutdown(wait=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        faulthandler.unregister(signal.SIGUSR1)
        log.info("worker %s stopped", worker.owner)
