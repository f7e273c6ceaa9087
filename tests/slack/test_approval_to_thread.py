"""A request made and approved in Slack ends with its result in the request message's thread,
once the worker runs the job and delivers the outbox the way the scheduler does."""
from __future__ import annotations

from datetime import timedelta

from bot.worker import JobWorker
from domain.model import Origin, SalesOrderStatus
from handlers.actions import APPROVE
from handlers.thread_results import deliver_due
from store.embedded_sales_site import EmbeddedSalesSite
from tests.integration.builders import cancelled
from tests.slack.conftest import client_for
from tests.slack.requesting import press, request_through_modal, view_text
from tests.slack.scenarios import APPROVALS, APPROVER, REQUESTER, with_sales_orders
from tests.slack.signed import buttons

API_NO = "QSP2611230001"
EXCEL_NO = "ACC000002"
OWNER = "bot-test:1:worker"


def run_like_the_scheduler(app, minutes: int = 1) -> None:
    """One poll of the job runner, then one of the outbox delivery."""
    app.clock.now += timedelta(minutes=minutes)
    worker = JobWorker(app.uow, EmbeddedSalesSite(app.sessions), app.settings, OWNER, app.clock)
    assert worker.run_due() == 1
    assert deliver_due(app.uow, client_for(app.fake), OWNER, app.clock()) == 1


def approved_in_slack(app, packing_no: str) -> dict:
    message, _ = request_through_modal(app, packing_no, note="seller called")
    press(app, message, APPROVE, APPROVER)
    app.fake.wait_for(lambda: app.fake.replies(APPROVALS, message["ts"]))  # the decision
    return message


def test_an_approved_resync_ends_with_the_new_packing_number_in_the_thread(running_app):
    with_sales_orders(running_app.uow, running_app.sessions,
                      (cancelled(API_NO), SalesOrderStatus.VALID))
    message = approved_in_slack(running_app, API_NO)

    run_like_the_scheduler(running_app)

    decision, result = running_app.fake.replies(APPROVALS, message["ts"])
    assert decision["text"].startswith(f"Approved by <@{APPROVER}>")
    assert result["text"].startswith("Resynced · new packing number QSP")
    with running_app.uow() as uow:
        new_no = uow.orders.get(API_NO).superseded_by
    assert new_no and new_no in result["text"] and f"<@{REQUESTER}>" in result["text"]
    final = running_app.fake.message(APPROVALS, message["ts"])
    assert buttons(final) == []
    shown = view_text(final)
    assert "*Resync request #1* · Resynced" in shown and f"→ *{new_no}*" in shown


def test_an_approved_restore_ends_with_the_kept_packing_number_in_the_thread(running_app):
    with_sales_orders(running_app.uow, running_app.sessions,
                      (cancelled(EXCEL_NO, origin=Origin.EXCEL), None))
    message = approved_in_slack(running_app, EXCEL_NO)

    run_like_the_scheduler(running_app)

    result = running_app.fake.replies(APPROVALS, message["ts"])[-1]
    assert result["text"].startswith("Recovered") and EXCEL_NO in result["text"]
    assert "*Restore request #1* · Recovered" in view_text(
        running_app.fake.message(APPROVALS, message["ts"]))
