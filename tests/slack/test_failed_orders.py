"""After a failed job, in Slack: the card, the list, the modal with the sales site's status,
and the new request; a resync that found the sales order cancelled moves it to its tab."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import update

from domain.model import Action, Origin, SalesOrderStatus
from store.models import SalesOrderRow
from tests.integration.builders import active, add_orders, cancelled
from tests.sales_site import SalesSiteServer, order_json
from tests.slack.conftest import serving
from tests.slack.requesting import (
    lookup_card,
    opened_view,
    press_request,
    request_through_modal,
    view_text,
)
from tests.slack.scenarios import approved_request, run_jobs, with_sales_orders
from tests.slack.signed import buttons
from tests.slack.test_list import listed, typed_list
from tests.slack.test_lookup import shown_text

API_NO = "QSP2611230001"
EXCEL_NO = "ACC000002"


def failed_resync(app, sales_status: SalesOrderStatus | None, packing_no: str = API_NO) -> None:
    """A resync of packing_no requested, approved and run against that sales order (None: the
    sales site has no such order); the request message is never posted."""
    with_sales_orders(app.uow, app.sessions, (cancelled(packing_no), sales_status))
    placed = approved_request(app.uow, None, [packing_no], Action.RESYNC, post=False)
    run_jobs(app.uow, app.sessions, placed.jobs)


def sales_site_now_says(app, status: SalesOrderStatus) -> None:
    """The embedded sales site's only sales order changes to status."""
    with app.sessions() as session:
        session.execute(update(SalesOrderRow).values(status=status.value))
        session.commit()


@pytest.fixture
def app(running_app):
    return running_app


@pytest.mark.parametrize("sales_status, check_first", [
    (SalesOrderStatus.CLAIM, "Check the claim on the sales site first"),
    (SalesOrderStatus.IN_DELIVERY, "Check the delivery on the sales site first"),
    (None, "Check on the sales site that the sales order exists"),
], ids=["claim", "in_delivery", "not_found"])
def test_a_failed_resync_shows_failed_to_resync_what_to_check_and_the_request_button(
        app, sales_status, check_first):
    failed_resync(app, sales_status)

    card = lookup_card(app, API_NO)

    text = shown_text(card.message)
    assert f"*{API_NO}* · *Failed to Resync*" in text and check_first in text
    assert buttons(card.message) == ["Request resync"]
    message, _ = request_through_modal(app, API_NO, note="the claim was withdrawn")
    assert "*Resync request #2* · Awaiting approval" in view_text(message)


def test_a_failed_restore_names_the_duplicate_and_can_be_requested_again(app):
    add_orders(app.uow, cancelled(EXCEL_NO, origin=Origin.EXCEL),
               active("ACC000009", origin=Origin.EXCEL, sales_order_no=f"SO-{EXCEL_NO}"))
    placed = approved_request(app.uow, None, [EXCEL_NO], Action.RESTORE, post=False)
    run_jobs(app.uow, app.sessions, placed.jobs)

    card = lookup_card(app, EXCEL_NO)

    text = shown_text(card.message)
    assert "*Failed to Recover*" in text and "duplicates: ACC000009" in text
    assert buttons(card.message) == ["Request restore"]
    message, _ = request_through_modal(app, EXCEL_NO)
    assert "*Restore request #2*" in view_text(message)


def test_the_status_filter_lists_orders_whose_resync_failed_for_any_reason(app):
    failed_resync(app, SalesOrderStatus.CLAIM, "QSP2611230001")
    failed_resync(app, SalesOrderStatus.IN_DELIVERY, "QSP2611230002")
    add_orders(app.uow, cancelled("QSP2611230003"))  # never requested

    shown, _ = typed_list(app, "status:failed_to_resync")

    assert sorted(listed(shown)) == ["QSP2611230001", "QSP2611230002"]
    assert "Failed to Resync *2*" in shown_text(shown)
    assert "2 orders on this page can be resynced now" in shown_text(shown)


def test_a_resync_that_found_the_sales_order_cancelled_lists_it_in_the_site_tab(app):
    failed_resync(app, SalesOrderStatus.CANCELLED)

    site_tab, _ = typed_list(app, "site")
    api_tab, _ = typed_list(app, "api")
    card = lookup_card(app, API_NO)

    assert listed(site_tab) == [API_NO] and listed(api_tab) == []
    assert "Sales Site Order Cancel" in shown_text(card.message)
    assert "*No Action*" in shown_text(card.message) and buttons(card.message) == []


@pytest.mark.parametrize("sales_status, says", [
    (SalesOrderStatus.CLAIM, "the sales order is on claim (return, exchange or cancel claim); "
     "a resync now would fail."),
    (SalesOrderStatus.VALID, "the sales order is valid; a resync can go ahead."),
    (SalesOrderStatus.CANCELLED, "the sales order was cancelled at the sales site; a resync now "
     "would move this order to Sales Site Order Cancel."),
], ids=["claim", "valid", "cancelled"])
def test_the_resync_modal_shows_the_sales_sites_current_status(app, sales_status, says):
    failed_resync(app, SalesOrderStatus.MISSING)  # failed once; the sales site changed since
    sales_site_now_says(app, sales_status)

    press_request(app, lookup_card(app, API_NO))

    _, view = opened_view(app, 0)
    assert (f"*Sales site:* At the sales site now (tmon, sales order SO-{API_NO}): {says}"
            in view_text(view))


def test_the_restore_modal_does_not_ask_the_sales_site(app):
    add_orders(app.uow, cancelled(EXCEL_NO, origin=Origin.EXCEL))

    press_request(app, lookup_card(app, EXCEL_NO))

    _, view = opened_view(app, 0)
    assert "*Sales site:*" not in view_text(view)


@pytest.fixture
def sales_site_server() -> Iterator[SalesSiteServer]:
    server = SalesSiteServer()
    yield server
    server.close()


@pytest.mark.parametrize("reply, problem", [
    (dict(status=503), "tmon sales site answered 503"),
    (dict(hang=True), "no answer within 1.5 s"),
], ids=["503", "no-answer"])
def test_the_modal_opens_saying_the_status_could_not_be_read_when_the_sales_site_fails(
        fake_slack, db_url, sales_site_server, reply, problem):
    with serving(fake_slack, db_url, sales_site_api_url=sales_site_server.base_url) as app:
        add_orders(app.uow, cancelled(API_NO))
        sales_site_server.answer(f"/orders/tmon/SO-{API_NO}", **reply)

        press_request(app, lookup_card(app, API_NO))

        _, view = opened_view(app, 0)
        assert (f"The sales site's current status of sales order SO-{API_NO} could not be read "
                f"({problem}); the resync reads it again when it runs." in view_text(view))


def test_the_modal_reads_the_http_sales_site(fake_slack, db_url, sales_site_server):
    with serving(fake_slack, db_url, sales_site_api_url=sales_site_server.base_url) as app:
        add_orders(app.uow, cancelled(API_NO))
        sales_site_server.answer(f"/orders/tmon/SO-{API_NO}", 200,
                                 order_json(status="in_delivery"))

        press_request(app, lookup_card(app, API_NO))

        _, view = opened_view(app, 0)
        assert "the sales order is already in delivery; a resync now would fail." in view_text(view)
