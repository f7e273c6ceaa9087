"""What the console prints: each message as it appears or changes, its buttons numbered."""
from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from bot.console.render import render_blocks, render_message
from bot.console.workspace import Change, Message, Workspace
from handlers.thread_results import RESULT_EVENT

_REQUEST_NO = re.compile(r"request #(\d+)", re.IGNORECASE)
PARENT_MAX = 40

log = logging.getLogger("cancelbot.console")


@dataclass(frozen=True)
class Button:
    """A button the user can press by its number: where it is, and the element itself."""

    message: Message
    element: dict[str, Any]
    block_id: str

    def still_shown(self) -> bool:
        """Whether the message still shows this button (it may have been edited or removed)."""
        if self.message.deleted:
            return False
        return any(_same(self.element, e) for b in self.message.blocks for e in _buttons(b))


class Screen:
    """Prints messages and notices (from any thread) and keeps the button numbers."""

    def __init__(self, workspace: Workspace, out: TextIO = sys.stdout,
                 channel_names: dict[str, str] | None = None, styled: bool = False) -> None:
        self.workspace = workspace
        self.out = out
        self.names = channel_names or {}
        self.bold: Callable[[str], str] = (lambda s: f"\033[1m{s}\033[0m") if styled else str
        self.buttons: dict[int, Button] = {}
        self.prompt = ""  # shown again after a message printed while the user is typing
        self._lock = threading.RLock()
        self._results = threading.Condition(self._lock)
        self.results_posted = 0
        self.results_seen = 0
        self.changes = 0  # messages shown so far: whether a request showed anything at all

    # -- output -----------------------------------------------------------------------------

    def say(self, *lines: str) -> None:
        """Print lines as one piece, never interleaved with another thread's output."""
        with self._lock:
            self.out.write("\n".join(lines) + "\n")
            self.out.flush()

    def show(self, change: Change) -> None:
        """Print a message that was posted, replied, edited or deleted (the stand-in calls it)."""
        message = change.message
        with self._lock:
            self.changes += 1
            if self.prompt:
                self.out.write("\n")
            if change.kind == "deleted":
                self.say(f"── {self.where(message)} · message removed ──")
            else:
                self.say(f"── {self.heading(change)} ──", *self._body(message), "")
            if self.prompt:
                self.out.write(self.prompt)
                self.out.flush()
            event = (message.metadata or {}).get("event_type")
            if change.kind == "replied" and event == RESULT_EVENT:
                self.results_posted += 1
                self._results.notify_all()

    def _body(self, message: Message) -> list[str]:
        return self._text(message) + [
            f"file {f.get('title') or f.get('name')}: saved to {f['path']}" if f.get("path")
            else f"file {f.get('title') or f.get('name')}" for f in message.files]

    def _text(self, message: Message) -> list[str]:
        try:
            return render_message(message.as_slack(), self._numberer(message), self.bold)
        except Exception:  # a block the renderer does not expect: the text still tells it
            log.exception("could not render a message's blocks")
            return (message.text or "(no text)").splitlines()

    def show_view(self, view: dict[str, Any]) -> None:
        """A modal's title and what it says; its inputs are asked for separately."""
        title = (view.get("title") or {}).get("text", "")
        blocks = [b for b in view.get("blocks", []) if b.get("type") != "input"]
        self.say(f"┌─ modal: {title} ─", *("│ " + line for line in
                                           render_blocks(blocks, lambda e, b: "-", self.bold)),
                 "└─ answer each input below (an empty line skips an optional one; "
                 "`cancel` closes the modal)")

    # -- headings ---------------------------------------------------------------------------

    def where(self, message: Message) -> str:
        """The channel as people call it: #name, or a direct message."""
        channel = message.channel
        if channel[:1] in ("U", "W", "D"):
            return f"direct message to {channel}"
        return f"#{self.names.get(channel, channel)}"

    def heading(self, change: Change) -> str:
        message, where = change.message, self.where(change.message)
        if change.kind == "home":
            return f"Home tab of {message.visible_to} (published when it is opened)"
        if message.visible_to:
            edited = " (replaces the previous one)" if change.kind == "edited" else ""
            return f"{where} · only {message.visible_to} sees this{edited}"
        if change.kind == "replied":
            return f"{where} · thread of {self._parent(message)}"
        if change.kind == "edited":
            return f"{where} · message edited" + (" (in a thread)" if message.thread_ts else "")
        return f"{where} · new message"

    def _parent(self, reply: Message) -> str:
        parent = self.workspace.message(reply.channel, reply.thread_ts or "")
        text = parent.text if parent else ""
        found = _REQUEST_NO.search(text)
        if found:
            return f"request #{found.group(1)}"
        short = text if len(text) <= PARENT_MAX else text[:PARENT_MAX - 1] + "…"
        return f"“{short}”"

    # -- buttons ----------------------------------------------------------------------------

    def _numberer(self, message: Message) -> Callable[[dict[str, Any], dict[str, Any]], int]:
        def number(element: dict[str, Any], block: dict[str, Any]) -> int:
            with self._lock:
                n = len(self.buttons) + 1
                self.buttons[n] = Button(message, element, block.get("block_id", ""))
                return n
        return number

    # -- waiting for results ----------------------------------------------------------------

    def wait_for_result(self, timeout: float) -> bool:
        """Block until a job result arrives in a thread that no earlier wait saw."""
        with self._results:
            arrived = self._results.wait_for(
                lambda: self.results_posted > self.results_seen, timeout)
            self.results_seen = self.results_posted
            return arrived


def _buttons(block: dict[str, Any]) -> list[dict[str, Any]]:
    elements = list(block.get("elements", [])) if block.get("type") == "actions" else []
    if block.get("accessory"):
        elements.append(block["accessory"])
    return [e for e in elements if e.get("type") == "button"]


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (a.get("action_id"), a.get("value")) == (b.get("action_id"), b.get("value"))
