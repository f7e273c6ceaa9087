"""Whether a request may be made now, and what a resync or restore does when its job runs."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

from domain import window
from domain.failures import Failure, FailureCode
from domain.model import (
    Action,
    CancelledBy,
    Category,
    Order,
    Recovery,
    SalesOrder,
    SalesOrderStatus,
)
from domain.status import Phase, StatusContext, status_of


@dataclass(frozen=True)
class RequestCheck:
    """The answer to 'may I request a resync/restore of this order now?'."""

    action: Action | None
    allowed: bool
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def date_mismatch_warning(order: Order, zone: tzinfo) -> str | None:
    """Rule 2's warning: a cancellation on another calendar day than the payment."""
    if order.category is not Category.API or not order.payment_at or not order.cancelled_at:
        return None
    if window.same_business_day(order.cancelled_at, order.payment_at, zone):
        return None
    return (
        f"The order was cancelled on {order.cancelled_at.astimezone(zone):%Y-%m-%d} but paid on "
        f"{order.payment_at.astimezone(zone):%Y-%m-%d}; the sales site may not find it, "
        "and the resync may fail."
    )


def check_request(order: Order, ctx: StatusContext) -> RequestCheck:
    """May a resync/restore of order be requested now, and what should the requester know."""
    category = order.category
    action = category.action if category else None
    if category is None:
        return RequestCheck(None, False, (f"{order.packing_no} is not a cancelled delivery.",))
    if action is None:
        return RequestCheck(
            None, False, ("The buyer cancelled this order at the sales site; nothing can be done.",)
        )
    status = status_of(order, ctx)
    reasons: list[str] = []
    if order.recovery is Recovery.AWAITING:
        reasons.append("A request for this order is already waiting for approval.")
    elif status.phase is Phase.UNAVAILABLE:
        view = window.window_view(order.when_cancelled, ctx.now, ctx.zone)
        if not view.open:
            reasons.append(f"{status.label}: {view.summary}.")
        else:  # rule 5: a closed window or a site not ready, never a past failure
            reasons.append(f"{status.label}: the {order.sales_site} service is not ready.")
    elif not status.allows_request:
        reasons.append(f"The order is {status.label}; there is nothing to request.")
    warnings = tuple(w for w in (date_mismatch_warning(order, ctx.zone),) if w)
    return RequestCheck(action, not reasons, tuple(reasons), warnings)


def refusal(order: Order, check: RequestCheck, action: Action) -> str | None:
    """Why action cannot be requested for order now (check: check_request's answer for it),
    or None when it can."""
    if not check.allowed:
        return " ".join(check.reasons)
    if check.action is not action:
        past = "resynced" if check.action is Action.RESYNC else "restored"
        return (f"{order.packing_no} is in {order.tab.label}; "
                f"it can only be {past}.")
    return None


@dataclass(frozen=True)
class Outcome:
    """What a job did: the failure, or the orders to write back."""

    failure: Failure | None = None
    cancelled: Order | None = None  # the cancelled order, updated
    created: Order | None = None  # the new order a resync makes

    @property
    def succeeded(self) -> bool:
        return self.failure is None

    @property
    def done(self) -> Order:
        """The cancelled order as a success leaves it; ValueError for a failure (a bug)."""
        if self.cancelled is None:
            raise ValueError("a failed outcome has no order to write back")
        return self.cancelled

    @property
    def result_packing_no(self) -> str:
        """The packing number the order goes on with: a resync's new one, else its own."""
        return self.created.packing_no if self.created else self.done.packing_no


_SALES_STATUS_FAILURES = {
    SalesOrderStatus.CANCELLED: FailureCode.CANCELLED_AT_SALES_SITE,
    SalesOrderStatus.CLAIM: FailureCode.ON_CLAIM,
    SalesOrderStatus.IN_DELIVERY: FailureCode.IN_DELIVERY,
}


