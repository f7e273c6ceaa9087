"""What the stand-in for Slack keeps: channels, threads, ephemeral messages, response URLs and
what was posted to them, modals, user groups and the channels the bot is in.

The console shows it; the tests' fake Slack (tests/fakeslack.py) reads it. Every change (a
message posted, a thread reply, an edit, a removal) is handed to `on_change`
at once, on the thread that made it, so the console shows it before the app's call returns.
Response URLs behave as Slack's do: the first answer to a command is a new ephemeral message,
later ones replace it unless they say replace_original false; a click's response URL edits
(or deletes) the message the button was on.
"""
from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.console.files import FileShelf

BOT_USER_ID = "U0CANCELBOT"
BOT_ID = "B0CANCELBOT"
TEAM_ID = "T0CONSOLE"
HOME_CHANNEL = "home:"  # a Home tab shown as a message: its channel is this and the user


@dataclass(frozen=True)
class Team:
    """The workspace auth.test names, and the address its permalinks start with."""

    id: str = TEAM_ID
    name: str = "Console"
    url: str = "http://console.invalid/"


@dataclass
class Message:
    """One message: in a channel (or thread), or ephemeral (seen only by visible_to)."""

    channel: str
    ts: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    visible_to: str | None = None
    deleted: bool = False
    edited: bool = False  # changed by chat.update (Slack then shows "edited")
    files: list[dict[str, Any]] = field(default_factory=list)  # shared with the message

    def as_slack(self) -> dict[str, Any]:
        """The message as the Web API returns it."""
        shown: dict[str, Any] = {"type": "message", "ts": self.ts, "user": BOT_USER_ID,
                                 "bot_id": BOT_ID, "text": self.text, "blocks": self.blocks}
        if self.thread_ts:
            shown["thread_ts"] = self.thread_ts
        if self.metadata:
            shown["metadata"] = self.metadata
        if self.edited:
            shown["edited"] = {"user": BOT_USER_ID, "ts": self.ts}
        if self.files:
            shown["files"] = self.files
        return shown


@dataclass(frozen=True)
class Change:
    """What happened to a message: posted, replied (in a thread), edited or deleted."""

    kind: str
    message: Message


@dataclass
class _ResponseUrl:
    user: str
    channel: str
    original: Message | None  # the message this URL edits; None until a command is answered
    posted: list[dict[str, Any]] = field(default_factory=list)  # every body, in order


