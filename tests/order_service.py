"""A stand-in for Smartship's order service, serving the recovery contract of
docs/openapi/recovery-service.yaml on a loopback port chosen by the system.

Each recovery stays pending for a few looks (GETs), then succeeds or fails as the script of its
packing number says. The same idempotency key always names the same recovery. The server, the
calls it keeps and its faults on demand are tests/standin_http.py's.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

from tests.standin_http import Reply, Request, StandInServer, json_body, json_reply

TOKEN = "recovery-service-token"
PREFIX = "/api/v1/recoveries"


@dataclass
class Script:
    """What the service does with one packing number's recovery."""

    pending_looks: int = 1  # GETs answered "pending" before the final state
    failure: str | None = None  # a failure code; None: the recovery succeeds
    detail: str | None = None
    new_packing_no: str | None = None  # a successful resync's; made up when None


@dataclass
class Recovery:
    id: str
    action: str
    packing_no: str
    key: str
    script: Script
    new_packing_no: str | None
    looks: int = 0

    @property
    def state(self) -> str:
        if self.looks <= self.script.pending_looks:
            return "pending"
        return "failed" if self.script.failure else "succeeded"

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "state": self.state, "packing_no": self.packing_no}
        if self.state == "succeeded" and self.action == "resync":
            body["new_packing_no"] = self.new_packing_no
        if self.state == "failed":
            body["failure"] = {"code": self.script.failure, "detail": self.script.detail}
        return body


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


@dataclass(frozen=True)
class Answer:
    """What the service answered to a call (faults aside)."""

    method: str
    path: str
    status: int
    body: dict[str, Any]


@dataclass
class _State:
    scripts: dict[str, Script] = field(default_factory=dict)
    recoveries: dict[str, Recovery] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)


class OrderServiceStandIn(StandInServer):
    """The service on 127.0.0.1, port 0; use as a context manager or close() it."""

    name: ClassVar[str] = "the order service"

    def __init__(self, token: str | None = TOKEN) -> None:
        self.default_script = Script()  # for packing numbers without a script of their own
        self.state = _State()
        self._ids = itertools.count(1)
        self._numbers = itertools.count(1)
        super().__init__(token)

    @property
    def base_url(self) -> str:
        return self.origin + "/api/v1"

    # scripting

    def script(self, packing_no: str, **how: Any) -> Script:
        """How the recovery of packing_no goes (default: pending for one look, then success)."""
        self.state.scripts[packing_no] = Script(**how)
        return self.state.scripts[packing_no]

    # what happened

    def calls(self, method: str | None = None) -> list[Call]:
        with self.changed:
            return [Call(r.method, r.path, r.headers, json_body(r)) for r in self.log
                    if method is None or r.method == method]

    @property
    def answers(self) -> list[Answer]:
        with self.changed:
            return [Answer(request.method, request.path, reply.status, json.loads(reply.body))
                    for request, reply in self.answered]

    def recoveries(self) -> list[Recovery]:
        with self.changed:
            return list(self.state.recoveries.values())

    # serving

    def reply_to(self, request: Request) -> Reply:
        if request.method == "POST" and request.path == PREFIX:
            return self._start(json_body(request) or {})
        if request.method == "GET" and request.path.startswith(PREFIX + "/"):
            recovery = self.state.recoveries.get(request.path[len(PREFIX) + 1:])
            if recovery is None:
                return json_reply(404, {"error": "no such recovery"})
            recovery.looks += 1
            return json_reply(200, recovery.as_json())
        return json_reply(404, {"error": "not found"})

    def _start(self, body: dict[str, Any]) -> Reply:
        action, packing_no, key = (body.get(k) for k in ("action", "packing_no",
                                                          "idempotency_key"))
        if action not in ("resync", "restore") or not isinstance(packing_no, str) \
                or not isinstance(key, str) or not key:
            return json_reply(400, {"error": "action, packing_no and idempotency_key are required"})
        known = self.state.by_key.get(key)
        if known is not None:
            recovery = self.state.recoveries[known]
            if (recovery.action, recovery.packing_no) != (action, packing_no):
                return json_reply(409, {"error": "the key names another recovery"})
            return json_reply(200, recovery.as_json())
        script = self.state.scripts.get(packing_no, self.default_script)
        recovery = Recovery(
            id=f"rcv-{next(self._ids)}", action=action, packing_no=packing_no, key=key,
            script=script,
            new_packing_no=script.new_packing_no or f"SSP{next(self._numbers):07d}")
        self.state.recoveries[recovery.id] = recovery
        self.state.by_key[key] = recovery.id
        return json_reply(201, recovery.as_json())
