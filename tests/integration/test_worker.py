"""JobWorker end to end on a real database with a fixed clock, and the scheduler around it."""
from __future__ import annotations

import signal
import threading
from datetime import datetime, timedelta

import pytest

from bot.config import Settings
from bot.scheduler import build_scheduler, run_until_signalled
from bot.worker import JobWorker
from store.embedded_sales_site import EmbeddedSalesSite
from store.models import AuditRow
from tests.integration.builders import NOW, SEOUL, Database
from tests.integration.job_support import (
    Clock,
    GatedSalesSite,
    count,
    created_orders,
    job_rows,
    outbox_job_ids,
    queued_jobs,
)
from tests.integration.test_worker_processes import DEADLINE, wait_until

LEASE = timedelta(seconds=60)
SETTINGS = Settings(database_url="unused", poll_seconds=5)


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    yield database
    database.dispose()


def make_worker(db, owner="w1", clock=None, site=None, batch=10, concurrency=1):
    return JobWorker(db.uow, site or EmbeddedSalesSite(db.sessions), SETTINGS, owner,
                     clock or Clock(), lease=LEASE, batch=batch, concurrency=concurrency)


def claimed_by(db, owner, now=NOW):
    with db.uow() as u:
        jobs = u.jobs.claim(owner, now, now + LEASE, 100)
        u.commit()
    return jobs


def in_background(call):
    thread = threading.Thread(target=call)
    thread.start()
    return thread


def test_run_due_runs_every_queued_job_once_and_reports_each(db):
    jobs = queued_jobs(db.uow, db.sessions, resyncs=12, missing=4, restores=9)
    worker = make_worker(db)

    assert worker.run_due() == 25

    rows = job_rows(db.sessions)
    assert sorted(r.state for r in rows) == ["failed"] * 4 + ["succeeded"] * 21
    assert {(r.lease_owner, r.attempts, r.finished_at) for r in rows} == {("w1", 1, NOW)}
    assert sorted(outbox_job_ids(db.sessions)) == [j.id for j in jobs]
    assert len(created_orders(db.sessions)) == 12
    assert worker.held == frozenset()
    assert worker.run_due() == 0


def test_run_due_first_takes_back_the_jobs_of_a_worker_that_died(db):
    job, = queued_jobs(db.uow, db.sessions, resyncs=1)
    claimed_by(db, "dead")
    worker = make_worker(db, clock=Clock(NOW + LEASE))

    assert worker.run_due() == 1

    row, = job_rows(db.sessions)
    assert (row.state, row.attempts, row.lease_owner) == ("succeeded", 2, "w1")
    assert count(db.sessions, AuditRow, AuditRow.kind == "reclaimed") == 1
    assert outbox_job_ids(db.sessions) == [job.id]


def test_a_job_whose_lease_still_runs_is_left_to_its_worker(db):
    queued_jobs(db.uow, db.sessions, restores=1)
    claimed_by(db, "busy")
    worker = make_worker(db, clock=Clock(NOW + LEASE - timedelta(seconds=1)))

    assert worker.run_due() == 0

    row, = job_rows(db.sessions)
    assert (row.state, row.lease_owner) == ("running", "busy")
    assert outbox_job_ids(db.sessions) == []


@pytest.mark.parametrize("concurrency", [1, 3])
def test_stop_finishes_the_jobs_in_hand_and_gives_back_the_ones_not_started(db, concurrency):
    jobs = queued_jobs(db.uow, db.sessions, resyncs=8)
    site = GatedSalesSite(EmbeddedSalesSite(db.sessions))
    worker = make_worker(db, site=site, batch=5, concurrency=concurrency)
    runner = in_background(worker.run_due)
    assert site.entered.wait(20)

    assert worker.stop(timeout=0) is False  # still busy with the reads in hand
    site.gate.set()
    runner.join(20)

    assert worker.stop(timeout=0) is True
    in_hand = site.started  # reads begun before the stop; no read begins after it
    assert 1 <= in_hand <= concurrency
    rows = job_rows(db.sessions)
    done = [r.id for r in rows if (r.state, r.lease_owner, r.attempts) == ("succeeded", "w1", 1)]
    given_back = [r.id for r in rows if (r.state, r.lease_owner, r.attempts) == ("queued", None, 0)]
    assert len(done) == in_hand and len(given_back) == len(jobs) - in_hand
    assert sorted(outbox_job_ids(db.sessions)) == done
    assert worker.held == frozenset()
    assert worker.run_due() == 0  # a stopped worker claims nothing more


