"""The fault scripting of tests/fakeslack.py: how the next calls of a method fail.

Slack fails in ways a bot must survive without losing or doubling a message: it refuses
(HTTP 429 with Retry-After, 5xx, ok=false), or it acts and the answer is lost (a 500 after
the post was stored, an answer after the client gave up, a connection closed without an
answer). `apply=True` performs the call before failing, for the second kind.
"""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

Answer = tuple[int, dict[str, str], "dict[str, Any] | None"]  # None: drop the connection


@dataclass(frozen=True)
class Script:
    """How one call fails."""

    kind: str  # "status" | "error" | "hang" | "drop"
    status: int = 200
    retry_after: int | None = None
    error: str = ""
    seconds: float = 0.0
    apply: bool = False  # perform the call before answering with the failure
    until: threading.Event | None = None  # a hang ends when this is set (instead of seconds)


@dataclass
class _Every:
    """A script for every n-th call of a method, counted from when it was set."""

    every: int
    script: Script
    seen: int = 0


class FaultScripting:
    """Mixed into FakeSlack, which provides _lock, _unhang (set when it stops) and _answer."""

    _lock: threading.RLock
    _unhang: threading.Event

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _init_faults(self) -> None:
        self._scripts: dict[str, deque[Script]] = {}
        self._every: dict[str, _Every] = {}

    def fail_next(self, method: str, times: int = 1, status: int = 500,
                  retry_after: int | None = None, apply: bool = False) -> None:
        """Answer the next calls of method with an HTTP error status (429: with Retry-After);
        with apply, perform each call first (Slack stored the post, then answered 500)."""
        self._script(method, times, Script("status", status=status, retry_after=retry_after,
                                           apply=apply))

    def fail_every(self, method: str, every: int = 2, status: int = 500,
                   retry_after: int | None = None, apply: bool = False) -> None:
        """From now on, answer every `every`-th call of method as fail_next would (calls
        scripted with the *_next methods first take their own turn); every=0 stops it."""
        with self._lock:
            if every:
                self._every[method] = _Every(every, Script(
                    "status", status=status, retry_after=retry_after, apply=apply))
            else:
                self._every.pop(method, None)

    def error_next(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next calls of method with HTTP 200 and {"ok": false, "error": error}."""
        self._script(method, times, Script("error", error=error))

    def hang_next(self, method: str, seconds: float = 5.0, apply: bool = True,
                  times: int = 1, until: threading.Event | None = None) -> None:
        """Answer the next calls only after seconds (past the client timeout), or only once
        `until` is set when it is given; apply them first."""
        self._script(method, times, Script("hang", seconds=seconds, apply=apply, until=until))

    def drop_next(self, method: str, apply: bool = True, times: int = 1) -> None:
        """Close the connection without an answer on the next calls; apply them first."""
        self._script(method, times, Script("drop", apply=apply))

    def _script(self, method: str, times: int, script: Script) -> None:
        with self._lock:
            self._scripts.setdefault(method, deque()).extend([script] * times)

    def _next_script(self, method: str) -> Script | None:
        """The failure of this call of method, if one is scripted (call with _lock held)."""
        queue = self._scripts.get(method)
        if queue:
            return queue.popleft()
        every = self._every.get(method)
        if every is None:
            return None
        every.seen += 1
        return every.script if every.seen % every.every == 0 else None

    def _scripted(self, script: Script, method: str, params: dict[str, Any]) -> Answer:
        """(status, headers, body) of a call that fails as scripted."""
        if script.kind == "status":
            if script.apply:
                self._answer(method, params)
            retry = {"Retry-After": str(script.retry_after)} if script.retry_after is not None else {}
            error = "ratelimited" if script.status == 429 else "fatal_error"
            return script.status, retry, {"ok": False, "error": error}
        if script.kind == "error":
            return 200, {}, {"ok": False, "error": script.error}
        answer = self._answer(method, params) if script.apply else {"ok": True}
        if script.kind == "drop":
            return 200, {}, None
        if script.until is None:
            self._unhang.wait(script.seconds)
        else:  # until the test sets its event, or the fake stops
            while not (script.until.wait(0.05) or self._unhang.is_set()):
                pass
        return 200, {}, answer
