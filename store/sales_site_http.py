"""The sales site over HTTP: `GET {base}/orders/{sales_site}/{sales_order_no}` answering JSON.

A 404 means the site cannot find the order. Anything else that is not a usable 200 (a timeout,
a refused connection, a 5xx, another 4xx, a body that is not the expected JSON) raises
SalesSiteUnavailable with a short reason a person can read, which the job reports as the
retryable server-error failure. The request goes through store/http_answers.exchange, as the
order service's and the order feed's do.
"""
from __future__ import annotations

import urllib.parse
import urllib.request
from datetime import datetime
from typing import Any

from domain.errors import SalesSiteUnavailable
from domain.model import SalesOrder, SalesOrderStatus
from store.http_answers import Unanswered, UnusableAnswer, exchange, json_object

USER_AGENT = "cancelbot"
STATUS_VALUES = ", ".join(s.value for s in SalesOrderStatus)


class HttpSalesSite:
    """The SalesSite port over a sales-site (or Smartship) API at base_url."""

    def __init__(
        self, base_url: str, sites_not_ready: frozenset[str] = frozenset(), timeout: float = 5.0
    ) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"the sales-site API URL must be an http:// or https:// URL, not {base_url!r}"
            )
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._not_ready = frozenset(s.lower() for s in sites_not_ready)

    def sites_not_ready(self) -> frozenset[str]:
        return self._not_ready

    def url_for(self, sales_site: str, sales_order_no: str) -> str:
        """The order's URL, each path part quoted whole (a `/` in a number stays in its part)."""
        site = urllib.parse.quote(sales_site, safe="")
        number = urllib.parse.quote(sales_order_no, safe="")
        return f"{self.base_url}/orders/{site}/{number}"

    def fetch(self, sales_site: str, sales_order_no: str) -> SalesOrder | None:
        """The sales order, None on 404; SalesSiteUnavailable when there is no usable answer."""
        name = f"{sales_site} sales site"
        status, body = self._get(name, self.url_for(sales_site, sales_order_no))
        if status == 404:
            return None
        if status != 200:
            raise _refusal(sales_site, status)
        try:
            return parse_sales_order(sales_site, sales_order_no, body)
        except UnusableAnswer as exc:
            raise SalesSiteUnavailable(f"{name} gave an unusable answer: {exc}") from None

    def _get(self, name: str, url: str) -> tuple[int, bytes]:
        request = urllib.request.Request(
            url, headers={"Accept": "application/json", "User-Agent": USER_AGENT}
        )
        try:
            return exchange(urllib.request.urlopen, request, self.timeout, name,
                            reached_as=f"the {name}")
        except Unanswered as exc:
            raise SalesSiteUnavailable(str(exc)) from exc


def _refusal(site: str, code: int) -> SalesSiteUnavailable:
    """Any HTTP status but 200 and 404, said in words; a 4xx points at our configuration."""
    if 400 <= code < 500:
        return SalesSiteUnavailable(
            f"{site} sales site refused the request (answered {code}); "
            "check SALES_SITE_API_URL and its access"
        )
    return SalesSiteUnavailable(f"{site} sales site answered {code}")


def parse_sales_order(sales_site: str, sales_order_no: str, body: bytes) -> SalesOrder:
    """A sales order from the JSON answer; UnusableAnswer says what is wrong with it."""
    data = json_object(body)
    return SalesOrder(
        sales_site=sales_site,
        sales_order_no=sales_order_no,
        status=_status(data.get("status")),
        payment_at=_moment(data, "payment_at"),
        recipient=_text(data, "recipient"),
        items=_text(data, "items"),
        updated_at=_moment(data, "updated_at"),
    )


def _status(value: Any) -> SalesOrderStatus:
    try:
        return SalesOrderStatus(value)
    except ValueError:
        shown = "no status" if value is None else f"unknown status {value!r}"
        raise UnusableAnswer(f"{shown} (expected one of {STATUS_VALUES})") from None


def _moment(data: dict[str, Any], key: str) -> datetime | None:
    value = data.get(key)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise UnusableAnswer(f"{key} {value!r} is not an ISO 8601 date and time")
    if moment.utcoffset() is None:
        raise UnusableAnswer(f"{key} {value!r} has no UTC offset")
    return moment


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise UnusableAnswer(f"{key} is not text")
    return value
