"""A stand-in for Smartship's order service, serving the recovery contract of
docs/openapi/recovery-service.yaml on a loopback port chosen by the system.

Each recovery stays pending for a few looks (GETs), then succeeds or fails as the script of its
packing number says. The same idempotency key always names the same recovery. Faults on demand:
answer the next calls with a status or a body of the test's choosing, hang them until the test
lets go, or handle a call and then drop the connection without an answer. Every call is kept,
and tests wait on them with wait_for, never on a duration.
"""
from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "recovery-service-token"
WAIT_SECONDS = 20  # only reached when a test is broken
HANG_SECONDS = 30  # a hung call is answered after this long if the test never lets go


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


@dataclass(frozen=True)
class Fault:
    status: int | None = None  # answer this status (with body) instead
    body: bytes = b""
    hang: bool = False  # wait until the test lets go, then answer as usual
    lose_answer: bool = False  # do what the call asks, then close without answering


@dataclass
class _State:
    scripts: dict[str, Script] = field(default_factory=dict)
    recoveries: dict[str, Recovery] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    faults: deque[Fault] = field(default_factory=deque)
    answers: list[Answer] = field(default_factory=list)


class OrderServiceStandIn:
    """The service on 127.0.0.1, port 0; use as a context manager or close() it."""

    def __init__(self, token: str | None = TOKEN) -> None:
        self.token = token
        self.default_script = Script()  # for packing numbers without a script of their own
        self.state = _State()
        self.changed = threading.Condition()
        self.let_go = threading.Event()  # releases hung calls
        self._ids = itertools.count(1)
        self._numbers = itertools.count(1)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,),
                                        daemon=True)
        self._thread.start()

    def __enter__(self) -> OrderServiceStandIn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/api/v1"

    def close(self) -> None:
        self.let_go.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # scripting

    def script(self, packing_no: str, **how: Any) -> Script:
        """How the recovery of packing_no goes (default: pending for one look, then success)."""
        self.state.scripts[packing_no] = Script(**how)
        return self.state.scripts[packing_no]

    def fault_next(self, times: int = 1, **fault: Any) -> None:
        """The next `times` calls meet Fault(**fault)."""
        with self.changed:
            self.state.faults.extend(Fault(**fault) for _ in range(times))

    # what happened

    def calls(self, method: str | None = None) -> list[Call]:
        with self.changed:
            return [c for c in self.state.calls if method is None or c.method == method]

    @property
    def answers(self) -> list[Answer]:
        with self.changed:
            return list(self.state.answers)

    def recoveries(self) -> list[Recovery]:
        with self.changed:
            return list(self.state.recoveries.values())

    def wait_for(self, predicate: Callable[[], Any], timeout: float = WAIT_SECONDS) -> Any:
        """Wait until predicate() is truthy (re-checked at every call); fail the test if never."""
        with self.changed:
            result = self.changed.wait_for(predicate, timeout)
        assert result, "the order service never saw what the test waited for"
        return result

    # serving

    def handle(self, method: str, path: str, headers: dict[str, str],
               body: dict[str, Any] | None) -> tuple[Fault | None, int, dict[str, Any]]:
        with self.changed:
            self.state.calls.append(Call(method, path, headers, body))
            fault = self.state.faults.popleft() if self.state.faults else None
            self.changed.notify_all()
            if fault and fault.status is not None:
                return fault, fault.status, {}
            status, answer = self._answer(method, path, headers, body)
            self.state.answers.append(Answer(method, path, status, answer))
            return fault, status, answer

    def _answer(self, method: str, path: str, headers: dict[str, str],
                body: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
        if self.token and headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": "unauthorized"}
        prefix = "/api/v1/recoveries"
        if method == "POST" and path == prefix:
            return self._start(body)
        if method == "GET" and path.startswith(prefix + "/"):
            recovery = self.state.recoveries.get(path[len(prefix) + 1:])
            if recovery is None:
                return 404, {"error": "no such recovery"}
            recovery.looks += 1
            return 200, recovery.as_json()
        return 404, {"error": "not found"}

    def _start(self, body: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
        body = body or {}
        action, packing_no, key = (body.get(k) for k in ("action", "packing_no",
                                                          "idempotency_key"))
        if action not in ("resync", "restore") or not isinstance(packing_no, str) \
                or not isinstance(key, str) or not key:
            return 400, {"error": "action, packing_no and idempotency_key are required"}
        known = self.state.by_key.get(key)
        if known is not None:
            recovery = self.state.recoveries[known]
            if (recovery.action, recovery.packing_no) != (action, packing_no):
                return 409, {"error": "the key names another recovery"}
            return 200, recovery.as_json()
        script = self.state.scripts.get(packing_no, self.default_script)
        recovery = Recovery(
            id=f"rcv-{next(self._ids)}", action=action, packing_no=packing_no, key=key,
            script=script,
            new_packing_no=script.new_packing_no or f"SSP{next(self._numbers):07d}")
        self.state.recoveries[recovery.id] = recovery
        self.state.by_key[key] = recovery.id
        return 201, recovery.as_json()


def _handler(service: OrderServiceStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve(None)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            self._serve(body if isinstance(body, dict) else None)

        def _serve(self, body: dict[str, Any] | None) -> None:
            fault, status, answer = service.handle(self.command, self.path, dict(self.headers),
                                                   body)
            if fault and fault.hang:
                service.let_go.wait(HANG_SECONDS)
            if fault and fault.lose_answer:
                self.close_connection = True
                return
            payload = fault.body if fault and fault.status is not None else \
                json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def order_service() -> Iterator[OrderServiceStandIn]:
    """For a pytest fixture: a running stand-in, closed after the test."""
    with OrderServiceStandIn() as service:
        yield service
