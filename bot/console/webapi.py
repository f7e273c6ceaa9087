"""The Slack Web API methods the bot calls, answered from a Workspace the way Slack answers them.

Messages need a channel and text or blocks, and metadata needs an event_type and a payload;
`conversations.history` (the bot's channels only) and `conversations.replies` page with
cursors and show message metadata only when asked with `include_all_metadata`; `views.open`
takes a trigger id once; `views.publish` keeps one Home tab per user. Other methods answer
`unknown_method`. A `check` given to WebApi may refuse a call before it is performed (the
tests refuse blocks outside Block Kit's limits).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from bot.console.workspace import BOT_ID, BOT_USER_ID, Workspace

Params = dict[str, Any]
Check = Callable[[str, Params], "Params | None"]  # (method, params) -> an error answer or None
MESSAGE_METHODS = ("chat.postMessage", "chat.postEphemeral", "chat.update")

log = logging.getLogger("cancelbot.console")


class WebApi:
    """The Web API methods, answered from a Workspace."""

    def __init__(self, workspace: Workspace, check: Check | None = None) -> None:
        self.workspace = workspace
        self.check = check
        self.methods: dict[str, Callable[[Params], Params]] = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.post_message,
            "chat.postEphemeral": self.post_ephemeral,
            "chat.update": self.update,
            "chat.delete": self.delete,
            "chat.getPermalink": self.permalink,
            "conversations.replies": self.replies,
            "conversations.history": self.history,
            "views.open": self.views_open,
            "views.push": lambda p: self.views_open(p, push=True),
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "usergroups.users.list": self.usergroup_users,
            "conversations.open": self.open_dm,
            "files.getUploadURLExternal": self.upload_url,
            "files.completeUploadExternal": self.complete_upload,
        }

    def call(self, method: str, params: Params) -> Params:
        """The answer to one call (ok added when the method does not say)."""
        handler = self.methods.get(method)
        if handler is None:
            log.warning("the stand-in for Slack does not answer %s", method)
            return {"ok": False, "error": "unknown_method"}
        refusal = message_refusal(params) if method in MESSAGE_METHODS else None
        refusal = refusal or (self.check(method, params) if self.check else None)
        if refusal:
            return refusal
        try:
            answer = handler(params)
        except KeyError as missing:
            return {"ok": False, "error": "invalid_arguments", "missing": str(missing)}
        return {"ok": True, **answer}

    def auth_test(self, params: Params) -> Params:
        team = self.workspace.team
        return {"url": team.url, "team": team.name, "user": "cancelbot", "team_id": team.id,
                "user_id": BOT_USER_ID, "bot_id": BOT_ID}

    def post_message(self, params: Params) -> Params:
        message = self.workspace.post(params["channel"], params.get("text", ""),
                                      params.get("blocks"), params.get("thread_ts") or None,
                                      params.get("metadata"))
        return {"channel": message.channel, "ts": message.ts, "message": message.as_slack()}

    def post_ephemeral(self, params: Params) -> Params:
        if not params.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        message = self.workspace.post(params["channel"], params.get("text", ""),
                                      params.get("blocks"), visible_to=params["user"])
        return {"message_ts": message.ts}

    def update(self, params: Params) -> Params:
        message = self.workspace.message(params["channel"], params.get("ts", ""))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        self.workspace.edit(message, params.get("text", ""), params.get("blocks"),
                            params.get("metadata"), updated=True)
        return {"channel": message.channel, "ts": message.ts, "text": message.text}

    def delete(self, params: Params) -> Params:
        message = self.workspace.message(params["channel"], params["ts"])
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        self.workspace.delete(message)
        return {"channel": message.channel, "ts": message.ts}

    def permalink(self, params: Params) -> Params:
        channel, ts = params.get("channel", ""), params.get("message_ts", "")
        if self.workspace.message(channel, ts) is None:
            return {"ok": False, "error": "message_not_found"}
        return {"channel": channel, "permalink":
                f"{self.workspace.team.url}archives/{channel}/p{ts.replace('.', '')}"}

    def replies(self, params: Params) -> Params:
        thread = self.workspace.thread(params.get("channel", ""), params.get("ts", ""))
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        return page([m.as_slack() for m in thread], params, default_limit=1000)

    def history(self, params: Params) -> Params:
        channel = params.get("channel", "")
        member_of = self.workspace.member_of
        if member_of is not None and channel not in member_of:
            return {"ok": False, "error": "not_in_channel"}
        latest = self.workspace.history(channel)
        return page([m.as_slack() for m in latest], params, default_limit=100)

    def views_open(self, params: Params, push: bool = False) -> Params:
        view = _view(params)
        if view is None:
            return {"ok": False, "error": "invalid_arguments"}
        return self.workspace.open_view(params.get("trigger_id", ""), view, push=push)

    def views_update(self, params: Params) -> Params:
        view = _view(params)
        if view is None:
            return {"ok": False, "error": "invalid_arguments"}
        return self.workspace.update_view(params.get("view_id", ""), view)

    def views_publish(self, params: Params) -> Params:
        view = _view(params, kind="home")
        user = params.get("user_id")
        if view is None or not user:
            return {"ok": False, "error": "invalid_arguments"}
        return {"view": self.workspace.publish_home(user, view)}

    def usergroup_users(self, params: Params) -> Params:
        group = params.get("usergroup", "")
        if group not in self.workspace.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"users": list(self.workspace.usergroups[group])}

    def open_dm(self, params: Params) -> Params:
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if len(users) != 1:  # the bot opens one person's direct message, never a group's
            return {"ok": False, "error": "users_list_not_supplied" if not users
                    else "too_many_users"}
        return {"channel": {"id": self.workspace.files.dm_channel(users[0])}}

    def upload_url(self, params: Params) -> Params:
        try:
            length = int(params["length"])
        except (TypeError, ValueError):
            return {"ok": False, "error": "invalid_arguments"}
        if not params.get("filename") or length <= 0:
            return {"ok": False, "error": "invalid_arguments"}
        reserved = self.workspace.files.reserve(str(params["filename"]), length)
        return {"upload_url": f"{self.workspace.base_url}upload/{reserved.id}",
                "file_id": reserved.id}

    def complete_upload(self, params: Params) -> Params:
        files = params.get("files")
        if isinstance(files, str):
            files = json.loads(files)
        channel = params.get("channel_id")
        if not isinstance(files, list) or not files or not channel:
            return {"ok": False, "error": "invalid_arguments"}
        shared = []
        for entry in files:
            done = self.workspace.files.share(str(entry.get("id")), str(entry.get("title") or ""),
                                              str(channel))
            if done is None:
                return {"ok": False, "error": "file_not_found"}
            shared.append({"id": done.id, "name": done.filename, "title": done.title,
                           "size": done.length,
                           **({"path": str(done.path)} if done.path else {})})
        self.workspace.post(str(channel), str(params.get("initial_comment") or ""),
                            files=shared)
        return {"files": shared}


def page(messages: list[Params], params: Params, default_limit: int) -> Params:
    """One page of messages from the cursor on; metadata only with include_all_metadata."""
    if str(params.get("include_all_metadata", "")).lower() not in ("1", "true"):
        messages = [{k: v for k, v in m.items() if k != "metadata"} for m in messages]
    start = int(params.get("cursor") or 0)
    limit = int(params.get("limit") or default_limit)
    shown, more = messages[start:start + limit], start + limit < len(messages)
    return {"messages": shown, "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""}}


def message_refusal(params: Params) -> Params | None:
    """Slack's error for a message without a channel or text, or with malformed metadata."""
    if not params.get("channel"):
        return {"ok": False, "error": "channel_not_found"}
    if not params.get("text") and not params.get("blocks"):
        return {"ok": False, "error": "no_text"}
    metadata = params.get("metadata")
    if metadata and not (isinstance(metadata, dict) and metadata.get("event_type")
                         and isinstance(metadata.get("event_payload"), dict)):
        return {"ok": False, "error": "invalid_metadata_format"}
    return None


def _view(params: Params, kind: str = "modal") -> Params | None:
    """The view a views.* call carries (JSON text or an object), if it is of that kind."""
    view = params.get("view")
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except ValueError:
            return None
    return view if isinstance(view, dict) and view.get("type") == kind else None
