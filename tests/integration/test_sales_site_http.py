"""The HTTP sales site against a local server scripted per test, alone and inside a resync job."""
from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.composition import open_store
from bot.config import Settings
from domain.errors import SalesSiteUnavailable
from domain.execution import run_job
from domain.failures import FailureCode
from domain.lookup import look_up
from domain.model import Action, Recovery, SalesOrder, SalesOrderStatus
from domain.status import Status
from domain.workflow import ApprovalPolicy, approve, submit_request
from store.embedded_sales_site import EmbeddedSalesSite
from store.models import OutboxRow
from store.sales_site_http import HttpSalesSite
from tests.integration.builders import NOW, SEOUL, add_orders, cancelled, ctx
from tests.sales_site import SalesSiteServer, order_json

POLICY = ApprovalPolicy(is_approver=lambda user: user.startswith("UAPPROVER"))
LATER = NOW + timedelta(minutes=5)
ORDER_PATH = "/orders/tmon/SO-1001"


@pytest.fixture
def server() -> Iterator[SalesSiteServer]:
    running = SalesSiteServer()
    yield running
    running.close()


def test_a_valid_order_is_read_with_its_dates_and_offsets(server):
    server.answer(ORDER_PATH, body=order_json())

    got = server.site().fetch("tmon", "SO-1001")

    assert got == SalesOrder(
        "tmon", "SO-1001", SalesOrderStatus.VALID,
        payment_at=datetime(2026, 11, 23, 8, 0, tzinfo=SEOUL), recipient="Lee Seojun",
        items="3x mug", updated_at=datetime(2026, 11, 24, 3, 30, tzinfo=UTC),
    )
    assert got.payment_at.utcoffset() == timedelta(hours=9)
    assert got.updated_at.utcoffset() == timedelta(0)


def test_the_request_asks_for_json_and_says_it_is_cancelbot(server):
    server.answer(ORDER_PATH, body=order_json())
    server.site().fetch("tmon", "SO-1001")
    [(path, headers)] = server.seen
    assert path == ORDER_PATH
    assert (headers["Accept"], headers["User-Agent"]) == ("application/json", "cancelbot")


@pytest.mark.parametrize("status", list(SalesOrderStatus), ids=lambda s: s.value)
def test_every_sales_order_status_is_read(server, status):
    server.answer(ORDER_PATH, body=order_json(status=status.value))
    assert server.site().fetch("tmon", "SO-1001").status is status


def test_null_dates_and_absent_text_are_read_as_empty(server):
    server.answer(ORDER_PATH, body=b'{"status": "claim", "payment_at": null, "recipient": null}')
    assert server.site().fetch("tmon", "SO-1001") == SalesOrder(
        "tmon", "SO-1001", SalesOrderStatus.CLAIM)


def test_an_order_the_site_answers_404_for_is_not_found(server):
    assert server.site().fetch("tmon", "SO-NOWHERE") is None
    assert [path for path, _ in server.seen] == ["/orders/tmon/SO-NOWHERE"]


@pytest.mark.parametrize("code", [500, 502, 503])
def test_a_server_error_makes_the_site_unavailable_naming_the_code(server, code):
    server.answer(ORDER_PATH, code, b"<html>down for maintenance</html>")
    with pytest.raises(SalesSiteUnavailable, match=f"^tmon sales site answered {code}$"):
        server.site().fetch("tmon", "SO-1001")


@pytest.mark.parametrize("code", [400, 401, 403, 429])
def test_a_refused_request_makes_the_site_unavailable_and_says_it_was_refused(server, code):
    server.answer(ORDER_PATH, code, b'{"error": "no"}')
    with pytest.raises(SalesSiteUnavailable, match=rf"refused the request \(answered {code}\)"):
        server.site().fetch("tmon", "SO-1001")


def test_a_site_that_does_not_answer_in_time_is_given_up_on(server):
    server.answer(ORDER_PATH, body=order_json(), hang=True)
    with pytest.raises(SalesSiteUnavailable, match=r"^tmon sales site timed out after 0.2 s$"):
        server.site(timeout=0.2).fetch("tmon", "SO-1001")


