"""Running approved jobs: read the sales site, apply the rule, write each result once.

A worker runs a batch (docs/architecture.md, "Jobs"): one transaction claims and starts the
jobs and reads their orders (claim_batch); the sales site is read outside any transaction;
one more transaction finishes every job of the batch still leased to the worker
(finish_batch). run_job is the same for one job, in its own transactions.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from domain import rules
from domain.errors import SalesSiteUnavailable
from domain.failures import Failure, FailureCode
from domain.job_result import JobResult
from domain.model import Action, Order, Recovery, SalesOrder
from domain.ports import AuditEvent, UnitOfWork
from domain.queues import OutboxMessage
from domain.requests import SYSTEM_ACTOR, Job, JobState
from domain.services import SalesSite
from domain.status import StatusContext

MAX_ATTEMPTS = 3  # leases that ran out before a job is failed instead of queued again


def start(uow: UnitOfWork, job_id: int, owner: str | None = None) -> tuple[Job, Order] | None:
    """Mark a queued job running (given owner: check it is leased to owner); None if not to run."""
    if owner is not None:  # claimed by that worker, which moved it to running
        job = uow.jobs.lock_running(job_id, owner)
        if job is None:
            return None
        return job, order_of(uow, job)
    job = uow.jobs.get(job_id)
    if job is None or job.state.final or job.state is JobState.AWAITING_APPROVAL:
        return None  # unknown, finished (running twice is a no-op), or not approved yet
    if job.state is JobState.QUEUED:
        job = job.moved(JobState.RUNNING, attempts=job.attempts + 1)
        uow.jobs.update(job)
    order = order_of(uow, job)
    uow.commit()
    return job, order


def order_of(uow: UnitOfWork, job: Job) -> Order:
    """The order a job works on (every job has one)."""
    order = uow.orders.get_by_id(job.order_id)
    if order is None:  # the jobs table's foreign key keeps every job's order
        raise ValueError(f"job {job.id}: order {job.order_id} does not exist")
    return order


def read_sales_order(
    sales_site: SalesSite, order: Order
) -> tuple[SalesOrder | None, Failure | None]:
    """The sales order for a resync, or the server-error failure when the site does not answer."""
    try:
        return sales_site.fetch(order.sales_site, order.sales_order_no), None
    except SalesSiteUnavailable as exc:
        return None, Failure(FailureCode.SERVER_ERROR, str(exc))


@dataclass(frozen=True)
class Claimed:
    """A job claimed and started by a worker, with its order as the claim read it."""

    job: Job
    order: Order


@dataclass(frozen=True)
class Read:
    """What a job's end is written from: the sales order read, or the failure found first."""

    sales_order: SalesOrder | None = None
    failure: Failure | None = None


def claim_batch(uow: UnitOfWork, owner: str, now: datetime, lease_until: datetime,
                limit: int) -> list[Claimed]:
    """Claim and start up to limit queued jobs for owner, with their orders, in one transaction
    (a claimed job is running, its attempt counted, leased to owner until lease_until)."""
    jobs = uow.jobs.claim(owner, now, lease_until, limit)
    orders = {o.id: o for o in uow.orders.by_ids(sorted({j.order_id for j in jobs}))}
    uow.commit()
    return [Claimed(job, orders[job.order_id]) for job in jobs]


def read_first(claimed: Claimed, ctx: StatusContext) -> Read | None:
    """The job's Read when it needs no sales-site read (a restore, or a failure found before
    any: window closed, site not ready); None when the sales site must be read first."""
    failure = rules.precheck(claimed.order, ctx)
    if failure is not None or claimed.job.action is not Action.RESYNC:
        return Read(failure=failure)
    return None


def read_site(sales_site: SalesSite, order: Order) -> Read:
    """Read the sales site for a resync (outside any transaction: it may be slow)."""
    sales_order, failure = read_sales_order(sales_site, order)
    return Read(sales_order, failure)


