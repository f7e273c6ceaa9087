"""Keeping the book current (rules 11 and 12): what a copy of an order from Smartship (a CSV row
or a feed record, with its updated_at) does to the order the book holds, and the use case that
applies a batch of such copies through the unit of work.

Smartship owns the order's fields; cancelbot owns requests, jobs, the audit trail and what its
own recoveries did (recovery, superseded_by, resynced_from, created_by_job): a newer copy never
touches those.
"""
from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from domain.model import Order, OrderState, Recovery
from domain.ports import AuditEvent, UnitOfWork
from domain.requests import SYSTEM_ACTOR, Decision, Job, JobState
from domain.withdrawal import Withdrawal, reactivated_reason

# the fields a copy from Smartship sets; everything else on an Order is cancelbot's
SMARTSHIP_FIELDS = (
    "seller_id", "sales_site", "sales_order_no", "origin", "state", "stage", "cancelled_at",
    "cancelled_by", "payment_at", "recipient", "items", "updated_at",
)
# a job in these states has not run yet, so it can still be withdrawn (rule 12)
WITHDRAWABLE = (JobState.AWAITING_APPROVAL, JobState.QUEUED)


class Change(str, enum.Enum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Synced:
    """What one copy does: the change, and the order to write (None when unchanged)."""

    change: Change
    order: Order | None = None
    reactivated: bool = False  # a cancelled order Smartship reports active again (rule 12)

    @property
    def cancelled(self) -> bool:
        """An update that cancels an order: it enters its tab, its window runs from
        cancelled_at."""
        return self.change is Change.UPDATED and self.order is not None \
            and self.order.state is OrderState.CANCELLED and not self.reactivated


def is_newer(incoming: Order, stored: Order) -> bool:
    """Whether a copy is newer than the stored order: a dated copy is newer than an order
    never dated (imported without updated_at), and a copy without a date is never newer."""
    if incoming.updated_at is None:
        return False
    return stored.updated_at is None or incoming.updated_at > stored.updated_at


def sync_order(stored: Order | None, incoming: Order) -> Synced:
    """Rule 11: a new packing number is inserted as it is; a newer copy updates Smartship's
    fields only; an equal or older copy changes nothing."""
    if stored is None:
        return Synced(Change.NEW, replace(incoming, recovery=Recovery.NONE, superseded_by=None,
                                          resynced_from=None, created_by_job=None, id=None))
    if not is_newer(incoming, stored):
        return Synced(Change.UNCHANGED)
    updated = replace(stored, **{name: getattr(incoming, name) for name in SMARTSHIP_FIELDS})
    was_cancelled = stored.state is OrderState.CANCELLED
    if not was_cancelled and updated.state is OrderState.CANCELLED:
        # a fresh cancellation: whatever an earlier recovery did is not this one's status
        updated = replace(updated, recovery=Recovery.NONE)
    reactivated = was_cancelled and updated.state is OrderState.ACTIVE
    return Synced(Change.UPDATED, updated, reactivated)


@dataclass
class SyncTally:
    """What a batch did: counts per change, and the jobs withdrawn (rule 12)."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: list[Job] = field(default_factory=list)

    def add(self, other: SyncTally) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.withdrawn += other.withdrawn

    @property
    def summary(self) -> str:
        """`N new, M updated, K unchanged`."""
        return f"{self.new:,} new, {self.updated:,} updated, {self.unchanged:,} unchanged"


def apply_orders(uow: UnitOfWork, incoming: Sequence[Order], now: datetime) -> SyncTally:
    """Apply a batch of copies from Smartship (each with its updated_at) in uow; the caller
    commits (the feed with its cursor, an import once for the whole file). A packing number
    twice in the batch is applied in turn, the later copy against the earlier."""
    tally = SyncTally()
    stored = uow.orders.get_many(sorted({order.packing_no for order in incoming}))
    fresh: dict[str, Order] = {}  # new orders of this batch, written together at the end
    for copy in incoming:
        key = copy.packing_no
        synced = sync_order(fresh.get(key) or stored.get(key), copy)
        if synced.change is Change.UNCHANGED or synced.order is None:
            tally.unchanged += 1
        elif key in fresh or synced.change is Change.NEW:
            tally.new += synced.change is Change.NEW
            tally.updated += synced.change is Change.UPDATED
            fresh[key] = synced.order
        else:
            tally.updated += 1
            order = synced.order
            if synced.reactivated:
                order, withdrawn = withdraw_for_reactivated(uow, order, now)
                tally.withdrawn += withdrawn
            uow.orders.update(order)
            stored[key] = order
    if fresh:
        uow.orders.add_many(list(fresh.values()))
    return tally


def withdraw_for_reactivated(uow: UnitOfWork, order: Order, now: datetime) -> tuple[
        Order, list[Job]]:
    """Rule 12: withdraw the order's job that waits for approval or is approved and not yet
    run; its thread is told why and the trail records it. The order (given back the recovery
    it had before that request) and the jobs withdrawn."""
    reason = reactivated_reason(order.packing_no)
    withdrawn = []
    for job in uow.jobs.for_order(order.stored_id):
        if job.state not in WITHDRAWABLE:
            continue
        done = job.moved(JobState.WITHDRAWN, finished_at=now)
        uow.jobs.update(done)
        uow.audit.record(AuditEvent(now, SYSTEM_ACTOR, "withdrawn", job.packing_no,
                                    job.request_id, job.id, reason))
        uow.outbox.add(Withdrawal.of(job, reason).message(job.request_id, now))
        _settle_request(uow, job.request_id, reason, now)
        order = replace(order, recovery=job.prior_recovery)
        withdrawn.append(done)
    return order, withdrawn


def _settle_request(uow: UnitOfWork, request_id: int, reason: str, now: datetime) -> None:
    """A pending request with nothing left to approve is decided by the bot, so that its
    Approve button answers that it was withdrawn."""
    request = uow.requests.get(request_id)
    if request is None or request.decision is not Decision.PENDING:
        return
    if any(job.state is JobState.AWAITING_APPROVAL for job in uow.jobs.for_request(request_id)):
        return
    uow.requests.decide(request.decide(Decision.REJECTED, SYSTEM_ACTOR, now,
                                       f"withdrawn: {reason}"))