def test_a_site_that_sends_its_answer_too_slowly_is_given_up_on(server):
    # each byte comes well within the timeout: only a deadline on the whole answer gives up
    server.answer(ORDER_PATH, body=order_json(), trickle=True)
    with pytest.raises(SalesSiteUnavailable, match="timed out after 0.2 s"):
        server.site(timeout=0.2).fetch("tmon", "SO-1001")


def test_a_closed_port_makes_the_site_unavailable():
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind(("127.0.0.1", 0))
        port = bound_not_listening.getsockname()[1]
        site = HttpSalesSite(f"http://127.0.0.1:{port}", timeout=2)
        with pytest.raises(SalesSiteUnavailable, match="^tmon sales site refused the connection$"):
            site.fetch("tmon", "SO-1001")


def test_a_site_that_closes_the_connection_unanswered_is_said_to_be_out_of_reach(server):
    server.answer(ORDER_PATH, lose_answer=True)
    with pytest.raises(SalesSiteUnavailable, match="^could not reach the tmon sales site: "):
        server.site().fetch("tmon", "SO-1001")


@pytest.mark.parametrize("body, said", [
    (b"<html>Sign in</html>", "not JSON"),
    (b"", "not JSON"),
    (b'["valid"]', "not a JSON object"),
    (order_json(status="shipped"), "unknown status 'shipped'"),
    (b'{"recipient": "Lee"}', "no status"),
    (order_json(payment_at="yesterday"), "payment_at 'yesterday' is not an ISO 8601"),
    (order_json(updated_at=20261124), "updated_at 20261124 is not an ISO 8601"),
    (order_json(payment_at="2026-11-23T08:00:00"), "payment_at .* has no UTC offset"),
    (order_json(items=["mug", "mug"]), "items is not text"),
], ids=["html", "empty", "list", "unknown-status", "no-status", "bad-date", "number-date",
        "naive-date", "items-list"])
def test_an_unusable_answer_makes_the_site_unavailable_saying_why(server, body, said):
    server.answer(ORDER_PATH, body=body)
    unusable = "^tmon sales site gave an unusable answer: .*"
    with pytest.raises(SalesSiteUnavailable, match=unusable + said):
        server.site().fetch("tmon", "SO-1001")


@pytest.mark.parametrize("site, number, path", [
    ("tmon", "SO 12/34?x#y%", "/orders/tmon/SO%2012%2F34%3Fx%23y%25"),
    ("we make", "..", "/orders/we%20make/.."),
    ("shopby", "주문-7", "/orders/shopby/%EC%A3%BC%EB%AC%B8-7"),
])
def test_odd_order_numbers_are_quoted_into_one_path_part(server, site, number, path):
    server.answer("/api/v1" + path, body=order_json())
    got = server.site(prefix="/api/v1/").fetch(site, number)
    assert (got.sales_site, got.sales_order_no) == (site, number)
    assert [p for p, _ in server.seen] == ["/api/v1" + path]


@pytest.mark.parametrize("url", ["ftp://sales.example", "file:///etc/passwd", "sales.example"])
def test_a_base_url_that_is_not_http_is_refused_at_start(url):
    with pytest.raises(ValueError, match="must be an http:// or https:// URL"):
        HttpSalesSite(url)


# Through the use case: an approved resync job run against the HTTP sales site.

def _approved_job(uow, packing_no: str) -> int:
    with uow() as u:
        submitted = submit_request(u, [packing_no], Action.RESYNC, "UREQUESTER", "", ctx())
    with uow() as u:
        approve(u, submitted.request.stored_id, "UAPPROVER1", NOW, POLICY)
    return submitted.jobs[0].stored_id


def _result(uow, job_id: int) -> dict:
    """The thread message the job left in the outbox."""
    with uow() as u:
        [payload] = [m.payload for m in u.session.scalars(select(OutboxRow))
                     if m.payload["job_id"] == job_id]
    return payload


