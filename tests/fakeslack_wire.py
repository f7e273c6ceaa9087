"""The HTTP side of tests/fakeslack.py: reading Web API calls and response-URL posts off the
wire, and writing answers the way Slack does."""
from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit


def parse_body(content_type: str, raw: bytes) -> dict[str, Any]:
    """Parameters from a form (JSON fields decoded) or a JSON body."""
    if not raw:
        return {}
    if content_type.startswith("application/json"):
        return json.loads(raw.decode("utf-8"))
    params: dict[str, Any] = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    for key in ("blocks", "attachments", "metadata", "view"):  # JSON sent as a form field
        if isinstance(params.get(key), str) and params[key][:1] in "[{":
            params[key] = json.loads(params[key])
    return params


def handler_class(fake: Any) -> type[BaseHTTPRequestHandler]:
    """The request handler serving fake (a FakeSlack)."""
    class _Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            self._serve()

        def do_GET(self) -> None:  # noqa: N802
            self._serve()

        def _serve(self) -> None:
            url = urlsplit(self.path)
            if url.path.startswith("/response/"):
                return self._response_url(url.path)
            method = url.path.rsplit("/", 1)[-1]
            length = int(self.headers.get("Content-Length") or 0)
            params = dict(parse_qsl(url.query, keep_blank_values=True))
            params.update(parse_body(self.headers.get("Content-Type", ""),
                                      self.rfile.read(length)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, body = fake.handle(method, params, headers)
            if body is None:
                self.close_connection = True
                return  # nothing written: the client sees the connection closed
            self._answer(status, json.dumps(body).encode("utf-8"),
                         {**extra, **fake.answer_headers()})

        def _response_url(self, path: str) -> None:
            """Slack answers a response URL with plain "ok", or 404 for one it never made."""
            length = int(self.headers.get("Content-Length") or 0)
            problems = fake.post_to_response_url(path, json.loads(self.rfile.read(length) or b"{}"))
            self._answer(400 if problems else 200,
                         ("invalid_blocks" if problems else "ok").encode(), {}, "text/plain")

        def _answer(self, status: int, data: bytes, extra: dict[str, str],
                    content_type: str = "application/json; charset=utf-8") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a scripted hang)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    return _Handler
