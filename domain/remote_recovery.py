"""Recoveries carried out by Smartship's order service (CANCELBOT_RECOVERY_API_URL).

A claimed job is handed over: it becomes *waiting* (its order stays Resyncing/Recovering). A
poller leases the waiting jobs due a look and asks the service: `POST /recoveries` under the
job's idempotency key until the service has answered with an id, `GET /recoveries/{id}` after.
Then, in one transaction held only while the lease is still the poller's, it either settles the
job (the same book changes, result, audit event and thread message as a job run in cancelbot's
own book, domain/execution.py) or says when to look again. The lease and that conditional
settle keep two pollers from settling a job twice; the key keeps a POST sent again (after an
error, or by the poller that took over from one that died) from starting a second recovery.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo

from domain import execution, rules
from domain.errors import RecoveryServiceUnavailable
from domain.failures import Failure, FailureCode
from domain.model import Action, Order
from domain.ports import AuditEvent, UnitOfWork
from domain.requests import SYSTEM_ACTOR, Job, JobState
from domain.services import RecoveryAsk, RecoveryService, RemoteRecovery, RemoteState
from domain.status import StatusContext
from domain.window import format_local

MAX_BACKOFF_DOUBLINGS = 16  # far past any cap; keeps the multiplier a small number


@dataclass(frozen=True)
class PollPolicy:
    """How often to look at a pending recovery, how to back off, and when to give up."""

    interval: timedelta  # between looks at a pending recovery (CANCELBOT_POLL_SECONDS)
    timeout: timedelta  # still pending this long after the hand-over: failed
    backoff_cap: timedelta = timedelta(minutes=5)

    def next_look(self, now: datetime, errors: int) -> datetime:
        """After interval; after errors in a row, interval doubled for each, up to the cap."""
        if errors <= 0:
            return now + self.interval
        backoff = self.interval * (1 << min(errors, MAX_BACKOFF_DOUBLINGS))
        return now + min(backoff, max(self.backoff_cap, self.interval))

    @property
    def timeout_words(self) -> str:
        hours = self.timeout / timedelta(hours=1)
        return f"{hours:g} hour{'' if hours == 1 else 's'}"


def hand_over(
    uow_factory: Callable[[], UnitOfWork], job_id: int, owner: str, ctx: StatusContext
) -> Job | None:
    """Hand a job claimed by owner to the order service: waiting, and due a look now. A job
    whose window closed or whose site is not ready fails here, as in cancelbot's own book."""
    with uow_factory() as uow:
        job = uow.jobs.lock_running(job_id, owner)
        if job is None:  # its lease was lost meanwhile
            return uow.jobs.get(job_id)
        order = execution.order_of(uow, job)
        failure = rules.precheck(order, ctx)
        if failure:
            job = execution.record_outcome(uow, job, order, rules.Outcome(failure), ctx.now)
        else:
            job = job.moved(JobState.WAITING, waiting_since=ctx.now, next_poll_at=ctx.now)
            uow.jobs.update(job)
            uow.jobs.let_go(job_id, owner)  # the pollers lease it from now on
        uow.commit()
        return job


def look(
    uow_factory: Callable[[], UnitOfWork], service: RecoveryService, job: Job, owner: str,
    now: datetime, policy: PollPolicy,
) -> Job:
    """One look at the order service for a waiting job owner leases: settle it, fail it when it
    has waited too long, or record what was seen and when to look again."""
    seen, problem = _ask(uow_factory, service, job)  # outside any transaction: it may be slow
    with uow_factory() as uow:
        held = uow.jobs.lock_waiting(job.stored_id, owner)
        if held is None:  # settled by another poller, or its lease was taken over meanwhile
            return _stored(uow, job.stored_id)
        if seen is not None and problem is None and seen.state is not RemoteState.PENDING:
            done = _settle(uow, held, seen, now)
        elif now >= held.handed_over_at + policy.timeout:
            done = _time_out(uow, held, seen, problem, policy, now)
        else:
            done = _wait_again(uow, held, seen, problem, policy, now)
            uow.jobs.let_go(held.stored_id, owner)
        uow.commit()
    return done


def _stored(uow: UnitOfWork, job_id: int) -> Job:
    job = uow.jobs.get(job_id)
    if job is None:  # jobs are never deleted
        raise ValueError(f"job {job_id} does not exist")
    return job


def _ask(uow_factory: Callable[[], UnitOfWork], service: RecoveryService,
         job: Job) -> tuple[RemoteRecovery | None, str | None]:
    """What the service says about the job's recovery, or why there is no usable answer."""
    try:
        if job.recovery_id is None:
            with uow_factory() as uow:
                key = uow.jobs.service_key(job.stored_id)
            seen = service.start(RecoveryAsk(job.action, job.packing_no, key))
        else:
            seen = service.status(job.recovery_id)
    except RecoveryServiceUnavailable as exc:
        return None, str(exc) or type(exc).__name__
    return seen, mismatch(job, seen)


