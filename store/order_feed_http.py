"""Smartship's order feed over HTTP: `GET {url}?since={cursor}&limit={n}`.

The contract is docs/openapi/order-feed.yaml. A page is `{"orders": [...], "next": "...",
"has_more": bool}`; each record is checked as a row of the orders CSV is
(store/feed_records.py), and a bad one is a RecordProblem of the page, not a failure of it.
Anything but a usable page (a timeout, a refused connection, a status other than 200, a
redirect, a body that is not a page) raises FeedUnavailable with a short reason a person can
read; the poller keeps it as the feed's last error and asks for the same page next tick.

Only the configured URL is asked: redirects are refused, so the token never reaches another
host, and `next` is sent back as the opaque value it is, never followed as a URL.
"""
from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from domain.errors import FeedUnavailable
from domain.services import FeedPage, RecordProblem
from store.feed_records import check_record
from store.http_answers import Unanswered, UnusableAnswer, exchange, json_object

USER_AGENT = "cancelbot"
NAME = "the order feed"
MAX_PAGE_BYTES = 32 << 20  # a page of records with long items lists, and room to spare
MAX_CURSOR_CHARS = 2048  # kept in the feed's row and sent back in the query
TIMEOUT_SECONDS = 10.0  # for each page the poller asks for


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as the error status it is: nothing is asked of another URL."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HttpOrderFeed:
    """The OrderFeed port over Smartship's order feed at url."""

    def __init__(self, url: str, token: str | None = None, timeout: float = TIMEOUT_SECONDS,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"CANCELBOT_ORDER_FEED_URL must be an http:// or https:// URL, not {url!r}")
        self.url = url
        self.token = token
        self.timeout = timeout
        self.clock = clock  # the records' dates may be at most a day after it, as in a CSV
        self._opener = urllib.request.build_opener(_NoRedirects())

    def page(self, since: str, limit: int) -> FeedPage:
        """The page after since; FeedUnavailable when there is no usable answer."""
        status, body = self._get(self.url_for(since, limit))
        if status != 200:
            raise _refusal(status)
        try:
            return parse_page(body, self.clock())
        except UnusableAnswer as exc:
            raise FeedUnavailable(f"{NAME} gave an unusable answer: {exc}") from None

    def url_for(self, since: str, limit: int) -> str:
        """The feed's URL with since and limit added to whatever query it already has."""
        parts = urllib.parse.urlsplit(self.url)
        query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        query = [(k, v) for k, v in query if k not in ("since", "limit")]
        query += [("since", since), ("limit", str(limit))]
        return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))

    def _get(self, url: str) -> tuple[int, bytes]:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, headers=headers)
        try:
            return exchange(self._opener.open, request, self.timeout, NAME, MAX_PAGE_BYTES)
        except Unanswered as exc:
            raise FeedUnavailable(str(exc)) from exc


def _refusal(code: int) -> FeedUnavailable:
    """A status other than 200, said in words; 401/403 point at the token."""
    if code in (401, 403):
        return FeedUnavailable(
            f"{NAME} refused the request (answered {code}); check CANCELBOT_ORDER_FEED_TOKEN")
    if 300 <= code < 400:
        return FeedUnavailable(f"{NAME} answered {code}, a redirect, which cancelbot does not "
                               "follow; set CANCELBOT_ORDER_FEED_URL to where it points")
    if 400 <= code < 500:
        return FeedUnavailable(
            f"{NAME} refused the request (answered {code}); check CANCELBOT_ORDER_FEED_URL")
    return FeedUnavailable(f"{NAME} answered {code}")


def parse_page(body: bytes, now: datetime) -> FeedPage:
    """A page from the JSON answer, its records checked at now; UnusableAnswer says what is
    wrong with the page itself (a bad record is one of the page's problems instead)."""
    data = json_object(body)
    orders, next_cursor, has_more = data.get("orders"), data.get("next"), data.get("has_more")
    if not isinstance(orders, list):
        raise UnusableAnswer("orders is not a list")
    if not isinstance(next_cursor, str):
        raise UnusableAnswer("next is not a string")
    if len(next_cursor) > MAX_CURSOR_CHARS:
        raise UnusableAnswer(f"next is longer than {MAX_CURSOR_CHARS} characters")
    if not isinstance(has_more, bool):
        raise UnusableAnswer("has_more is not true or false")
    page = FeedPage([], [], next_cursor, has_more)
    for record in orders:
        checked = check_record(record, now)
        if isinstance(checked, RecordProblem):
            page.problems.append(checked)
        else:
            page.records.append(checked)
    return page