def test_a_resync_over_http_carries_the_sales_orders_changes_into_the_new_order(uow, server):
    order, = add_orders(uow, cancelled("QSP2611230001"))
    server.answer("/orders/tmon/SO-QSP2611230001", body=order_json(recipient="Park Jiwoo"))

    done = run_job(uow, server.site(), _approved_job(uow, order.packing_no), ctx(LATER))

    assert done.result_packing_no == "QSP2611260001"
    with uow() as u:
        new = u.orders.get("QSP2611260001")
        card = look_up(u, order.packing_no, ctx(LATER))
    assert (new.recipient, new.items, new.resynced_from) == (
        "Park Jiwoo", "3x mug", order.packing_no)
    assert new.payment_at == datetime(2026, 11, 23, 8, 0, tzinfo=SEOUL)
    assert card.status.status is Status.RESYNCED
    assert _result(uow, done.stored_id)["status"] == "Resynced"


@pytest.mark.parametrize("cancelled_at, paid_at, hinted", [
    # the same UTC day, but different days in Seoul: the likely cause is named
    (datetime(2026, 11, 23, 0, 30, tzinfo=SEOUL), datetime(2026, 11, 22, 23, 30, tzinfo=SEOUL),
     True),
    # different UTC days, but the same day in Seoul: no hint
    (datetime(2026, 11, 23, 10, 0, tzinfo=SEOUL), datetime(2026, 11, 23, 8, 30, tzinfo=SEOUL),
     False),
], ids=["other-day-in-seoul", "same-day-in-seoul"])
def test_a_sales_order_the_site_cannot_find_fails_the_resync(
        uow, server, cancelled_at, paid_at, hinted):
    order, = add_orders(uow, cancelled(
        "QSP2611230002", cancelled_at=cancelled_at, payment_at=paid_at))

    done = run_job(uow, server.site(), _approved_job(uow, order.packing_no), ctx(LATER))

    assert done.failure_code is FailureCode.SALES_ORDER_NOT_FOUND
    result = _result(uow, done.stored_id)
    assert result["status"] == "Failed to Resync"
    assert "cannot find" in result["reason"]
    assert ("likely cause" in result["reason"]) is hinted
    assert server.seen[0][0] == "/orders/tmon/SO-QSP2611230002"


def test_a_sales_site_answering_503_fails_the_resync_and_a_new_request_is_allowed(uow, server):
    order, = add_orders(uow, cancelled("QSP2611230003"))
    server.answer("/orders/tmon/SO-QSP2611230003", 503)

    done = run_job(uow, server.site(), _approved_job(uow, order.packing_no), ctx(LATER))

    assert (done.failure_code, done.result_packing_no) == (FailureCode.SERVER_ERROR, None)
    result = _result(uow, done.stored_id)
    assert (result["status"], result["retryable"]) == ("Failed to Resync", True)
    assert "tmon sales site answered 503" in result["reason"]
    with uow() as u:
        assert u.orders.get(order.packing_no).recovery is Recovery.FAILED_RETRY
        assert look_up(u, order.packing_no, ctx(LATER)).status.status is Status.FAILED_TO_RESYNC
        again = submit_request(u, [order.packing_no], Action.RESYNC, "UREQUESTER", "", ctx(LATER))
    assert again.jobs


def test_open_store_uses_the_http_sales_site_when_sales_site_api_url_is_set(db_url):
    with_url = open_store(Settings.from_env({
        "DATABASE_URL": db_url, "SALES_SITE_API_URL": "https://api.example/sales/",
        "CANCELBOT_SITES_NOT_READY": "Interpark",
    }))
    without = open_store(Settings.from_env({"DATABASE_URL": db_url}))
    try:
        site = with_url.sales_site
        assert isinstance(site, HttpSalesSite)
        assert site.url_for("tmon", "A1") == "https://api.example/sales/orders/tmon/A1"
        assert site.sites_not_ready() == {"interpark"}
        assert isinstance(without.sales_site, EmbeddedSalesSite)
    finally:
        with_url.close()
        without.close()