class Workspace:
    """The stand-in's state; every method is safe to call from several threads."""

    def __init__(self, on_change: Callable[[Change], None] = lambda change: None,
                 team: Team = Team(), first_ts: int | None = None) -> None:
        """first_ts: the seconds of the first message's ts (now when not given)."""
        self.on_change = on_change
        self.team = team
        self.base_url = ""  # where response URLs point; set by the server
        self.usergroups: dict[str, list[str]] = {}
        self.files = FileShelf()  # the console points its save_to at a folder
        self.member_of: set[str] | None = None  # channels the bot is in (None: every one)
        self.views: dict[str, dict[str, Any]] = {}
        self.modals: list[str] = []  # the open modal stack, top last
        self.homes: dict[str, dict[str, Any]] = {}  # user id: their published Home tab
        self.lock = threading.RLock()  # held by every method; a reader may hold it too
        self._channels: dict[str, list[Message]] = {}
        self._urls: dict[str, _ResponseUrl] = {}
        self._triggers: set[str] = set()
        self._home_messages: dict[str, Message] = {}
        self._serial = itertools.count(1)
        self._start = int(time.time()) if first_ts is None else first_ts

    # -- messages ---------------------------------------------------------------------------

    def _ts(self) -> str:
        serial = next(self._serial)
        return f"{self._start + serial}.{serial:06d}"

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None,
             thread_ts: str | None = None, metadata: dict[str, Any] | None = None,
             visible_to: str | None = None,
             files: list[dict[str, Any]] | None = None) -> Message:
        """A new message (a thread reply when thread_ts is given; ephemeral with visible_to;
        sharing files when given)."""
        with self.lock:
            message = Message(channel, self._ts(), text, blocks or [], thread_ts, metadata,
                              visible_to, files=files or [])
            if visible_to is None:
                self._channels.setdefault(channel, []).append(message)
        self.on_change(Change("replied" if thread_ts else "posted", message))
        return message

    def message(self, channel: str, ts: str) -> Message | None:
        """A channel message (not an ephemeral one) that is still there."""
        with self.lock:
            return next((m for m in self._channels.get(channel, [])
                         if m.ts == ts and not m.deleted), None)

    def edit(self, message: Message, text: str, blocks: list[dict[str, Any]] | None,
             metadata: dict[str, Any] | None = None, updated: bool = False) -> Message:
        """Replace a message's text and blocks (chat.update when updated, or replace_original)."""
        with self.lock:
            message.text, message.blocks = text, blocks or []
            message.edited = message.edited or updated
            if metadata:
                message.metadata = metadata
        self.on_change(Change("edited", message))
        return message

    def delete(self, message: Message) -> None:
        with self.lock:
            message.deleted = True
        self.on_change(Change("deleted", message))

    def thread(self, channel: str, ts: str) -> list[Message]:
        """A thread's parent and replies, oldest first; empty when the parent is gone."""
        with self.lock:
            if self.message(channel, ts) is None:
                return []
            return [m for m in self._channels.get(channel, []) if not m.deleted
                    and (m.ts == ts or m.thread_ts == ts)]

    def history(self, channel: str) -> list[Message]:
        """A channel's top-level messages, newest first."""
        with self.lock:
            return [m for m in reversed(self._channels.get(channel, []))
                    if not m.deleted and m.thread_ts in (None, m.ts)]

    def channels(self) -> dict[str, list[Message]]:
        """Every channel's messages still there (thread replies too), oldest first."""
        with self.lock:
            return {channel: [m for m in messages if not m.deleted]
                    for channel, messages in self._channels.items()}

    # -- response URLs ----------------------------------------------------------------------

    def response_url(self, user: str, channel: str, original: Message | None = None) -> str:
        """A new response URL for a command or a click on original."""
        with self.lock:
            key = f"R{next(self._serial):06d}"
            self._urls[key] = _ResponseUrl(user, channel, original)
        return f"{self.base_url}response/{key}"

    def posted_to(self, url: str) -> list[dict[str, Any]]:
        """Every body posted to a response URL, in order."""
        with self.lock:
            target = self._urls.get(url.rsplit("/", 1)[-1])
            return list(target.posted) if target else []

    def respond(self, url: str, body: dict[str, Any]) -> bool:
        """Apply what was posted to a response URL; False for a URL the stand-in never made."""
        with self.lock:
            target = self._urls.get(url.rsplit("/", 1)[-1])
            if target is not None:
                target.posted.append(body)
        if target is None:
            return False
        original = target.original
        if body.get("delete_original"):
            if original is not None:
                self.delete(original)
                target.original = None
        elif original is not None and not original.deleted and \
                body.get("replace_original", True) is not False:
            self.edit(original, body.get("text", ""), body.get("blocks"))
        elif body.get("response_type") == "in_channel":
            self.post(target.channel, body.get("text", ""), body.get("blocks"))
        else:
            shown = self.post(target.channel, body.get("text", ""), body.get("blocks"),
                              visible_to=target.user)
            if original is None or original.deleted:
                target.original = shown
        return True

    # -- modals -----------------------------------------------------------------------------

    def new_trigger(self) -> str:
        """A trigger id for one click or command (views.open takes it once)."""
        with self.lock:
            trigger = f"{next(self._serial)}.{self._start}.console"
            self._triggers.add(trigger)
        return trigger

    def open_view(self, trigger: str, view: dict[str, Any], push: bool = False) -> dict[str, Any]:
        """views.open / views.push: the stored view, or an error answer."""
        with self.lock:
            if not trigger:
                return {"ok": False, "error": "invalid_arguments"}
            if trigger not in self._triggers:
                return {"ok": False, "error": "expired_trigger_id"}
            self._triggers.discard(trigger)
            stored = self._store_view(f"V{next(self._serial):08d}", view)
            if not push:
                self.modals.clear()
            self.modals.append(stored["id"])
            return {"ok": True, "view": stored}

    def update_view(self, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        """views.update of an open or closed modal."""
        with self.lock:
            if view_id not in self.views:
                return {"ok": False, "error": "not_found"}
            return {"ok": True, "view": self._store_view(view_id, view)}

    def _store_view(self, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        stored = {**view, "id": view_id, "hash": f"{time.time():.6f}",
                  "state": {"values": {}}, "private_metadata": view.get("private_metadata", "")}
        self.views[view_id] = stored
        return stored

    def publish_home(self, user: str, view: dict[str, Any]) -> dict[str, Any]:
        """views.publish: the user's Home tab, replaced whole (its view id stays)."""
        with self.lock:
            old = self.homes.get(user)
            view_id = old["id"] if old else f"V{next(self._serial):08d}"
            stored = self._store_view(view_id, view)
            self.homes[user] = stored
            # the console shows a Home tab as it shows a message: its buttons numbered, and
            # gone (no longer pressable) once a newer home replaces them
            shown = Message(HOME_CHANNEL + user, view_id, "", stored.get("blocks") or [],
                            visible_to=user)
            old_shown, self._home_messages[user] = self._home_messages.get(user), shown
            if old_shown is not None:
                old_shown.deleted = True
        self.on_change(Change("home", shown))
        return stored

    def close_modal(self, every: bool = False) -> None:
        """Close the top modal (every one with every)."""
        with self.lock:
            del self.modals[0 if every else -1:]

    def top_modal(self) -> dict[str, Any] | None:
        """The modal the user has in front of them, if any."""
        with self.lock:
            return self.views.get(self.modals[-1]) if self.modals else None