def finish_batch(uow: UnitOfWork, owner: str, reads: dict[int, Read],
                 ctx: StatusContext) -> list[Job]:
    """Write the end of every job in reads (by job id) still leased to owner, in one
    transaction: each job is locked first, so a job finished or reclaimed meanwhile is left
    alone. The jobs written, in id order."""
    held = uow.jobs.lock_held(sorted(reads), owner)
    orders = {o.id: o for o in uow.orders.by_ids(sorted({j.order_id for j in held}))}
    writes = Writes()
    done = []
    for job in held:
        order = orders[job.order_id]
        read = reads[job.stored_id]
        if read.failure:
            outcome = rules.Outcome(read.failure)
        else:
            if job.action is Action.RESTORE and writes.touches(order):
                writes.flush(uow)  # its duplicate check must see the batch's changes so far
            outcome = _apply(uow, job, order, read.sales_order, ctx)
        done.append(record_outcome(uow, job, order, outcome, ctx.now, writes))
    writes.flush(uow)
    uow.commit()
    return done


def run_job(
    uow_factory: Callable[[], UnitOfWork], sales_site: SalesSite, job_id: int,
    ctx: StatusContext, owner: str | None = None,
) -> Job | None:
    """Run a job to its end (owner: the worker holding its lease); else return it untouched."""
    with uow_factory() as uow:
        started = start(uow, job_id, owner)
    if started is None:
        with uow_factory() as uow:
            return uow.jobs.get(job_id)
    job, order = started
    failure = rules.precheck(order, ctx)
    sales_order = None
    if failure is None and job.action is Action.RESYNC:
        # read outside any transaction: the sales site may be slow
        sales_order, failure = read_sales_order(sales_site, order)
    with uow_factory() as uow:
        return _finish(uow, job_id, owner, sales_order, failure, ctx)


def _finish(
    uow: UnitOfWork, job_id: int, owner: str | None, sales_order: SalesOrder | None,
    failure: Failure | None, ctx: StatusContext,
) -> Job | None:
    # locked first, so that of two finishers the second waits and then finds nothing to do
    job = uow.jobs.lock_running(job_id, owner)
    if job is None:  # finished by another run meanwhile, or reclaimed from this worker
        return uow.jobs.get(job_id)
    order = order_of(uow, job)
    outcome = rules.Outcome(failure) if failure else _apply(uow, job, order, sales_order, ctx)
    job = record_outcome(uow, job, order, outcome, ctx.now)
    uow.commit()
    return job


@dataclass
class Writes:
    """The order and job rows, audit events and thread messages of several jobs' ends,
    written together before the commit. A restore reads orders (its live duplicates): before
    it does, the gathered orders that share its sales order are written (touches/flush)."""

    orders: list[Order] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    events: list[AuditEvent] = field(default_factory=list)
    messages: list[OutboxMessage] = field(default_factory=list)
    sales_orders: set[tuple[str, str, str]] = field(default_factory=set)  # of orders gathered

    def update(self, before: Order, after: Order) -> None:
        """Gather an order's change (before: as read, after: as it is to be written)."""
        self.orders.append(after)
        self.sales_orders.update({_sales_order_of(before), _sales_order_of(after)})

    def touches(self, order: Order) -> bool:
        """Whether a gathered order change is to an order of the same sales order."""
        return _sales_order_of(order) in self.sales_orders

    def flush(self, uow: UnitOfWork) -> None:
        """Write what was gathered, in uow, and start gathering again."""
        uow.orders.update_many(self.orders)
        uow.jobs.update_many(self.jobs)
        uow.audit.record_many(self.events)
        uow.outbox.add_many(self.messages)
        self.orders, self.jobs, self.events, self.messages = [], [], [], []
        self.sales_orders = set()


def _sales_order_of(order: Order) -> tuple[str, str, str]:
    """What makes two orders duplicates of each other (store: live_duplicates)."""
    return order.seller_id, order.sales_site, order.sales_order_no


