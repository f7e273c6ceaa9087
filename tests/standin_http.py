"""What the tests' stand-ins for services outside our walls (Smartship's order feed and order
service, a sales site) share: an HTTP server on 127.0.0.1 at a port the system chose when it
bound, serving on threads of its own until close().

A stand-in subclasses StandInServer and says how it answers one request (`reply_to`). The server
keeps every request in `log` (and, in `answered`, the stand-in's own answers), checks a bearer
token when the stand-in has one, and meets calls with faults on demand: another status or body,
a hang until the test lets go, a redirect, or no answer at all. Tests wait on requests with
wait_for, never on a duration.
"""
from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self

WAIT_SECONDS = 20  # only reached when a test is broken
TRICKLE_SECONDS = 0.05  # between two bytes of a trickled answer


@dataclass(frozen=True)
class Request:
    """One request as the stand-in received it."""

    method: str
    path: str  # with its query, as sent
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Reply:
    """What the stand-in sends back, and how."""

    status: int
    body: bytes = b""
    location: str | None = None  # a Location header (with a 3xx status: a redirect)
    hang: bool = False  # wait until the test lets go (or hang_seconds), then answer
    trickle: bool = False  # send the body one byte every TRICKLE_SECONDS
    lose_answer: bool = False  # close the connection without answering


@dataclass(frozen=True)
class Fault:
    """What one call meets instead of, or on top of, the stand-in's own answer."""

    status: int | None = None  # answer this status (with body) instead
    body: bytes = b""
    hang: bool = False  # wait until the test lets go, then answer as usual
    location: str | None = None
    lose_answer: bool = False  # do what the call asks, then close without answering

    def upon(self, own: Reply) -> Reply:
        """The reply this fault makes of the stand-in's own."""
        return replace(own, hang=self.hang, location=self.location, lose_answer=self.lose_answer)


def json_reply(status: int, answer: Any, **how: Any) -> Reply:
    """A reply with `answer` as its JSON body (`how`: hang, trickle, lose_answer)."""
    return Reply(status, json.dumps(answer).encode(), **how)


def json_body(request: Request) -> dict[str, Any] | None:
    """The request's body when it is a JSON object, else None."""
    try:
        body = json.loads(request.body)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


class StandInServer:
    """A stand-in on 127.0.0.1, port 0; use it as a context manager or close() it."""

    name: ClassVar[str] = "the stand-in"  # what a failed wait_for names
    hang_seconds: ClassVar[float] = 30  # a hung call is answered after this if never let go

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.log: list[Request] = []
        self.answered: list[tuple[Request, Reply]] = []  # faults aside
        self.faults: deque[Fault] = deque()
        self.changed = threading.Condition()
        self.let_go = threading.Event()  # releases hung calls
        self.httpd = _Server(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,),
                                        daemon=True)
        self._thread.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def origin(self) -> str:
        """http://127.0.0.1:{the port the server is bound to}"""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        """Answer hung calls, stop serving, and wait for the threads that answer calls."""
        self.let_go.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join()

    def reply_to(self, request: Request) -> Reply:
        """The stand-in's own answer to an authorized request (called holding `changed`)."""
        raise NotImplementedError

    def fault_next(self, times: int = 1, **fault: Any) -> None:
        """The next `times` calls meet Fault(**fault)."""
        with self.changed:
            self.faults.extend(Fault(**fault) for _ in range(times))

    def wait_for(self, predicate: Callable[[], Any], timeout: float = WAIT_SECONDS) -> Any:
        """Wait until predicate() is truthy (re-checked at every call); fail the test if never."""
        with self.changed:
            result = self.changed.wait_for(predicate, timeout)
        assert result, f"{self.name} never saw what the test waited for"
        return result

    def serve(self, request: Request) -> Reply:
        """Keep the request, then answer it: with its fault, a refusal, or the stand-in's own."""
        with self.changed:
            self.log.append(request)
            fault = self.faults.popleft() if self.faults else None
            self.changed.notify_all()
            if fault and fault.status is not None:
                return fault.upon(Reply(fault.status, fault.body))
            if self.token and request.headers.get("Authorization") != f"Bearer {self.token}":
                own = json_reply(401, {"error": "unauthorized"})
            else:
                own = self.reply_to(request)
            self.answered.append((request, own))
            return fault.upon(own) if fault else own


class _Server(ThreadingHTTPServer):
    # not daemon threads: server_close() joins them, so no call is still answered after close
    daemon_threads = False

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up on a hung or trickled answer is what the test wanted


def _handler(stand_in: StandInServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            reply = stand_in.serve(Request(self.command, self.path, dict(self.headers), body))
            if reply.hang:
                stand_in.let_go.wait(stand_in.hang_seconds)
            if reply.lose_answer:
                self.close_connection = True
                return
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            if reply.location:
                self.send_header("Location", reply.location)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.trickle:
                self._trickle(reply.body)
            else:
                self.wfile.write(reply.body)

        def _trickle(self, body: bytes) -> None:
            for i in range(len(body)):
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                if stand_in.let_go.wait(TRICKLE_SECONDS):
                    return

        def log_message(self, *args: object) -> None:
            pass

    return Handler
