"""Rows to domain objects and back."""
from __future__ import annotations

from typing import Any

from domain.failures import FailureCode
from domain.model import (
    Action,
    CancelledBy,
    Order,
    OrderState,
    Origin,
    Recovery,
    SalesOrder,
    SalesOrderStatus,
    Stage,
)
from domain.ports import AuditEvent
from domain.requests import Decision, Job, JobState, Request
from store.models import AuditRow, JobRow, RequestRow, SalesOrderRow

ORDER_FIELDS = (
    "packing_no", "seller_id", "sales_site", "sales_order_no", "cancelled_at", "payment_at",
    "recipient", "items", "superseded_by", "resynced_from", "created_by_job", "updated_at",
)


def order_values(order: Order) -> dict[str, Any]:
    """Column values of an order, category included."""
    values = {name: getattr(order, name) for name in ORDER_FIELDS}
    category = order.category
    values.update(
        sales_site=order.sales_site.lower(),  # lists match not-ready sites in lower case
        origin=order.origin.value,
        state=order.state.value,
        stage=order.stage.value if order.stage else None,
        cancelled_by=order.cancelled_by.value if order.cancelled_by else None,
        category=category.value if category else None,
        recovery=order.recovery.value,
    )
    return values


def to_order(row: Any) -> Order:
    """An Order from an OrderRow or a result row with the same column names."""
    return Order(
        id=row.id,
        origin=Origin(row.origin),
        state=OrderState(row.state),
        stage=Stage(row.stage) if row.stage else None,
        cancelled_by=CancelledBy(row.cancelled_by) if row.cancelled_by else None,
        recovery=Recovery(row.recovery),
        **{name: getattr(row, name) for name in ORDER_FIELDS},
    )


def to_sales_order(row: SalesOrderRow) -> SalesOrder:
    return SalesOrder(
        sales_site=row.sales_site,
        sales_order_no=row.sales_order_no,
        status=SalesOrderStatus(row.status),
        payment_at=row.payment_at,
        recipient=row.recipient,
        items=row.items,
        updated_at=row.updated_at,
    )


def sales_order_values(order: SalesOrder) -> dict[str, Any]:
    return {
        "sales_site": order.sales_site,
        "sales_order_no": order.sales_order_no,
        "status": order.status.value,
        "payment_at": order.payment_at,
        "recipient": order.recipient,
        "items": order.items,
        "updated_at": order.updated_at,
    }


REQUEST_FIELDS = (
    "requested_by", "requested_at", "note", "decided_by", "decided_at", "reject_reason",
    "channel_id", "message_ts",
)


def request_values(request: Request) -> dict[str, Any]:
    values = {name: getattr(request, name) for name in REQUEST_FIELDS}
    values.update(action=request.action.value, decision=request.decision.value)
    return values


def to_request(row: RequestRow) -> Request:
    return Request(
        id=row.id,
        action=Action(row.action),
        decision=Decision(row.decision),
        **{name: getattr(row, name) for name in REQUEST_FIELDS},
    )


JOB_FIELDS = (
    "request_id", "order_id", "packing_no", "failure_detail", "result_packing_no", "attempts",
    "created_at", "finished_at", "recovery_id", "waiting_since", "next_poll_at",
    "service_errors", "last_error",
)


def job_values(job: Job) -> dict[str, Any]:
    values = {name: getattr(job, name) for name in JOB_FIELDS}
    values.update(
        action=job.action.value,
        state=job.state.value,
        failure_code=job.failure_code.value if job.failure_code else None,
        prior_recovery=job.prior_recovery.value,
    )
    return values


def to_job(row: JobRow) -> Job:
    return Job(
        id=row.id,
        action=Action(row.action),
        state=JobState(row.state),
        failure_code=FailureCode(row.failure_code) if row.failure_code else None,
        prior_recovery=Recovery(row.prior_recovery),
        **{name: getattr(row, name) for name in JOB_FIELDS},
    )


AUDIT_FIELDS = ("at", "actor", "kind", "packing_no", "request_id", "job_id", "detail")


def to_audit(row: AuditRow) -> AuditEvent:
    return AuditEvent(**{name: getattr(row, name) for name in AUDIT_FIELDS})


def audit_values(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in AUDIT_FIELDS}