def record_outcome(uow: UnitOfWork, job: Job, order: Order, outcome: rules.Outcome,
                   now: datetime, writes: Writes | None = None) -> Job:
    """Write a job's end (locked by the caller) in uow: the book's changes, the job's result,
    the audit event and the thread message, committed together by the caller (given writes,
    they are gathered there for the caller to flush before it commits; a resync's new order
    is written at once)."""
    gathered = writes if writes is not None else Writes()
    if outcome.failure is None:
        gathered.update(order, _stamped(outcome.done, order, now))
        if outcome.created and outcome.created.id is None:
            uow.orders.add(replace(outcome.created, created_by_job=job.id, updated_at=now))
        job = job.succeed(outcome.result_packing_no, now)
    else:
        job = job.fail(outcome.failure, now)
        gathered.update(order, rules.after_failure(order, outcome.failure))
    gathered.jobs.append(job)
    _report(gathered, job, now)
    if writes is None:
        gathered.flush(uow)
    return job


def _stamped(done: Order, before: Order, now: datetime) -> Order:
    """A recovery that changed the order's state is dated now, so that a copy Smartship sent
    before it (older) cannot undo it (rule 11)."""
    return replace(done, updated_at=now) if done.state is not before.state else done


def _apply(
    uow: UnitOfWork, job: Job, order: Order, sales_order: SalesOrder | None, ctx: StatusContext
) -> rules.Outcome:
    if job.action is Action.RESTORE:
        return rules.restore(order, uow.orders.live_duplicates(order))
    made = uow.orders.created_by_job(job.stored_id)
    if made is not None:  # this job already resynced the order: never a second number
        done = replace(order, superseded_by=made.packing_no, recovery=Recovery.DONE)
        return rules.Outcome(cancelled=done, created=made)
    failure = rules.resync_failure(order, sales_order, ctx.zone)
    if failure:  # fail before taking a packing number, so failures leave no gaps
        return rules.Outcome(failure)
    new_no = uow.packing_numbers.allocate(ctx.now.astimezone(ctx.zone))
    return rules.resync(order, sales_order, new_no, ctx.zone)


def _report(writes: Writes, job: Job, now: datetime) -> None:
    failure = job.failure
    detail = failure.describe() if failure else f"packing number {job.result_packing_no}"
    writes.events.append(
        AuditEvent(now, SYSTEM_ACTOR, job.state.value, job.packing_no, job.request_id,
                   job.id, detail)
    )
    if job.result_packing_no and job.result_packing_no != job.packing_no:
        writes.events.append(
            AuditEvent(now, SYSTEM_ACTOR, "created", job.result_packing_no,
                       job.request_id, job.id, f"resynced from {job.packing_no}")
        )
    writes.messages.append(JobResult.of(job).message(job.request_id, now))


def reclaim_expired(uow: UnitOfWork, now: datetime) -> list[Job]:
    """Queue again the jobs whose worker stopped renewing its lease, each with an audit event."""
    jobs = uow.jobs.reclaim_expired(now)
    for job in jobs:
        if job.attempts >= MAX_ATTEMPTS:
            _give_up(uow, job, now)
            continue
        uow.audit.record(AuditEvent(
            now, SYSTEM_ACTOR, "reclaimed", job.packing_no, job.request_id, job.id,
            f"the worker running attempt {job.attempts} stopped renewing its lease; queued again",
        ))
    uow.commit()
    return jobs


def _give_up(uow: UnitOfWork, job: Job, now: datetime) -> None:
    """A job that stopped its worker MAX_ATTEMPTS times fails as a server error, so that it
    cannot keep taking workers down; a new request stays allowed."""
    failure = Failure(
        FailureCode.SERVER_ERROR, f"the job stopped {job.attempts} times without finishing")
    order = order_of(uow, job)
    record_outcome(uow, job, order, rules.Outcome(failure), now)
