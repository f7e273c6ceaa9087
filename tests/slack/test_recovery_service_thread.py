"""A request approved in Slack and carried out by the order service ends in its thread with the
same reply, and the same edited request message, as one carried out in cancelbot's own book."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.worker import JobWorker
from domain.model import SalesOrderStatus
from handlers.actions import APPROVE
from handlers.thread_results import deliver_due
from store.embedded_sales_site import EmbeddedSalesSite
from store.recovery_service_http import HttpRecoveryService
from tests.integration.builders import cancelled
from tests.order_service import TOKEN, OrderServiceStandIn
from tests.slack.conftest import client_for
from tests.slack.requesting import press, request_through_modal, view_text
from tests.slack.scenarios import APPROVALS, APPROVER, with_sales_orders

IN_BOOK, AT_SERVICE = "QSP2611230001", "QSP2611230002"
OWNER = "bot-test:1:worker"


@pytest.fixture
def service() -> Iterator[OrderServiceStandIn]:
    with OrderServiceStandIn() as running:
        yield running


def approved_in_slack(app, packing_no: str) -> dict:
    message, _ = request_through_modal(app, packing_no, note="seller called")
    press(app, message, APPROVE, APPROVER)
    app.fake.wait_for(lambda: app.fake.replies(APPROVALS, message["ts"]))  # the decision
    return message


def poll_once(app, worker: JobWorker) -> int:
    """One poll of the scheduler a minute later: jobs (and waiting jobs), then the outbox."""
    app.clock.now += timedelta(minutes=1)
    worker.run_due()
    return deliver_due(app.uow, client_for(app.fake), OWNER, app.clock())


def finished(app, message: dict, numbers: dict[str, str]) -> tuple[str, str]:
    """The thread's result and the edited request message, with the request's own numbers
    written as placeholders so that two requests' texts can be compared."""
    texts = [app.fake.replies(APPROVALS, message["ts"])[-1]["text"],
             view_text(app.fake.message(APPROVALS, message["ts"]))]
    for number, placeholder in numbers.items():
        if number != "-":  # no new packing number
            texts = [t.replace(number, placeholder) for t in texts]
    return texts[0], texts[1]


def both_ways(app, service, status: SalesOrderStatus, **script) -> tuple[tuple, tuple]:
    """The same resync, once in cancelbot's book and once at the order service."""
    with_sales_orders(app.uow, app.sessions, (cancelled(IN_BOOK), status),
                      (cancelled(AT_SERVICE), status))
    in_book = JobWorker(app.uow, EmbeddedSalesSite(app.sessions), app.settings, OWNER, app.clock)
    at_service = JobWorker(app.uow, EmbeddedSalesSite(app.sessions), app.settings, OWNER,
                           app.clock, recoveries=HttpRecoveryService(service.base_url, TOKEN))
    start = app.clock.now
    first = approved_in_slack(app, IN_BOOK)
    assert poll_once(app, in_book) == 1
    service.script(AT_SERVICE, pending_looks=1, **script)
    app.clock.now = start  # the second request is made and approved at the same times
    second = approved_in_slack(app, AT_SERVICE)
    assert poll_once(app, at_service) == 0  # handed over and posted: nothing to say yet
    assert poll_once(app, at_service) == 0  # pending
    assert len(app.fake.replies(APPROVALS, second["ts"])) == 1  # the decision only
    assert poll_once(app, at_service) == 1
    with app.uow() as uow:
        new_in_book = uow.orders.get(IN_BOOK).superseded_by
        new_at_service = uow.orders.get(AT_SERVICE).superseded_by
    return (finished(app, first, {IN_BOOK: "OLD", new_in_book or "-": "NEW", "#1": "#N"}),
            finished(app, second, {AT_SERVICE: "OLD", new_at_service or "-": "NEW",
                                   "#2": "#N"}))


def test_a_resync_done_by_the_order_service_reads_as_one_done_in_cancelbots_book(
        running_app, service):
    in_book, at_service = both_ways(running_app, service, SalesOrderStatus.VALID,
                                    new_packing_no="SSP2611280001")

    assert at_service == in_book
    reply, _ = at_service
    assert reply.startswith("Resynced · new packing number NEW")
    assert "OLD is no longer valid" in reply
    with running_app.uow() as uow:
        assert uow.orders.get(AT_SERVICE).superseded_by == "SSP2611280001"


def test_a_resync_the_order_service_failed_on_claim_reads_as_one_failed_in_cancelbots_book(
        running_app, service):
    in_book, at_service = both_ways(running_app, service, SalesOrderStatus.CLAIM,
                                    failure="on_claim")

    assert at_service == in_book
    assert at_service[0].startswith("Failed to Resync")
    assert "on claim (return, exchange or cancel claim)" in at_service[0]
