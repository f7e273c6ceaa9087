"""A stand-in for Slack's Web API on 127.0.0.1, inside the console's process.

The app's own slack_sdk WebClient (base_url pointed here) and Bolt's respond() talk to it over
HTTP as they would to Slack; it answers the methods the bot calls and serves response URLs,
keeping what they did in a Workspace. Other methods answer `unknown_method`.
"""
from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

from bot.console.workspace import BOT_ID, BOT_USER_ID, TEAM_ID, Workspace

Params = dict[str, Any]
JSON_FIELDS = ("blocks", "attachments", "metadata", "view")  # JSON sent inside a form

log = logging.getLogger("cancelbot.console")


class WebApi:
    """The Web API methods, answered from a Workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.methods: dict[str, Callable[[Params], Params]] = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.post_message,
            "chat.postEphemeral": self.post_ephemeral,
            "chat.update": self.update,
            "chat.delete": self.delete,
            "chat.getPermalink": self.permalink,
            "conversations.replies": self.replies,
            "conversations.history": self.history,
            "views.open": lambda p: self.workspace.open_view(p.get("trigger_id", ""), p["view"]),
            "views.push": lambda p: self.workspace.open_view(p.get("trigger_id", ""), p["view"],
                                                             push=True),
            "views.update": lambda p: self.workspace.update_view(p.get("view_id", ""), p["view"]),
            "usergroups.users.list": self.usergroup_users,
        }

    def call(self, method: str, params: Params) -> Params:
        """The answer to one call (ok added when the method does not say)."""
        handler = self.methods.get(method)
        if handler is None:
            log.warning("the console does not answer Slack's %s", method)
            return {"ok": False, "error": "unknown_method"}
        if method.startswith(("chat.post", "chat.update")) and not (
                params.get("text") or params.get("blocks")):
            return {"ok": False, "error": "no_text"}
        try:
            answer = handler(params)
        except KeyError as missing:
            return {"ok": False, "error": "invalid_arguments", "missing": str(missing)}
        return {"ok": True, **answer}

    def auth_test(self, params: Params) -> Params:
        return {"url": "http://console.invalid/", "team": "Console", "user": "cancelbot",
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID}

    def post_message(self, params: Params) -> Params:
        message = self.workspace.post(params["channel"], params.get("text", ""),
                                      params.get("blocks"), params.get("thread_ts") or None,
                                      params.get("metadata"))
        return {"channel": message.channel, "ts": message.ts, "message": message.as_slack()}

    def post_ephemeral(self, params: Params) -> Params:
        message = self.workspace.post(params["channel"], params.get("text", ""),
                                      params.get("blocks"), visible_to=params["user"])
        return {"message_ts": message.ts}

    def update(self, params: Params) -> Params:
        message = self.workspace.message(params["channel"], params["ts"])
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        self.workspace.edit(message, params.get("text", ""), params.get("blocks"),
                            params.get("metadata"))
        return {"channel": message.channel, "ts": message.ts, "text": message.text}

    def delete(self, params: Params) -> Params:
        message = self.workspace.message(params["channel"], params["ts"])
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        self.workspace.delete(message)
        return {"channel": message.channel, "ts": message.ts}

    def permalink(self, params: Params) -> Params:
        channel, ts = params["channel"], params["message_ts"]
        if self.workspace.message(channel, ts) is None:
            return {"ok": False, "error": "message_not_found"}
        return {"channel": channel,
                "permalink": f"http://console.invalid/archives/{channel}/p{ts.replace('.', '')}"}

    def replies(self, params: Params) -> Params:
        thread = self.workspace.thread(params["channel"], params["ts"])
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        start, limit = int(params.get("cursor") or 0), int(params.get("limit") or 1000)
        more = start + limit < len(thread)
        return {"messages": [m.as_slack() for m in thread[start:start + limit]],
                "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def history(self, params: Params) -> Params:
        latest = self.workspace.history(params["channel"])
        limit = int(params.get("limit") or 100)
        return {"messages": [m.as_slack() for m in latest[:limit]],
                "has_more": len(latest) > limit}

    def usergroup_users(self, params: Params) -> Params:
        group = params["usergroup"]
        if group not in self.workspace.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"users": list(self.workspace.usergroups[group])}


class StandIn:
    """The stand-in served on a free port of 127.0.0.1 until stop()."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.api = WebApi(workspace)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.root = f"http://{host}:{port}/"
        workspace.base_url = self.root
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL would say: the base URL of the Web API methods."""
        return self.root + "api/"

    def start(self) -> "StandIn":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def parse_body(content_type: str, raw: bytes) -> Params:
    """A call's parameters from a form or JSON body (JSON fields of a form decoded)."""
    if not raw:
        return {}
    if content_type.startswith("application/json"):
        return json.loads(raw.decode("utf-8"))
    params: Params = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    for key in JSON_FIELDS:
        if isinstance(params.get(key), str) and params[key][:1] in "[{":
            params[key] = json.loads(params[key])
    return params


def _handler_class(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            try:
                params = dict(parse_qsl(url.query, keep_blank_values=True))
                params.update(parse_body(self.headers.get("Content-Type", ""),
                                         self.rfile.read(length)))
            except ValueError:
                return self._answer(400, b"invalid_payload", "text/plain")
            if url.path.startswith("/response/"):
                known = standin.workspace.respond(url.path, params)
                return self._answer(200 if known else 404, b"ok" if known else b"no_service",
                                    "text/plain")
            if not self.headers.get("Authorization", "").startswith("Bearer "):
                answer: Params = {"ok": False, "error": "not_authed"}
            else:
                answer = standin.api.call(url.path.rsplit("/", 1)[-1], params)
            self._answer(200, json.dumps(answer).encode("utf-8"), "application/json")

        do_GET = do_POST  # noqa: N815

        def _answer(self, status: int, data: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the console shows what the calls did, not the calls

    return _Handler