def mismatch(job: Job, seen: RemoteRecovery) -> str | None:
    """Why an answer cannot be the job's recovery, or cannot be written to the book; None if
    it can. Such an answer is an error: looked at again later, never settled."""
    if job.recovery_id is not None and seen.id != job.recovery_id:
        return f"asked about recovery {job.recovery_id}, the order service answered about {seen.id}"
    if seen.packing_no is not None and seen.packing_no != job.packing_no:
        return (f"the order service's recovery {seen.id} is for packing number "
                f"{seen.packing_no}, not {job.packing_no}")
    if (seen.state is RemoteState.SUCCEEDED and job.action is Action.RESYNC
            and (not seen.new_packing_no or seen.new_packing_no == job.packing_no)):
        return (f"the order service says the resync {seen.id} succeeded "
                "but gives no new packing number")
    if seen.state is RemoteState.FAILED and seen.failure is None:
        return f"the order service says recovery {seen.id} failed but gives no failure"
    return None


def _settle(uow: UnitOfWork, job: Job, seen: RemoteRecovery, now: datetime) -> Job:
    """The service's final answer, written as a job run in cancelbot's own book writes it."""
    order = execution.order_of(uow, job)
    _note_started(uow, job, seen.id, now)
    job = replace(job, recovery_id=seen.id, last_error="")
    if seen.state is RemoteState.FAILED:
        outcome = rules.Outcome(seen.failure)
    elif job.action is Action.RESTORE:
        outcome = rules.restored(order)
    elif seen.new_packing_no:  # mismatch() lets through no successful resync without one
        outcome = _resynced(uow, job, order, seen.new_packing_no)
    else:
        raise ValueError(f"recovery {seen.id}: a resync settled without a new packing number")
    return execution.record_outcome(uow, job, order, outcome, now)


def _resynced(uow: UnitOfWork, job: Job, order: Order, new_packing_no: str) -> rules.Outcome:
    outcome = rules.resynced_by_service(order, new_packing_no)
    existing = uow.orders.get(new_packing_no)
    if existing is None:
        return outcome
    # Smartship's copy of the new order reached the book first: linked to the old, not made
    # again (what cancelbot's recoveries did is cancelbot's to record)
    linked = replace(existing, resynced_from=order.packing_no,
                     created_by_job=existing.created_by_job or job.id)
    uow.orders.update(linked)
    return replace(outcome, created=linked)


def _time_out(uow: UnitOfWork, job: Job, seen: RemoteRecovery | None, problem: str | None,
              policy: PollPolicy, now: datetime) -> Job:
    """Still not final after the timeout: failed as a server error (a new request is allowed)."""
    recovery_id = job.recovery_id or (seen.id if seen is not None and problem is None else None)
    if recovery_id:
        _note_started(uow, job, recovery_id, now)
    what = f"recovery {recovery_id}" if recovery_id else "the recovery"
    detail = (f"the order service had not finished {what} {policy.timeout_words} after "
              "cancelbot asked for it")
    if problem:
        detail += f"; last error: {problem}"
    order = execution.order_of(uow, job)
    job = replace(job, recovery_id=recovery_id, last_error=problem or "")
    return execution.record_outcome(
        uow, job, order, rules.Outcome(Failure(FailureCode.SERVER_ERROR, detail)), now)


def _wait_again(uow: UnitOfWork, job: Job, seen: RemoteRecovery | None, problem: str | None,
                policy: PollPolicy, now: datetime) -> Job:
    """Pending, or no usable answer: remember the id and the error, and when to look next."""
    errors = job.service_errors + 1 if problem else 0
    recovery_id = job.recovery_id or (seen.id if seen is not None and problem is None else None)
    if recovery_id:
        _note_started(uow, job, recovery_id, now)
    waited = replace(job, recovery_id=recovery_id, service_errors=errors,
                     last_error=problem or "", next_poll_at=policy.next_look(now, errors))
    uow.jobs.update(waited)
    return waited


def _note_started(uow: UnitOfWork, job: Job, recovery_id: str, now: datetime) -> None:
    """The audit event for the service's first answer that names the recovery."""
    if job.recovery_id is not None:
        return
    uow.audit.record(AuditEvent(
        now, SYSTEM_ACTOR, "sent", job.packing_no, job.request_id, job.id,
        f"to Smartship's order service, which started it as recovery {recovery_id}",
    ))


def waiting_words(job: Job, zone: tzinfo) -> str:
    """How a job waiting on the order service stands, for `jobs` listings."""
    since = format_local(job.waiting_since, zone) if job.waiting_since else "?"
    recovery = f"recovery {job.recovery_id}" if job.recovery_id else "not yet accepted"
    words = f"waiting on the order service since {since} ({recovery})"
    if job.service_errors:
        plural = "s" if job.service_errors != 1 else ""
        words += f", {job.service_errors} error{plural} in a row, last: {job.last_error}"
    if job.next_poll_at:
        words += f"; next look {format_local(job.next_poll_at, zone)}"
    return words
