"""A worker's batch: claimed and started in one transaction, its sales-site reads overlapped
(never more at once than the worker allows), finished together, each job still exactly once."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from bot.config import Settings
from bot.worker import JobWorker
from domain import execution
from domain.errors import SalesSiteUnavailable
from domain.model import Action, Origin, SalesOrder
from domain.queues import OutboxMessage
from domain.services import SalesSite
from domain.workflow import approve, submit_request
from store.embedded_sales_site import EmbeddedSalesSite
from store.models import AuditRow
from tests.integration.builders import CANCELLED_AT, NOW, Database, add_orders, cancelled, ctx
from tests.integration.job_support import (
    GATE_TIMEOUT,
    POLICY,
    Clock,
    count,
    created_orders,
    job_rows,
    outbox_job_ids,
    queued_jobs,
)
from tests.races import failures, together

LEASE = timedelta(seconds=60)
SETTINGS = Settings(database_url="unused")


def make_worker(db: Database, site: SalesSite | None = None, owner: str = "w1", batch: int = 10,
                concurrency: int = 4, clock: Clock | None = None, uow: Any = None) -> JobWorker:
    return JobWorker(uow or db.uow, site or EmbeddedSalesSite(db.sessions), SETTINGS, owner,
                     clock or Clock(), lease=LEASE, batch=batch, concurrency=concurrency)


class FailingFor:
    """The sales site, except for the orders named: their read raises the error given."""

    def __init__(self, inner: SalesSite, error: Exception, *sales_order_nos: str) -> None:
        self.inner, self.error, self.failing = inner, error, set(sales_order_nos)

    def fetch(self, sales_site: str, sales_order_no: str) -> SalesOrder | None:
        if sales_order_no in self.failing:
            raise self.error
        return self.inner.fetch(sales_site, sales_order_no)

    def sites_not_ready(self) -> frozenset[str]:
        return self.inner.sites_not_ready()


class CountingSite:
    """The sales site, counting the reads in flight: a read waits until `bound` are in flight
    (or every expected read has begun), so reads that may overlap do; `most` is the peak."""

    def __init__(self, inner: SalesSite, bound: int, expected: int) -> None:
        self.inner, self.bound, self.expected = inner, bound, expected
        self.in_flight = self.most = self.begun = 0
        self.changed = threading.Condition()

    def fetch(self, sales_site: str, sales_order_no: str) -> SalesOrder | None:
        with self.changed:
            self.in_flight += 1
            self.begun += 1
            self.most = max(self.most, self.in_flight)
            self.changed.notify_all()
            reached = self.changed.wait_for(
                lambda: self.in_flight >= self.bound or self.begun >= self.expected,
                GATE_TIMEOUT)
        try:
            assert reached, f"only {self.in_flight} reads in flight, {self.begun} begun"
            return self.inner.fetch(sales_site, sales_order_no)
        finally:
            with self.changed:
                self.in_flight -= 1
                self.changed.notify_all()

    def sites_not_ready(self) -> frozenset[str]:
        return self.inner.sites_not_ready()


def sales_order_no(db: Database, job_id: int) -> str:
    with db.uow() as u:
        job = u.jobs.get(job_id)
        return u.orders.get(job.packing_no).sales_order_no


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    yield database
    database.dispose()


def test_claiming_a_batch_starts_every_job_with_its_order_in_one_transaction(db):
    jobs = queued_jobs(db.uow, db.sessions, resyncs=2, restores=2)

    with db.uow() as u:
        claimed = execution.claim_batch(u, "w1", NOW, NOW + LEASE, 3)

    assert [(c.job.id, c.job.state.value, c.job.attempts) for c in claimed] == [
        (j.id, "running", 1) for j in jobs[:3]]
    assert [c.order.packing_no for c in claimed] == [j.packing_no for j in jobs[:3]]
    rows = job_rows(db.sessions)
    assert [(r.state, r.lease_owner) for r in rows] == [("running", "w1")] * 3 + [
        ("queued", None)]


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_sales_site_that_fails_for_one_order_fails_that_job_and_finishes_the_others(
        db, concurrency):
    jobs = queued_jobs(db.uow, db.sessions, resyncs=6, restores=2)
    broken = jobs[2]
    site = FailingFor(EmbeddedSalesSite(db.sessions), SalesSiteUnavailable("interpark: 503"),
                      sales_order_no(db, broken.stored_id))

    assert make_worker(db, site, concurrency=concurrency).run_due() == 8

    states = {r.id: (r.state, r.failure_code, r.attempts) for r in job_rows(db.sessions)}
    assert states.pop(broken.stored_id) == ("failed", "server_error", 1)
    assert set(states.values()) == {("succeeded", None, 1)}
    assert sorted(outbox_job_ids(db.sessions)) == [j.stored_id for j in jobs]
    assert len(created_orders(db.sessions)) == 5


def test_a_read_that_breaks_leaves_its_job_to_the_lease_and_the_batch_is_finished(db):
    jobs = queued_jobs(db.uow, db.sessions, resyncs=5)
    broken = jobs[1]
    site = FailingFor(EmbeddedSalesSite(db.sessions), RuntimeError("bug in an adapter"),
                      sales_order_no(db, broken.stored_id))
    worker = make_worker(db, site)

    assert worker.run_due() == 4

    rows = {r.id: r for r in job_rows(db.sessions)}
    left = rows.pop(broken.stored_id)
    assert (left.state, left.lease_owner, left.attempts) == ("running", "w1", 1)
    assert {r.state for r in rows.values()} == {"succeeded"}
    assert worker.held == frozenset()  # not renewed: its lease runs out
    after = make_worker(db, owner="w2", clock=Clock(NOW + LEASE))
    assert after.run_due() == 1
    assert job_rows(db.sessions)[1].state == "succeeded"
    assert sorted(outbox_job_ids(db.sessions)) == [j.stored_id for j in jobs]
    assert len(created_orders(db.sessions)) == 5


def test_a_batch_claimed_by_a_worker_that_died_before_finishing_is_run_once_after_its_lease(db):
    jobs = queued_jobs(db.uow, db.sessions, resyncs=4, restores=3)
    with db.uow() as u:  # claimed and started, then the process died
        execution.claim_batch(u, "dead", NOW, NOW + LEASE, 10)
    too_soon = make_worker(db, owner="w2", clock=Clock(NOW + LEASE - timedelta(seconds=1)))
    assert too_soon.run_due() == 0

    assert make_worker(db, owner="w2", clock=Clock(NOW + LEASE)).run_due() == 7

    rows = job_rows(db.sessions)
    assert {(r.state, r.lease_owner, r.attempts) for r in rows} == {("succeeded", "w2", 2)}
    assert sorted(outbox_job_ids(db.sessions)) == [j.stored_id for j in jobs]
    assert count(db.sessions, AuditRow, AuditRow.kind == "reclaimed") == 7
    made = created_orders(db.sessions)
    assert len(made) == len({p for _, p in made}) == 4


@pytest.mark.parametrize("concurrency", [1, 3])
def test_no_more_sales_site_reads_are_in_flight_than_the_worker_allows(db, concurrency):
    jobs = queued_jobs(db.uow, db.sessions, resyncs=10, restores=2)
    site = CountingSite(EmbeddedSalesSite(db.sessions), concurrency, expected=10)

    assert make_worker(db, site, batch=12, concurrency=concurrency).run_due() == 12

    assert (site.begun, site.most) == (10, concurrency)
    assert sorted(outbox_job_ids(db.sessions)) == [j.stored_id for j in jobs]


def test_of_two_restores_of_one_sales_order_in_a_batch_only_the_first_brings_it_back(db):
    twins = add_orders(db.uow, *[
        cancelled(no, origin=Origin.EXCEL, sales_order_no="SO-TWIN", cancelled_at=CANCELLED_AT)
        for no in ("TWIN00001", "TWIN00002")])
    queued_jobs(db.uow, db.sessions, restores=2)  # others in the same batch, around them
    with db.uow() as u:
        submitted = submit_request(u, [o.packing_no for o in twins], Action.RESTORE,
                                   "UREQUESTER", "", ctx())
    with db.uow() as u:
        approve(u, submitted.request.stored_id, "UAPPROVER1", NOW, POLICY)

    assert make_worker(db).run_due() == 4

    by_packing_no = {r.packing_no: r for r in job_rows(db.sessions)}
    first, second = by_packing_no["TWIN00001"], by_packing_no["TWIN00002"]
    assert first.state == "succeeded"
    assert (second.state, second.failure_code) == ("failed", "duplicate_alive")
    assert "TWIN00001" in second.failure_detail
    with db.uow() as u:
        assert [o.packing_no for o in u.orders.live_duplicates(twins[1])] == ["TWIN00001"]


class _FailingOnSeveral:
    """An outbox that fails when given several messages at once, as a commit that loses its
    connection would, after the batch's other writes were made."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def add_many(self, messages: list[OutboxMessage]) -> None:
        if len(messages) > 1:
            raise RuntimeError("connection lost")
        self.inner.add_many(messages)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class _BatchesFail:
    """Units of work whose outbox fails for a batch of several jobs."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def __call__(self) -> _BatchesFail:
        self.uow = self.db.uow()
        return self

    def __enter__(self) -> Any:
        uow: Any = self.uow.__enter__()
        uow.outbox = _FailingOnSeveral(uow.outbox)
        return uow

    def __exit__(self, *exc: object) -> None:
        self.uow.__exit__(*exc)


def test_when_a_batch_cannot_be_finished_together_each_job_is_finished_alone_once(db):
    jobs = queued_jobs(db.uow, db.sessions, resyncs=4, missing=1, restores=3)

    assert make_worker(db, uow=_BatchesFail(db)).run_due() == 8

    rows = job_rows(db.sessions)
    assert sorted(r.state for r in rows) == ["failed"] + ["succeeded"] * 7
    assert {r.attempts for r in rows} == {1}
    assert sorted(outbox_job_ids(db.sessions)) == [j.stored_id for j in jobs]
    assert count(db.sessions, AuditRow, AuditRow.kind.in_(("succeeded", "failed"))) == 8
    made = created_orders(db.sessions)
    assert sorted(j or 0 for j, _ in made) == [j.stored_id for j in jobs[:4]]


def test_two_workers_draining_one_queue_in_batches_run_each_job_once(databases):
    db = databases[0]
    jobs = queued_jobs(db.uow, db.sessions, resyncs=40, missing=10, restores=30)
    workers = [make_worker(d, owner=f"w{i}", batch=7, concurrency=3)
               for i, d in enumerate(databases)]

    ran = together(*[w.run_due for w in workers])

    assert not failures(ran), ran
    assert sum(ran) == len(jobs)
    rows = job_rows(db.sessions)
    assert sorted(r.state for r in rows) == ["failed"] * 10 + ["succeeded"] * 70
    assert {r.attempts for r in rows} == {1}
    assert Counter(outbox_job_ids(db.sessions)) == Counter({j.id: 1 for j in jobs})
    made = created_orders(db.sessions)
    assert len(made) == len({j for j, _ in made}) == len({p for _, p in made}) == 40
