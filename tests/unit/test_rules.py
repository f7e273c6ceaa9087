"""Rules 2-5: who may request what, and what a resync or restore does when its job runs."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain import rules
from domain.failures import Failure, FailureCode
from domain.model import (
    Action,
    CancelledBy,
    Category,
    OrderState,
    Origin,
    Recovery,
    SalesOrder,
    SalesOrderStatus,
    Stage,
    category_of,
)
from tests.unit.fakes import CANCELLED_AT, KST, SEOUL, active, cancelled, ctx

UTC = UTC
NOW = CANCELLED_AT + timedelta(days=6)
CLOSED_NOW = CANCELLED_AT + timedelta(days=16, minutes=57)
OLD = "QSP2611060001"
NEW = "RSY2611120001"


@pytest.mark.parametrize(
    "origin, by, category, label, action",
    [
        (Origin.API, CancelledBy.SELLER, Category.API, "Delivery Cancelled (Sales Site API)",
         Action.RESYNC),
        (Origin.EXCEL, CancelledBy.SELLER, Category.EXCEL,
         "Delivery Cancelled (Excel/Manual Registered)", Action.RESTORE),
        (Origin.MANUAL, CancelledBy.SELLER, Category.EXCEL,
         "Delivery Cancelled (Excel/Manual Registered)", Action.RESTORE),
        (Origin.API, CancelledBy.SALES_SITE, Category.SITE, "Sales Site Order Cancel", None),
    ],
)
def test_cancellation_lands_in_the_menus_tab(origin, by, category, label, action):
    assert category_of(origin, by) is category
    assert category.label == label
    assert category.action is action


@pytest.mark.parametrize("origin", [Origin.EXCEL, Origin.MANUAL])
def test_only_api_orders_can_be_cancelled_at_the_sales_site(origin):
    with pytest.raises(ValueError):
        category_of(origin, CancelledBy.SALES_SITE)


@pytest.mark.parametrize(
    "order, now, not_ready, action, reason",
    [
        (cancelled(OLD), NOW, (), Action.RESYNC, None),
        (cancelled(OLD, origin=Origin.EXCEL), NOW, (), Action.RESTORE, None),
        (cancelled(OLD, origin=Origin.MANUAL), NOW, ("tmon",), Action.RESTORE, None),
        (cancelled(OLD, recovery=Recovery.FAILED_RETRY), NOW, (), Action.RESYNC, None),
        (cancelled(OLD, recovery=Recovery.AWAITING), NOW, (), Action.RESYNC,
         "A request for this order is already waiting for approval."),
        (cancelled(OLD, recovery=Recovery.IN_PROGRESS), NOW, (), Action.RESYNC,
         "The order is Resyncing; there is nothing to request."),
        (cancelled(OLD, origin=Origin.EXCEL, recovery=Recovery.DONE), NOW, (), Action.RESTORE,
         "The order is Recovered; there is nothing to request."),
        (cancelled(OLD), CLOSED_NOW, (), Action.RESYNC,
         "Resync Unavailable: cancelled 16 days ago; requests closed on 2026-11-20 14:03 KST."),
        (cancelled(OLD, origin=Origin.EXCEL, recovery=Recovery.FAILED_RETRY), CLOSED_NOW, (),
         Action.RESTORE,
         "Unrecoverable: cancelled 16 days ago; requests closed on 2026-11-20 14:03 KST."),
        (cancelled(OLD), NOW, ("tmon",), Action.RESYNC,
         "Resync Unavailable: the tmon service is not ready."),
        (cancelled(OLD, origin=Origin.EXCEL, recovery=Recovery.FAILED_RETRY), NOW, (),
         Action.RESTORE, None),
        (cancelled(OLD, recovery=Recovery.FAILED_RETRY), NOW, ("tmon",), Action.RESYNC,
         "Resync Unavailable: the tmon service is not ready."),
        (cancelled(OLD, cancelled_by=CancelledBy.SALES_SITE, recovery=Recovery.FAILED_RETRY),
         NOW, (), None, "The buyer cancelled this order at the sales site; nothing can be done."),
        (cancelled(OLD, cancelled_by=CancelledBy.SALES_SITE), NOW, (), None,
         "The buyer cancelled this order at the sales site; nothing can be done."),
        (active(OLD), NOW, (), None, f"{OLD} is not a cancelled delivery."),
    ],
    ids=["api", "excel", "manual-site-not-ready", "failed-resync", "awaiting", "in-progress",
         "done", "closed", "closed-failed", "site-not-ready", "failed-restore",
         "failed-site-not-ready", "moved-to-site-cancel", "site-cancel", "active"],
)
def test_request_check_allows_or_says_why_not(order, now, not_ready, action, reason):
    check = rules.check_request(order, ctx(now, not_ready))
    assert check.action is action
    assert check.allowed is (reason is None)
    assert check.reasons == (() if reason is None else (reason,))


PAID_CANCELLED = [
    # (payment_at, cancelled_at, different Seoul calendar days)
    (datetime(2026, 11, 10, 23, 59, tzinfo=KST), datetime(2026, 11, 11, 0, 1, tzinfo=KST), True),
    (datetime(2026, 11, 10, 15, 30, tzinfo=UTC), datetime(2026, 11, 11, 10, 0, tzinfo=KST), False),
    (datetime(2026, 11, 10, 10, 0, tzinfo=KST), datetime(2026, 11, 10, 22, 0, tzinfo=KST), False),
    (datetime(2026, 11, 10, 14, 59, tzinfo=UTC), datetime(2026, 11, 10, 15, 1, tzinfo=UTC), True),
    (datetime(2026, 11, 9, 12, 0, tzinfo=KST), datetime(2026, 11, 11, 12, 0, tzinfo=KST), True),
]


@pytest.mark.parametrize("paid, cancelled_at, differ", PAID_CANCELLED)
def test_resync_request_warns_when_paid_and_cancelled_on_different_seoul_days(
    paid, cancelled_at, differ
):
    order = cancelled(OLD, payment_at=paid, cancelled_at=cancelled_at)
    check = rules.check_request(order, ctx(cancelled_at + timedelta(days=1)))
    assert check.allowed
    if differ:
        (warning,) = check.warnings
        assert f"cancelled on {cancelled_at.astimezone(SEOUL):%Y-%m-%d}" in warning
        assert f"paid on {paid.astimezone(SEOUL):%Y-%m-%d}" in warning
        assert "resync may fail" in warning
    else:
        assert check.warnings == ()


@pytest.mark.parametrize(
    "changes",
    [dict(origin=Origin.EXCEL), dict(payment_at=None),
     dict(cancelled_by=CancelledBy.SALES_SITE)],
    ids=["restore", "no-payment-date", "site-cancel"],
)
def test_no_date_warning_where_no_resync_can_fail_for_it(changes):
    paid = datetime(2026, 11, 1, 12, 0, tzinfo=KST)
    order = cancelled(OLD, **{"payment_at": paid, **changes})
    assert rules.check_request(order, ctx(NOW)).warnings == ()


def sales_order(status, **changes):
    fields = dict(sales_site="tmon", sales_order_no=f"SO-{OLD}", status=status)
    fields.update(changes)
    return SalesOrder(**fields)


@pytest.mark.parametrize(
    "sales, code",
    [
        (sales_order(SalesOrderStatus.CLAIM), FailureCode.ON_CLAIM),
        (sales_order(SalesOrderStatus.IN_DELIVERY), FailureCode.IN_DELIVERY),
        (sales_order(SalesOrderStatus.CANCELLED), FailureCode.CANCELLED_AT_SALES_SITE),
        (sales_order(SalesOrderStatus.MISSING), FailureCode.SALES_ORDER_NOT_FOUND),
        (None, FailureCode.SALES_ORDER_NOT_FOUND),
    ],
    ids=["claim", "in_delivery", "cancelled", "missing", "no-row"],
)
def test_resync_fails_for_sales_order_that_cannot_be_reimported(sales, code):
    outcome = rules.resync(cancelled(OLD), sales, NEW, SEOUL)
    assert not outcome.succeeded
    assert outcome.failure.code is code
    assert outcome.created is None and outcome.cancelled is None


@pytest.mark.parametrize("sales", [None, sales_order(SalesOrderStatus.MISSING)])
@pytest.mark.parametrize("paid, cancelled_at, differ", PAID_CANCELLED)
def test_not_found_names_the_date_mismatch_as_likely_cause_only_when_dates_differ(
    sales, paid, cancelled_at, differ
):
    order = cancelled(OLD, payment_at=paid, cancelled_at=cancelled_at)
    failure = rules.resync(order, sales, NEW, SEOUL).failure
    assert failure.code is FailureCode.SALES_ORDER_NOT_FOUND
    assert ("likely cause" in failure.detail) is differ
    assert ("likely cause" in failure.describe()) is differ


def test_resync_makes_a_new_active_order_and_supersedes_the_old_one():
    old = cancelled(OLD, recovery=Recovery.IN_PROGRESS, id=7)
    outcome = rules.resync(old, sales_order(SalesOrderStatus.VALID), NEW, SEOUL)
    assert outcome.succeeded and outcome.result_packing_no == NEW
    new = outcome.created
    assert (new.packing_no, new.state, new.stage) == (NEW, OrderState.ACTIVE, Stage.CONFIRMATION)
    assert new.resynced_from == OLD
    assert (new.seller_id, new.sales_site, new.sales_order_no, new.origin) == (
        old.seller_id, old.sales_site, old.sales_order_no, old.origin)
    assert new.cancelled_at is None and new.recovery is Recovery.NONE and new.id is None
    assert outcome.cancelled.superseded_by == NEW
    assert outcome.cancelled.recovery is Recovery.DONE
    assert outcome.cancelled.state is OrderState.CANCELLED
    assert outcome.cancelled.id == 7


@pytest.mark.parametrize(
    "changes, expected",
    [
        (dict(recipient="Lee Jiho", items="2x mug, 1x lid",
              payment_at=datetime(2026, 11, 7, 9, 0, tzinfo=KST)),
         ("Lee Jiho", "2x mug, 1x lid", datetime(2026, 11, 7, 9, 0, tzinfo=KST))),
        (dict(), ("Kim Minji", "1x mug", CANCELLED_AT - timedelta(hours=2))),
        (dict(items="3x mug"), ("Kim Minji", "3x mug", CANCELLED_AT - timedelta(hours=2))),
    ],
    ids=["all-changed", "unchanged", "items-changed"],
)
def test_changes_at_the_sales_site_after_cancellation_are_carried_into_the_new_order(
    changes, expected
):
    outcome = rules.resync(cancelled(OLD), sales_order(SalesOrderStatus.VALID, **changes), NEW,
                           SEOUL)
    new = outcome.created
    assert (new.recipient, new.items, new.payment_at) == expected


def test_restore_without_duplicates_keeps_packing_number_and_data():
    old = cancelled(OLD, origin=Origin.EXCEL, recovery=Recovery.IN_PROGRESS)
    outcome = rules.restore(old, [old])
    restored = outcome.cancelled
    assert outcome.succeeded and outcome.created is None
    assert outcome.result_packing_no == OLD
    assert (restored.state, restored.stage, restored.recovery) == (
        OrderState.ACTIVE, Stage.CONFIRMATION, Recovery.DONE)
    assert (restored.recipient, restored.items, restored.payment_at, restored.sales_order_no) == (
        old.recipient, old.items, old.payment_at, old.sales_order_no)


@pytest.mark.parametrize(
    "duplicates, detail",
    [(["ACC000009"], "duplicates: ACC000009"),
     (["ACC000012", "ACC000009"], "duplicates: ACC000009, ACC000012")],
)
def test_restore_with_live_duplicates_fails_naming_their_packing_numbers(duplicates, detail):
    old = cancelled(OLD, origin=Origin.EXCEL)
    outcome = rules.restore(old, [active(n, origin=Origin.EXCEL) for n in duplicates])
    assert outcome.failure == Failure(FailureCode.DUPLICATE_ALIVE, detail)
    assert detail in outcome.failure.describe()


@pytest.mark.parametrize(
    "order, now, not_ready, code",
    [
        (cancelled(OLD), NOW, (), None),
        (cancelled(OLD), CLOSED_NOW, (), FailureCode.WINDOW_CLOSED),
        (cancelled(OLD, origin=Origin.EXCEL), CLOSED_NOW, (), FailureCode.WINDOW_CLOSED),
        (cancelled(OLD), NOW, ("tmon",), FailureCode.SITE_NOT_READY),
        (cancelled(OLD, origin=Origin.EXCEL), NOW, ("tmon",), None),
    ],
)
def test_job_checks_window_and_site_before_touching_anything(order, now, not_ready, code):
    failure = rules.precheck(order, ctx(now, not_ready))
    assert (failure.code if failure else None) is code


FAILURES = [
    # (code, a new request may follow, the reason, what to check first / what follows)
    (FailureCode.SALES_ORDER_NOT_FOUND, True, "cannot find the sales order",
     "check on the sales site that the sales order exists"),
    (FailureCode.CANCELLED_AT_SALES_SITE, False, "cancelled at the sales site",
     "moved to the Sales Site Order Cancel tab"),
    (FailureCode.ON_CLAIM, True, "on claim (return, exchange or cancel claim)",
     "check the claim on the sales site first"),
    (FailureCode.IN_DELIVERY, True, "already in delivery",
     "check the delivery on the sales site first"),
    (FailureCode.DUPLICATE_ALIVE, True, "active duplicate", "check the duplicates first"),
    (FailureCode.WINDOW_CLOSED, False, "14-day request window closed",
     "no new request can be made"),
    (FailureCode.SITE_NOT_READY, True, "not ready", "once the service is ready"),
    (FailureCode.SERVER_ERROR, True, "server error",
     "check the order status on the sales site"),
]


@pytest.mark.parametrize("code, retryable, reason, advice", FAILURES)
def test_every_failure_says_what_to_check_first_and_whether_to_ask_again(
    code, retryable, reason, advice
):
    assert code.retryable is retryable
    assert reason in code.explanation
    assert advice in code.advice
    described = Failure(code).describe()
    assert ("a new request is allowed" in described.lower()) is retryable
    assert "will not help" not in described


def test_every_failure_code_has_a_row_in_the_table():
    assert [row[0] for row in FAILURES] == list(FailureCode)


@pytest.mark.parametrize(
    "failure, sentence",
    [
        (Failure(FailureCode.ON_CLAIM),
         "The sales order is on claim (return, exchange or cancel claim). Check the claim on the "
         "sales site first: once it is withdrawn or closed, a new request is allowed."),
        (Failure(FailureCode.DUPLICATE_ALIVE, "duplicates: ACC000009, ACC000012"),
         "An active duplicate of the order exists (duplicates: ACC000009, ACC000012). "
         "Check the duplicates first: once they are cancelled, a new request is allowed."),
        (Failure(FailureCode.SERVER_ERROR, "503 Service Unavailable"),
         "A server error stopped the job (503 Service Unavailable). Check the order status on "
         "the sales site; a new request is allowed."),
        (Failure(FailureCode.CANCELLED_AT_SALES_SITE),
         "The sales order was cancelled at the sales site. The order moved to the Sales Site "
         "Order Cancel tab and can no longer be resynced or restored."),
        (Failure(FailureCode.WINDOW_CLOSED),
         "The 14-day request window closed before the job ran. No new request can be made."),
    ],
)
def test_failure_reads_as_reason_then_advice(failure, sentence):
    assert failure.describe() == sentence


@pytest.mark.parametrize("code", [c for c in FailureCode
                                  if c is not FailureCode.CANCELLED_AT_SALES_SITE])
def test_a_failed_job_leaves_its_order_failed_in_its_tab(code):
    order = cancelled(OLD, recovery=Recovery.IN_PROGRESS)
    after = rules.after_failure(order, Failure(code))
    assert after == replace(order, recovery=Recovery.FAILED_RETRY)
    assert rules.check_request(after, ctx(NOW)).allowed  # the window is open, the site ready


def test_a_resync_finding_the_sales_order_cancelled_moves_the_order_to_sales_site_order_cancel():
    order = cancelled(OLD, recovery=Recovery.IN_PROGRESS)
    after = rules.after_failure(order, Failure(FailureCode.CANCELLED_AT_SALES_SITE))
    assert (after.category, after.cancelled_by) == (Category.SITE, CancelledBy.SALES_SITE)
    assert (after.state, after.cancelled_at, after.packing_no) == (
        order.state, order.cancelled_at, order.packing_no)
    assert rules.check_request(after, ctx(NOW)).action is None
