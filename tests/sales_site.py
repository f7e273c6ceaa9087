"""A stand-in for a sales site's order API (what store/sales_site_http.py reads), scripted per
path by the test; the server and the requests it keeps are tests/standin_http.py's."""
from __future__ import annotations

import json
from typing import Any, ClassVar

from store.sales_site_http import HttpSalesSite
from tests.standin_http import Reply, Request, StandInServer, json_reply


def order_json(**changes: object) -> bytes:
    """A sales order as the site answers it (changes set fields or give them other values)."""
    fields: dict[str, object] = {
        "status": "valid", "payment_at": "2026-11-23T08:00:00+09:00",
        "recipient": "Lee Seojun", "items": "3x mug", "updated_at": "2026-11-24T03:30:00Z",
    }
    fields.update(changes)
    return json.dumps(fields).encode()


class SalesSiteServer(StandInServer):
    """A local sales site: answers each path from its script, 404 otherwise."""

    name: ClassVar[str] = "the sales site"
    # A client without a working timeout would get the whole answer after this long, and a test
    # expecting it to give up would then fail instead of hanging
    hang_seconds: ClassVar[float] = 10

    def __init__(self) -> None:
        self.replies: dict[str, Reply] = {}
        super().__init__()

    @property
    def base_url(self) -> str:
        return self.origin

    @property
    def seen(self) -> list[tuple[str, dict[str, str]]]:
        """(path, headers) of every request, in order."""
        with self.changed:
            return [(request.path, request.headers) for request in self.log]

    def answer(self, path: str, status: int = 200, body: bytes = b"", **how: Any) -> None:
        """Answer requests for path with status and body (how: hang, trickle, lose_answer)."""
        with self.changed:
            self.replies[path] = Reply(status, body, **how)

    def site(self, timeout: float = 2.0, prefix: str = "") -> HttpSalesSite:
        """cancelbot's HTTP sales site, reading from this one."""
        return HttpSalesSite(self.base_url + prefix, timeout=timeout)

    def reply_to(self, request: Request) -> Reply:
        return self.replies.get(request.path) or json_reply(404, {"error": "not found"})
