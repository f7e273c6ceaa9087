"""The job worker: claims queued jobs with a lease, runs them, and renews the lease meanwhile.

Exactly-once (docs/rules.md rule 6) comes from the database (README, "Jobs"): a claim leases
jobs to this worker's owner name, the lease is renewed while the worker holds them, and a job is
finished only by the worker still holding it. A worker that dies stops renewing; its jobs are
reclaimed once their lease runs out and another worker runs them.

With an order service (CANCELBOT_RECOVERY_API_URL) a claimed job is handed over to it instead
of run in cancelbot's book, and each poll also looks at the jobs waiting on the service
(bot/recovery_polling.py).
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.config import Settings
from bot.recovery_polling import RecoveryPolling
from domain import execution, remote_recovery, workflow
from domain.ports import RecoveryService, SalesSite, UnitOfWork
from domain.requests import Job

LEASE = timedelta(seconds=60)
BATCH = 10  # jobs claimed at once; the lease of every one of them is renewed while they wait
# posting a request message takes seconds; one still unrecorded after this never will be
UNPOSTED_GRACE = timedelta(minutes=15)

log = logging.getLogger(__name__)


def worker_owner() -> str:
    """A name for this process's worker, unique across hosts and restarts (fits lease_owner)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class JobWorker:
    """Runs due jobs for one process; run_due is called by the scheduler, stop at shutdown."""

    def __init__(
        self, uow_factory: Callable[[], UnitOfWork], sales_site: SalesSite, settings: Settings,
        owner: str, clock: Callable[[], datetime], lease: timedelta = LEASE, batch: int = BATCH,
        recoveries: RecoveryService | None = None,
    ) -> None:
        """recoveries: Smartship's order service, which then carries every job out; None for
        cancelbot's own book."""
        self.uow_factory = uow_factory
        self.sales_site = sales_site
        self.settings = settings
        self.owner = owner
        self.clock = clock
        self.lease = lease
        self.batch = batch
        self._held: set[int] = set()  # claimed and not yet finished, so renewed
        self._held_lock = threading.Lock()
        self._busy = threading.Lock()  # one run_due at a time
        self._stopping = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self.polling = None if recoveries is None else RecoveryPolling(
            uow_factory, recoveries, settings, owner, clock, lease)

    @property
    def held(self) -> frozenset[int]:
        """The ids of the jobs this worker holds a lease on right now."""
        with self._held_lock:
            return frozenset(self._held)

    @property
    def stopping(self) -> threading.Event:
        """Set once stop() is called: pollers sharing this worker's life stop with it."""
        return self._stopping

    def run_due(self) -> int:
        """Reclaim expired leases, then claim and run jobs until none is queued; how many ran."""
        if not self._busy.acquire(blocking=False):
            return 0
        self._idle.clear()  # before looking at the flag, so that stop() waits for this run
        try:
            if self._stopping.is_set():
                return 0
            self.reclaim_expired()
            with _Heartbeat(self.heartbeat, self.lease.total_seconds() / 3):
                ran = self._drain()
            if self.polling is not None:
                self.polling.poll_due(self._stopping)
            return ran
        finally:
            self._release_held()
            self._idle.set()
            self._busy.release()

    def stop(self, timeout: float | None = None) -> bool:
        """Stop claiming; wait for the job in hand to finish. False if still busy at timeout."""
        self._stopping.set()
        return self._idle.wait(timeout)

    def reclaim_expired(self) -> list[Job]:
        """Queue again the jobs of workers that stopped renewing their lease."""
        with self.uow_factory() as uow:
            jobs = execution.reclaim_expired(uow, self.clock())
        if jobs:
            log.warning("reclaimed %d job(s) whose lease ran out: %s",
                        len(jobs), ", ".join(str(j.id) for j in jobs))
        return jobs

    def withdraw_unposted(self) -> list[int]:
        """Withdraw requests whose message was never posted (the process stopped while posting),
        so that their orders do not stay awaiting an approval nobody can give."""
        with self.uow_factory() as uow:
            withdrawn = workflow.withdraw_unposted(uow, self.clock(), UNPOSTED_GRACE)
        if withdrawn:
            log.warning("withdrew request(s) never posted to Slack: %s",
                        ", ".join(map(str, withdrawn)))
        return withdrawn

    def heartbeat(self) -> list[int]:
        """Renew the lease of every job held; returns the ids no longer held (abandoned)."""
        held = sorted(self.held)
        if not held:
            return []
        lease_until = self.clock() + self.lease
        with self.uow_factory() as uow:
            lost = [i for i in held if not uow.jobs.renew(i, self.owner, lease_until)]
            uow.commit()
        for job_id in lost:
            if self._forget(job_id):
                # finished meanwhile, or reclaimed after a stall: either way no longer ours
                log.info("job %s is no longer leased to %s; abandoning it", job_id, self.owner)
        return lost

    def _drain(self) -> int:
        ran = 0
        while not self._stopping.is_set():
            claimed = self._claim()
            if not claimed:
                break
            for job in claimed:
                if self._stopping.is_set():
                    break
                ran += self._run(job)
        return ran

    def _claim(self) -> list[Job]:
        now = self.clock()
        with self.uow_factory() as uow:
            jobs = uow.jobs.claim(self.owner, now, now + self.lease, self.batch)
            uow.commit()
        with self._held_lock:
            self._held.update(j.stored_id for j in jobs)
        return jobs

    def _run(self, job: Job) -> int:
        if job.id not in self.held:
            return 0  # its lease was lost while it waited its turn
        try:
            ctx = self.settings.status_context(self.clock())
            if self.polling is not None:
                remote_recovery.hand_over(self.uow_factory, job.stored_id, self.owner, ctx)
            else:
                execution.run_job(self.uow_factory, self.sales_site, job.stored_id, ctx,
                                  self.owner)
            return 1
        except Exception:
            # not renewed any more: the lease runs out and the job is tried again after it
            log.exception("job %s stopped with an error; it is retried when its lease ends", job.id)
            return 0
        finally:
            self._forget(job.stored_id)

    def _forget(self, job_id: int) -> bool:
        with self._held_lock:
            was_held = job_id in self._held
            self._held.discard(job_id)
            return was_held

    def _release_held(self) -> None:
        """Give back what was claimed and never started (after stop, or an error)."""
        for job_id in sorted(self.held):
            try:
                with self.uow_factory() as uow:
                    uow.jobs.release(job_id, self.owner)
                    uow.commit()
            except Exception:
                log.exception("could not release job %s; its lease will run out", job_id)
            self._forget(job_id)


class _Heartbeat:
    """Calls beat every interval seconds on a thread of its own while the block runs."""

    def __init__(self, beat: Callable[[], object], interval: float) -> None:
        self._beat = beat
        self._interval = interval
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lease-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._done.wait(self._interval):
            try:
                self._beat()
            except Exception:
                log.exception("renewing leases failed; trying again in %.1f s", self._interval)
