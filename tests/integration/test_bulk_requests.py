"""A bulk request on a real database: one request, one approval, one job and one result each."""
from __future__ import annotations

from domain.bulk import submit_bulk_request
from domain.execution import run_job
from domain.model import Action, Category, SalesOrderStatus
from domain.ports import ListQuery
from domain.requests import JobState
from domain.workflow import ApprovalPolicy, approve
from store.embedded_sales_site import EmbeddedSalesSite
from store.models import OutboxRow
from tests.integration.builders import (
    NOW,
    add_orders,
    add_sales_orders,
    cancelled,
    ctx,
    sales_order_row,
)
from tests.integration.job_support import count

POLICY = ApprovalPolicy(is_approver=lambda user: user == "UAPPROVER")
NUMBERS = [f"QSP26112300{i:02d}" for i in range(1, 6)]


def test_bulk_resync_of_a_list_page_runs_one_job_per_order_under_one_request(uow, sessions):
    orders = add_orders(uow, *(cancelled(n) for n in NUMBERS))
    statuses = [SalesOrderStatus.VALID] * 4 + [SalesOrderStatus.CLAIM]
    add_sales_orders(sessions, *(sales_order_row(o, s)
                                 for o, s in zip(orders, statuses, strict=True)))

    with uow() as u:
        bulk = submit_bulk_request(u, ListQuery(category=Category.API), Action.RESYNC,
                                   "UREQ", "seller asked for all", ctx())
    with uow() as u:
        approved = approve(u, bulk.submitted.request.stored_id, "UAPPROVER", NOW, POLICY)
    site = EmbeddedSalesSite(sessions)
    results = [run_job(uow, site, job.stored_id, ctx()) for job in approved.jobs]

    assert len(approved.jobs) == 5 and bulk.skipped == []
    assert sorted(j.state.value for j in results) == ["failed"] + ["succeeded"] * 4
    assert count(sessions, OutboxRow, OutboxRow.request_id == bulk.submitted.request.id) == 5
    assert all(j.state is JobState.QUEUED for j in approved.jobs)
