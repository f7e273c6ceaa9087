"""A stand-in for Smartship's order feed, serving docs/openapi/order-feed.yaml on a loopback
port chosen by the system.

The feed holds records in the order it publishes them; `GET /feed/orders?since=C&limit=N`
answers the records after cursor C (opaque to cancelbot: "r{position}" here), up to N, with the
next cursor and whether more follow. Faults on demand: answer the next calls with a status or
a body of the test's choosing, or hang them until the test lets go. Every call is kept, and
tests wait on them with wait_for, never on a duration.
"""
from __future__ import annotations

import json
import threading
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "order-feed-token"
PATH = "/feed/orders"
WAIT_SECONDS = 20  # only reached when a test is broken
HANG_SECONDS = 30  # a hung call is answered after this long if the test never lets go


@dataclass(frozen=True)
class Call:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass(frozen=True)
class Fault:
    status: int | None = None  # answer this status (with body) instead
    body: bytes = b""
    hang: bool = False  # wait until the test lets go, then answer as usual
    location: str | None = None  # a Location header (with a 3xx status: a redirect)


@dataclass
class _State:
    records: list[Any] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    faults: deque[Fault] = field(default_factory=deque)
    served: list[str] = field(default_factory=list)  # the `since` of every page answered


def record(packing_no: str, updated_at: str | None = "2026-11-20T10:00:00+09:00",
           **changes: object) -> dict[str, object]:
    """A feed record of a cancelled api order (changes set or clear columns, or give them
    values of another JSON type)."""
    fields: dict[str, object] = {
        "packing_no": packing_no, "seller_id": "seller-1", "sales_site": "tmon",
        "sales_order_no": f"SO-{packing_no}", "origin": "api", "state": "cancelled",
        "stage": None, "cancelled_at": "2026-11-19T14:03:00+09:00", "cancelled_by": "seller",
        "payment_at": "2026-11-19T12:00:00+09:00", "recipient": "Kim Minji", "items": "1x mug",
        "updated_at": updated_at,
    }
    fields.update(changes)
    return fields


class OrderFeedStandIn:
    """The feed on 127.0.0.1, port 0; use as a context manager or close() it."""

    def __init__(self, token: str | None = TOKEN) -> None:
        self.token = token
        self.state = _State()
        self.changed = threading.Condition()
        self.let_go = threading.Event()  # releases hung calls
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,),
                                        daemon=True)
        self._thread.start()

    def __enter__(self) -> OrderFeedStandIn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{PATH}"

    def close(self) -> None:
        self.let_go.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # scripting

    def publish(self, *records: Any) -> None:
        """Records the feed publishes after the ones it has."""
        with self.changed:
            self.state.records.extend(records)

    def fault_next(self, times: int = 1, **fault: Any) -> None:
        """The next `times` calls meet Fault(**fault)."""
        with self.changed:
            self.state.faults.extend(Fault(**fault) for _ in range(times))

    # what happened

    def calls(self) -> list[Call]:
        with self.changed:
            return list(self.state.calls)

    def served(self) -> list[str]:
        """The cursor (since) of every page answered with 200, in order."""
        with self.changed:
            return list(self.state.served)

    def wait_for(self, predicate: Callable[[], Any], timeout: float = WAIT_SECONDS) -> Any:
        """Wait until predicate() is truthy (re-checked at every call); fail the test if never."""
        with self.changed:
            result = self.changed.wait_for(predicate, timeout)
        assert result, "the order feed never saw what the test waited for"
        return result

    # serving

    def handle(self, path: str, headers: dict[str, str]) -> tuple[Fault | None, int, bytes]:
        parts = urllib.parse.urlsplit(path)
        query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        with self.changed:
            self.state.calls.append(Call(parts.path, query, headers))
            fault = self.state.faults.popleft() if self.state.faults else None
            self.changed.notify_all()
            if fault and fault.status is not None:
                return fault, fault.status, fault.body
            status, answer = self._answer(parts.path, query, headers)
            if status == 200:
                self.state.served.append(query.get("since", ""))
            return fault, status, json.dumps(answer).encode()

    def _answer(self, path: str, query: dict[str, str],
                headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if self.token and headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": "unauthorized"}
        if path != PATH:
            return 404, {"error": "not found"}
        since, limit = query.get("since", ""), query.get("limit", "")
        if since and not (since.startswith("r") and since[1:].isdigit()) or not limit.isdigit():
            return 400, {"error": "since must be a cursor this feed gave, limit a number"}
        start = int(since[1:]) if since else 0
        end = min(start + max(int(limit), 1), len(self.state.records))
        return 200, {"orders": self.state.records[start:end], "next": f"r{end}",
                     "has_more": end < len(self.state.records)}


def _handler(feed: OrderFeedStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fault, status, payload = feed.handle(self.path, dict(self.headers))
            if fault and fault.hang:
                feed.let_go.wait(HANG_SECONDS)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if fault and fault.location:
                self.send_header("Location", fault.location)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def order_feed() -> Iterator[OrderFeedStandIn]:
    """For a pytest fixture: a running stand-in, closed after the test."""
    with OrderFeedStandIn() as feed:
        yield feed
