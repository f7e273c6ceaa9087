"""A stand-in for Smartship's order feed, serving docs/openapi/order-feed.yaml on a loopback
port chosen by the system.

The feed holds records in the order it publishes them; `GET /feed/orders?since=C&limit=N`
answers the records after cursor C (opaque to cancelbot: "r{position}" here), up to N, with the
next cursor and whether more follow. The server, the calls it keeps and its faults on demand
are tests/standin_http.py's.
"""
from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any, ClassVar

from tests.standin_http import Reply, Request, StandInServer, json_reply

TOKEN = "order-feed-token"
PATH = "/feed/orders"


@dataclass(frozen=True)
class Call:
    path: str
    query: dict[str, str]
    headers: dict[str, str]

    @classmethod
    def of(cls, request: Request) -> Call:
        parts = urllib.parse.urlsplit(request.path)
        return cls(parts.path, dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True)),
                   request.headers)


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


class OrderFeedStandIn(StandInServer):
    """The feed on 127.0.0.1, port 0; use as a context manager or close() it."""

    name: ClassVar[str] = "the order feed"

    def __init__(self, token: str | None = TOKEN) -> None:
        self.records: list[Any] = []
        super().__init__(token)

    @property
    def url(self) -> str:
        return self.origin + PATH

    # scripting

    def publish(self, *records: Any) -> None:
        """Records the feed publishes after the ones it has."""
        with self.changed:
            self.records.extend(records)

    # what happened

    def calls(self) -> list[Call]:
        with self.changed:
            return [Call.of(request) for request in self.log]

    def served(self) -> list[str]:
        """The cursor (since) of every page answered with 200, in order."""
        with self.changed:
            return [Call.of(request).query.get("since", "")
                    for request, reply in self.answered if reply.status == 200]

    # serving

    def reply_to(self, request: Request) -> Reply:
        call = Call.of(request)
        if call.path != PATH:
            return json_reply(404, {"error": "not found"})
        since, limit = call.query.get("since", ""), call.query.get("limit", "")
        if since and not (since.startswith("r") and since[1:].isdigit()) or not limit.isdigit():
            return json_reply(400, {"error": "since must be a cursor this feed gave, "
                                             "limit a number"})
        start = int(since[1:]) if since else 0
        end = min(start + max(int(limit), 1), len(self.records))
        return json_reply(200, {"orders": self.records[start:end], "next": f"r{end}",
                                "has_more": end < len(self.records)})