def test_the_lease_is_renewed_while_a_job_runs(db):
    queued_jobs(db.uow, db.sessions, resyncs=1)
    clock = Clock()
    site = GatedSalesSite(EmbeddedSalesSite(db.sessions))
    worker = make_worker(db, clock=clock, site=site)
    runner = in_background(worker.run_due)
    assert site.entered.wait(20)

    renewed_at = clock.advance(timedelta(seconds=50))
    assert worker.heartbeat() == []
    assert job_rows(db.sessions)[0].lease_expires_at == renewed_at + LEASE
    with db.uow() as u:  # so the job is not reclaimed when the first lease would have ended
        assert u.jobs.reclaim_expired(NOW + LEASE + timedelta(seconds=1)) == []
    site.gate.set()
    runner.join(20)

    assert job_rows(db.sessions)[0].state == "succeeded"


def test_a_worker_that_lost_its_lease_abandons_the_job_to_the_one_that_took_it(db):
    job, = queued_jobs(db.uow, db.sessions, resyncs=1)
    site = GatedSalesSite(EmbeddedSalesSite(db.sessions))
    stalled = make_worker(db, owner="stalled", site=site)
    runner = in_background(stalled.run_due)
    assert site.entered.wait(20)

    taker = make_worker(db, owner="taker", clock=Clock(NOW + LEASE))
    assert taker.run_due() == 1
    assert stalled.heartbeat() == [job.id]
    assert stalled.held == frozenset()
    site.gate.set()
    runner.join(20)

    row, = job_rows(db.sessions)
    assert (row.state, row.lease_owner, row.attempts) == ("succeeded", "taker", 2)
    assert outbox_job_ids(db.sessions) == [job.id]
    assert len(created_orders(db.sessions)) == 1


class Recorder:
    def run_due(self) -> int:
        return 0

    def reclaim_expired(self) -> list:
        return []

    def withdraw_unposted(self) -> list:
        return []

    def remind_and_expire(self) -> tuple:
        return [], []


def scheduled(deliver=None, digest=None, poll=2.5):
    """The scheduler's jobs by id (started paused, so that job defaults are applied)."""
    settings = Settings("unused", poll_seconds=poll)
    # a Recorder stands in for the JobWorker: the scheduler only calls it
    scheduler = build_scheduler(Recorder(), deliver, digest, settings)  # type: ignore[arg-type]
    scheduler.start(paused=True)
    try:
        return {job.id: job for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)


def test_a_sigterm_that_another_thread_receives_still_stops_the_process(db):
    # the kernel hands a process's signal to any of its threads; Python runs the handler on
    # the main thread, but only once that thread runs again
    worker = make_worker(db)
    scheduler = build_scheduler(worker, None, None, SETTINGS)
    returned = threading.Event()
    woken_by_the_test: list[bool] = []

    def sigterm_on_this_thread() -> None:
        wait_until(lambda: scheduler.running, "the scheduler to start")
        signal.pthread_kill(threading.get_ident(), signal.SIGTERM)
        if not returned.wait(DEADLINE / 2):  # never returned: wake the main thread, and fail
            woken_by_the_test.append(True)
            signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)  # type: ignore[arg-type]

    sender = in_background(sigterm_on_this_thread)
    run_until_signalled(scheduler, worker, signals=(signal.SIGTERM,))
    returned.set()
    sender.join()

    assert woken_by_the_test == []
    assert not scheduler.running


def test_the_scheduler_polls_jobs_outbox_and_leases_and_never_doubles_a_poll():
    jobs = scheduled(deliver=lambda: 0, digest=lambda: None)

    assert sorted(jobs) == ["deliver_outbox", "post_digest", "reclaim_expired",
                            "remind_and_expire", "run_due", "withdraw_unposted"]
    assert {(j.max_instances, j.coalesce) for j in jobs.values()} == {(1, True)}
    for name in ("run_due", "deliver_outbox", "reclaim_expired"):
        assert jobs[name].trigger.interval == timedelta(seconds=2.5)
    assert jobs["withdraw_unposted"].trigger.interval == timedelta(minutes=1)
    assert jobs["remind_and_expire"].trigger.interval == timedelta(minutes=1)


@pytest.mark.parametrize("now, expected", [
    (datetime(2026, 11, 26, 8, 59, tzinfo=SEOUL), datetime(2026, 11, 26, 9, 0, tzinfo=SEOUL)),
    # a try that failed is followed by another a few minutes later, until the hour ends
    (datetime(2026, 11, 26, 9, 1, tzinfo=SEOUL), datetime(2026, 11, 26, 9, 5, tzinfo=SEOUL)),
    (datetime(2026, 11, 26, 9, 56, tzinfo=SEOUL), datetime(2026, 11, 27, 9, 0, tzinfo=SEOUL)),
])
def test_the_digest_is_posted_at_nine_in_the_business_time_zone(now, expected):
    trigger = scheduled(digest=lambda: None)["post_digest"].trigger

    assert trigger.get_next_fire_time(None, now) == expected


def test_without_outbox_delivery_or_digest_the_scheduler_only_runs_jobs():
    assert sorted(scheduled()) == ["reclaim_expired", "remind_and_expire", "run_due",
                                   "withdraw_unposted"]
