"""The job worker: claims queued jobs with a lease, runs them, and renews the lease meanwhile.

Exactly-once (docs/rules.md rule 6) comes from the database (README, "Jobs"): a claim leases
jobs to this worker's owner name, the lease is renewed while the worker holds them, and a job is
finished only by the worker still holding it. A worker that dies stops renewing; its jobs are
reclaimed once their lease runs out and another worker runs them.

Jobs go in batches (domain/execution.py): one transaction claims and starts up to `batch` jobs;
the sales site is read for the batch's resyncs, at most `concurrency` reads at once on a small
thread pool, outside any transaction; one transaction finishes the batch. Should that fail, the
jobs are finished one by one, so one job's error does not hold the others back.

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
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from bot.config import DEFAULT_JOB_BATCH, DEFAULT_SALES_SITE_CONCURRENCY, Settings
from bot.recovery_polling import RecoveryPolling
from domain import execution, reminders, remote_recovery, workflow
from domain.execution import Claimed, Read
from domain.ports import UnitOfWork
from domain.requests import Job
from domain.services import RecoveryService, SalesSite
from domain.status import StatusContext

LEASE = timedelta(seconds=60)
# jobs claimed, and finished, in one transaction each; every one's lease is renewed meanwhile
BATCH = DEFAULT_JOB_BATCH
CONCURRENCY = DEFAULT_SALES_SITE_CONCURRENCY  # sales-site reads at once (a batch's resyncs)
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
        recoveries: RecoveryService | None = None, concurrency: int = CONCURRENCY,
    ) -> None:
        """recoveries: Smartship's order service, which then carries every job out; None for
        cancelbot's own book. concurrency: sales-site reads at once (1: one after another)."""
        if batch < 1 or concurrency < 1:
            raise ValueError("a worker's batch and concurrency must be at least 1")
        self.uow_factory = uow_factory
        self.sales_site = sales_site
        self.settings = settings
        self.owner = owner
        self.clock = clock
        self.lease = lease
        self.batch = batch
        self.concurrency = concurrency
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
        """Stop claiming and reading; wait for the jobs in hand to finish. False if still busy at
        timeout."""
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

    def remind_and_expire(self) -> tuple[list[int], list[int]]:
        """Remind once of the undecided requests whose window closes within 24 h, and expire
        those whose window closed (rule 14); (expired ids, reminded ids)."""
        with self.uow_factory() as uow:
            expired, reminded = reminders.remind_and_expire(
                uow, self.settings.status_context(self.clock()))
        if expired:
            log.info("expired request(s) nobody decided in time: %s", ", ".join(map(str, expired)))
        if reminded:
            log.info("reminded the approvers of request(s): %s", ", ".join(map(str, reminded)))
        return expired, reminded

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
            if self.polling is not None:
                ran += self._hand_over(claimed)
            else:
                ran += self._run_batch(claimed)
        return ran

    def _claim(self) -> list[Claimed]:
        now = self.clock()
        with self.uow_factory() as uow:
            claimed = execution.claim_batch(uow, self.owner, now, now + self.lease, self.batch)
        with self._held_lock:
            self._held.update(c.job.stored_id for c in claimed)
        return claimed

    def _run_batch(self, claimed: list[Claimed]) -> int:
        """Read the sales site for the batch's resyncs, then finish the batch; how many ended."""
        ctx = self.settings.status_context(self.clock())
        reads: dict[int, Read] = {}
        to_read = []
        for job in claimed:
            read = execution.read_first(job, ctx)
            if read is None:
                to_read.append(job)
            else:
                reads[job.job.stored_id] = read
        reads.update(self._read_site(to_read))
        return self._finish(reads, ctx)

    def _read_site(self, claimed: list[Claimed]) -> dict[int, Read]:
        """The sales site's answers for these jobs, read `concurrency` at a time; a job whose
        read did not start (stopping, lease lost) or raised is left out."""
        if len(claimed) <= 1 or self.concurrency == 1:
            answers = [self._read_one(job) for job in claimed]
        else:
            with ThreadPoolExecutor(min(self.concurrency, len(claimed)),
                                    thread_name_prefix="sales-site-read") as pool:
                answers = list(pool.map(self._read_one, claimed))
        return {job_id: read for job_id, read in answers if read is not None}

    def _read_one(self, claimed: Claimed) -> tuple[int, Read | None]:
        job_id = claimed.job.stored_id
        if self._stopping.is_set() or job_id not in self.held:
            return job_id, None  # not started: given back at the end of run_due, if still held
        try:
            return job_id, execution.read_site(self.sales_site, claimed.order)
        except Exception:
            # not renewed any more: the lease runs out and the job is tried again after it
            log.exception("job %s stopped with an error; it is retried when its lease ends",
                          claimed.job.id)
            self._forget(job_id)
            return job_id, None

    def _finish(self, reads: dict[int, Read], ctx: StatusContext) -> int:
        """Finish the jobs read for in one transaction; if it fails, each in one of its own."""
        reads = {job_id: read for job_id, read in reads.items() if job_id in self.held}
        if not reads:
            return 0
        try:
            with self.uow_factory() as uow:
                return len(execution.finish_batch(uow, self.owner, reads, ctx))
        except Exception:
            # rolled back whole: nothing of it was written, so each job can be finished alone
            log.exception("finishing %d jobs together failed; finishing them one by one",
                          len(reads))
            return sum(self._finish_one(job_id, read, ctx) for job_id, read in reads.items())
        finally:
            for job_id in reads:
                self._forget(job_id)

    def _finish_one(self, job_id: int, read: Read, ctx: StatusContext) -> int:
        try:
            with self.uow_factory() as uow:
                return len(execution.finish_batch(uow, self.owner, {job_id: read}, ctx))
        except Exception:
            log.exception("job %s stopped with an error; it is retried when its lease ends",
                          job_id)
            return 0

    def _hand_over(self, claimed: list[Claimed]) -> int:
        """Hand the batch's jobs to the order service, one transaction each (until stopping)."""
        ran = 0
        for job in claimed:
            if self._stopping.is_set():
                break
            ran += self._run(job.job)
        return ran

    def _run(self, job: Job) -> int:
        if job.id not in self.held:
            return 0  # its lease was lost while it waited its turn
        try:
            ctx = self.settings.status_context(self.clock())
            remote_recovery.hand_over(self.uow_factory, job.stored_id, self.owner, ctx)
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
