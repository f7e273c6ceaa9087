"""The sales site's current status for the resync request modal, read within a bound."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from domain.model import SalesOrder
from domain.model import SalesOrderStatus as SOS
from domain.site_reading import SiteReading, current_status
from handlers.requests.site_status import read_within
from tests.unit.fakes import CANCELLED_AT, SEOUL, FakeSalesSite, cancelled

ORDER = cancelled("QSP2611060001")
WHERE = "At the sales site now (tmon, sales order SO-QSP2611060001): "


def reading(status):
    return SiteReading(SalesOrder("tmon", ORDER.sales_order_no, status))


@pytest.mark.parametrize("found, sentence", [
    (reading(SOS.VALID), WHERE + "the sales order is valid; a resync can go ahead."),
    (reading(SOS.CLAIM), WHERE + "the sales order is on claim (return, exchange or cancel "
     "claim); a resync now would fail."),
    (reading(SOS.IN_DELIVERY), WHERE + "the sales order is already in delivery; a resync now "
     "would fail."),
    (reading(SOS.CANCELLED), WHERE + "the sales order was cancelled at the sales site; a resync "
     "now would move this order to Sales Site Order Cancel."),
    (reading(SOS.MISSING), WHERE + "the sales site cannot find the sales order; a resync now "
     "would fail."),
    (SiteReading(None), WHERE + "the sales site cannot find the sales order; a resync now "
     "would fail."),
    (SiteReading(problem="tmon sales site answered 503"),
     "The sales site's current status of sales order SO-QSP2611060001 could not be read (tmon "
     "sales site answered 503); the resync reads it again when it runs."),
], ids=["valid", "claim", "in_delivery", "cancelled", "missing", "no-row", "unread"])
def test_the_current_status_says_what_a_resync_would_meet_now(found, sentence):
    assert current_status(ORDER, found, SEOUL) == sentence


def test_the_date_mismatch_is_left_to_the_modals_warning():
    paid_earlier = cancelled("QSP2611060001", payment_at=CANCELLED_AT - timedelta(days=1))
    assert current_status(paid_earlier, SiteReading(None), SEOUL) == (
        WHERE + "the sales site cannot find the sales order; a resync now would fail.")


def test_read_within_returns_the_sales_order():
    site = FakeSalesSite(SalesOrder("tmon", ORDER.sales_order_no, SOS.CLAIM))
    assert read_within(site, ORDER, 5.0) == reading(SOS.CLAIM)


def test_read_within_says_why_a_sales_site_that_fails_could_not_be_read():
    assert read_within(FakeSalesSite(unavailable=True), ORDER, 5.0) == SiteReading(
        problem="503 Service Unavailable")


class _Broken:
    def fetch(self, sales_site, sales_order_no):
        raise RuntimeError("database is locked")

    def sites_not_ready(self):
        return frozenset()


def test_read_within_turns_any_other_error_into_a_problem_not_an_exception():
    assert read_within(_Broken(), ORDER, 5.0) == SiteReading(
        problem="the sales site read failed: RuntimeError")


class _Stuck:
    """A sales site that answers only once the test lets it."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def fetch(self, sales_site, sales_order_no):
        self.release.wait(30)
        return None

    def sites_not_ready(self):
        return frozenset()


def test_read_within_gives_up_on_a_sales_site_that_does_not_answer_in_time():
    stuck = _Stuck()
    try:
        assert read_within(stuck, ORDER, 0.05) == SiteReading(problem="no answer within 0.05 s")
    finally:
        stuck.release.set()
