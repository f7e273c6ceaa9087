"""Looking at the jobs waiting on Smartship's order service, for one worker (bot/worker.py).

Every poll the worker leases the waiting jobs due a look, a batch at a time, and asks the
service about each (domain/remote_recovery.py). A job is looked at once per poll. A job is
asked about only while enough of the batch's lease is left for the call to end inside it; the
rest are let go for the next batch, so two workers never ask about one recovery at once.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.config import Settings
from domain import remote_recovery
from domain.ports import UnitOfWork
from domain.requests import Job
from domain.services import RecoveryService

BATCH = 10
CALL_MARGIN = timedelta(seconds=5)  # beyond the service's own timeout

log = logging.getLogger(__name__)


class RecoveryPolling:
    """Asks the order service about due waiting jobs on behalf of one worker's owner name."""

    def __init__(
        self, uow_factory: Callable[[], UnitOfWork], service: RecoveryService,
        settings: Settings, owner: str, clock: Callable[[], datetime], lease: timedelta,
        batch: int = BATCH,
    ) -> None:
        self.uow_factory = uow_factory
        self.service = service
        self.owner = owner
        self.clock = clock
        self.lease = lease
        self.batch = batch
        self.policy = remote_recovery.PollPolicy(
            interval=timedelta(seconds=settings.poll_seconds),
            timeout=timedelta(hours=settings.recovery_timeout_hours),
        )
        timeout = getattr(service, "timeout", None)
        self.call_budget = timedelta(seconds=float(timeout or 0)) + CALL_MARGIN

    def poll_due(self, stopping: threading.Event) -> int:
        """Look at every waiting job due a look, once each, until stopping is set; how many."""
        looked: set[int] = set()
        while not stopping.is_set():
            now = self.clock()
            lease_until = now + self.lease
            with self.uow_factory() as uow:
                claimed = uow.jobs.claim_waiting(self.owner, now, lease_until, self.batch)
                uow.commit()
            if not any(job.id not in looked for job in claimed):
                self._let_go(claimed)
                break
            for index, job in enumerate(claimed):
                # the first new job of a batch is always looked at, so that every batch
                # makes progress whatever the lease
                if stopping.is_set() or job.id in looked or (
                        index and self.clock() + self.call_budget >= lease_until):
                    self._let_go([job])
                    continue
                looked.add(job.stored_id)
                self._look(job)
        return len(looked)

    def _look(self, job: Job) -> None:
        try:
            done = remote_recovery.look(self.uow_factory, self.service, job, self.owner,
                                        self.clock(), self.policy)
        except Exception:
            # its lease runs out and the job is looked at again after it
            log.exception("looking at job %s at the order service failed", job.id)
            return
        if done.state.final:
            log.info("job %s: the order service's recovery %s %s", done.id, done.recovery_id,
                     done.state.value)
        elif done.last_error:
            log.warning("job %s: %s; asking again at %s", done.id, done.last_error,
                        done.next_poll_at)

    def _let_go(self, jobs: list[Job]) -> None:
        if not jobs:
            return
        with self.uow_factory() as uow:
            for job in jobs:
                uow.jobs.let_go(job.stored_id, self.owner)
            uow.commit()