def precheck(order: Order, ctx: StatusContext) -> Failure | None:
    """Failures a job meets before it touches anything: the window and site readiness."""
    if not window.is_open(order.when_cancelled, ctx.now, ctx.zone):
        return Failure(FailureCode.WINDOW_CLOSED)
    if order.category is Category.API and not ctx.site_ready(order.sales_site):
        return Failure(FailureCode.SITE_NOT_READY)
    return None


def resync_failure(order: Order, sales_order: SalesOrder | None, zone: tzinfo) -> Failure | None:
    """Why the sales order cannot be resynced (rule 2), or None when it can."""
    if sales_order is None or sales_order.status is SalesOrderStatus.MISSING:
        return Failure(FailureCode.SALES_ORDER_NOT_FOUND, _likely_cause(order, zone))
    code = _SALES_STATUS_FAILURES.get(sales_order.status)
    return Failure(code) if code else None


def _likely_cause(order: Order, zone: tzinfo) -> str:
    """Rule 2's hint for an order the sales site cannot find: paid and cancelled on other days."""
    cancelled, paid = order.cancelled_at, order.payment_at
    # the warning comes only for an order that has both dates
    if date_mismatch_warning(order, zone) is None or cancelled is None or paid is None:
        return ""
    return (f"likely cause: cancellation and payment fall on different days, cancelled on "
            f"{cancelled.astimezone(zone):%Y-%m-%d} but paid on {paid.astimezone(zone):%Y-%m-%d}")


def after_failure(order: Order, failure: Failure) -> Order:
    """The order once its job failed (rule 5): Failed, so that a new request is allowed inside
    the window; a resync that found the sales order cancelled moves it to Sales Site Order
    Cancel instead, where nothing can be requested."""
    failed = replace(order, recovery=Recovery.FAILED_RETRY)
    if failure.moves_to_site_cancel and order.category is Category.API:
        return replace(failed, cancelled_by=CancelledBy.SALES_SITE)
    return failed


def resync(
    order: Order, sales_order: SalesOrder | None, new_packing_no: str, zone: tzinfo
) -> Outcome:
    """Rule 2: re-import the sales order as a new order; the old packing number is superseded."""
    failure = resync_failure(order, sales_order, zone)
    if failure or sales_order is None:
        return Outcome(failure)
    # changes made at the sales site after the cancellation are carried over
    return _resynced(order, new_packing_no, sales_order.payment_at or order.payment_at,
                     sales_order.recipient or order.recipient, sales_order.items or order.items)


def resynced_by_service(order: Order, new_packing_no: str) -> Outcome:
    """Rule 2 carried out by the order service: the new order as the book knows it (the old
    order's data) until Smartship's own copy of it reaches the book."""
    return _resynced(order, new_packing_no, order.payment_at, order.recipient, order.items)


def _resynced(order: Order, new_packing_no: str, payment_at: datetime | None, recipient: str,
              items: str) -> Outcome:
    created = Order(
        packing_no=new_packing_no, seller_id=order.seller_id, sales_site=order.sales_site,
        sales_order_no=order.sales_order_no, origin=order.origin, state=order.state,
        payment_at=payment_at, recipient=recipient, items=items, resynced_from=order.packing_no,
    ).restart_processing()
    cancelled = replace(order, superseded_by=new_packing_no, recovery=Recovery.DONE)
    return Outcome(cancelled=cancelled, created=created)


def restore(order: Order, live_duplicates: list[Order]) -> Outcome:
    """Rule 3: bring the order back with the same packing number unless a duplicate is alive."""
    others = sorted(d.packing_no for d in live_duplicates if d.packing_no != order.packing_no)
    if others:
        return Outcome(Failure(FailureCode.DUPLICATE_ALIVE, "duplicates: " + ", ".join(others)))
    return restored(order)


def restored(order: Order) -> Outcome:
    """A restore done (here, or by the order service): the same packing number, back at the
    start of processing (rule 4)."""
    return Outcome(cancelled=replace(order, recovery=Recovery.DONE).restart_processing())


def deadline_of(order: Order, zone: tzinfo) -> datetime:
    """The order's request deadline."""
    return window.deadline(order.when_cancelled, zone)
