"""The order feed's HTTP adapter against the stand-in feed: pages, checked records, the token,
and every way of not answering turned into FeedUnavailable with words a person can act on."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from domain.errors import FeedUnavailable
from domain.model import OrderState
from domain.services import RecordProblem
from store.order_feed_http import HttpOrderFeed
from tests.order_feed import TOKEN, OrderFeedStandIn, record

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def feed() -> Iterator[OrderFeedStandIn]:
    with OrderFeedStandIn() as running:
        yield running


def adapter(feed: OrderFeedStandIn, token: str | None = TOKEN, timeout: float = 5.0,
            url: str | None = None) -> HttpOrderFeed:
    return HttpOrderFeed(url or feed.url, token, timeout, clock=lambda: NOW)


def test_a_page_gives_its_records_as_orders_with_the_next_cursor(feed):
    feed.publish(record("QSP1"), record("QSP2", state="active", stage="waybill",
                                        cancelled_at="", cancelled_by=None), record("QSP3"))

    first = adapter(feed).page("", 2)
    second = adapter(feed).page(first.next_cursor, 2)

    assert [o.packing_no for o in first.records] == ["QSP1", "QSP2"]
    assert first.records[1].state is OrderState.ACTIVE and first.has_more
    assert [o.packing_no for o in second.records] == ["QSP3"] and not second.has_more
    assert [(c.query["since"], c.query["limit"]) for c in feed.calls()] == [
        ("", "2"), (first.next_cursor, "2")]


def test_the_token_goes_as_a_bearer_token(feed):
    adapter(feed).page("", 10)

    [call] = feed.calls()
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"


def test_without_a_token_no_authorization_header_is_sent():
    with OrderFeedStandIn(token=None) as open_feed:
        adapter(open_feed, token=None).page("", 10)
        [call] = open_feed.calls()
    assert "Authorization" not in call.headers


def test_a_bad_record_is_a_problem_of_the_page_naming_packing_number_and_reason(feed):
    feed.publish(record("QSP1"), record("QSP2", origin="fax"), record("QSP3", updated_at=None),
                 record("QSP4", cancelled_at="2026-13-01"), "not an object",
                 record("QSP5", seller_id=7))

    page = adapter(feed).page("", 10)

    assert [o.packing_no for o in page.records] == ["QSP1"]
    assert page.problems == [
        RecordProblem("QSP2", 'origin: "fax" is not one of api, excel, manual'),
        RecordProblem("QSP3", "updated_at: is empty (the feed gives every record its "
                              "updated_at)"),
        RecordProblem("QSP4", 'cancelled_at: "2026-13-01" is not an ISO 8601 date-time '
                              "(write e.g. 2026-11-20T14:03:00+09:00)"),
        RecordProblem("", "the record is not a JSON object"),
        RecordProblem("QSP5", "seller_id: is not a string (the feed gives every column as a "
                              "string)"),
    ]


def test_empty_columns_may_come_as_null_or_as_empty_strings(feed):
    feed.publish(record("QSP1", stage=None), record("QSP2", stage=""))

    page = adapter(feed).page("", 10)

    assert [o.packing_no for o in page.records] == ["QSP1", "QSP2"] and not page.problems


def test_a_feed_url_with_a_query_keeps_it(feed):
    url = feed.url + "?region=kr&since=stale"

    assert adapter(feed).url_for("r3", 50) == feed.url + "?since=r3&limit=50"
    assert adapter(feed, url=url).url_for("r3", 50) == feed.url + "?region=kr&since=r3&limit=50"


@pytest.mark.parametrize(("fault", "words"), [
    ({"status": 503}, "the order feed answered 503"),
    ({"status": 500, "body": b"<html>oops</html>"}, "the order feed answered 500"),
    ({"status": 200, "body": b"<html>"}, "the order feed gave an unusable answer: the answer "
                                         "is not JSON"),
    ({"status": 200, "body": b'{"orders": [], "has_more": false}'},
     "unusable answer: next is not a string"),
    ({"status": 200, "body": b'{"orders": {}, "next": "", "has_more": false}'},
     "unusable answer: orders is not a list"),
    ({"status": 200, "body": b'{"orders": [], "next": "", "has_more": "no"}'},
     "unusable answer: has_more is not true or false"),
    ({"status": 404}, "refused the request (answered 404); check CANCELBOT_ORDER_FEED_URL"),
])
def test_an_answer_that_is_not_a_page_is_unavailable_in_words(feed, fault, words):
    feed.fault_next(**fault)

    with pytest.raises(FeedUnavailable, match=words.replace("(", r"\(").replace(")", r"\)")):
        adapter(feed).page("", 10)


def test_a_refused_token_is_named(feed):
    with pytest.raises(FeedUnavailable, match="answered 401.*CANCELBOT_ORDER_FEED_TOKEN"):
        adapter(feed, token="expired").page("", 10)


def test_a_feed_that_hangs_times_out(feed):
    feed.fault_next(hang=True)

    with pytest.raises(FeedUnavailable, match="the order feed timed out after 0.5 s"):
        adapter(feed, timeout=0.5).page("", 10)


def test_a_redirect_is_not_followed_so_the_token_stays_with_the_feeds_host(feed):
    with OrderFeedStandIn() as elsewhere:
        feed.fault_next(status=302, location=elsewhere.url + "?since=&limit=10")
        with pytest.raises(FeedUnavailable, match="answered 302, a redirect"):
            adapter(feed).page("", 10)
        assert elsewhere.calls() == []
