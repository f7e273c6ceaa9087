"""How the stand-in for Slack fails the next calls of a method, when told to.

Slack fails in ways a bot must survive without losing or doubling a message: it refuses
(HTTP 429 with Retry-After, 5xx, ok=false), or it acts and the answer is lost (a 500 after
the post was stored, an answer that comes after the client gave up, a connection closed
without an answer). `apply=True` performs the call before failing, for the second kind.
A hang lasts until the event it was given is set, or until the stand-in stops: never a
number of seconds.
"""
from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Params = dict[str, Any]
Answer = tuple[int, dict[str, str], "Params | None"]  # status, headers, body (None: drop)
HANG_POLL_SECONDS = 0.05  # how often a hang looks whether the stand-in stopped


@dataclass(frozen=True)
class Script:
    """How one call fails."""

    kind: str  # "status" | "error" | "hang" | "drop"
    status: int = 200
    retry_after: int | None = None
    error: str = ""
    apply: bool = False  # perform the call before answering with the failure
    until: threading.Event | None = None  # a hang ends when this is set (or at stop)


@dataclass
class _Every:
    """A script for every n-th call of a method, counted from when it was set."""

    every: int
    script: Script
    seen: int = 0


class Faults:
    """The failures scripted per method, taken by the calls in the order they arrive."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, deque[Script]] = {}
        self._every: dict[str, _Every] = {}
        self.stopped = threading.Event()  # set when the stand-in stops: every hang ends

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

    def hang_next(self, method: str, apply: bool = True, times: int = 1,
                  until: threading.Event | None = None) -> None:
        """Answer the next calls only once `until` is set (when given) or the stand-in stops,
        long after the client gave up; apply them first."""
        self._script(method, times, Script("hang", apply=apply, until=until))

    def drop_next(self, method: str, apply: bool = True, times: int = 1) -> None:
        """Close the connection without an answer on the next calls; apply them first."""
        self._script(method, times, Script("drop", apply=apply))

    def _script(self, method: str, times: int, script: Script) -> None:
        with self._lock:
            self._scripts.setdefault(method, deque()).extend([script] * times)

    def take(self, method: str) -> Script | None:
        """The failure of this call of method, if one is scripted."""
        with self._lock:
            queue = self._scripts.get(method)
            if queue:
                return queue.popleft()
            every = self._every.get(method)
            if every is None:
                return None
            every.seen += 1
            return every.script if every.seen % every.every == 0 else None

    def play(self, script: Script, answer: Callable[[], Params]) -> Answer:
        """(status, headers, body) of a call that fails as scripted; answer() performs it."""
        if script.kind == "status":
            if script.apply:
                answer()
            retry = {} if script.retry_after is None else {"Retry-After": str(script.retry_after)}
            error = "ratelimited" if script.status == 429 else "fatal_error"
            return script.status, retry, {"ok": False, "error": error}
        if script.kind == "error":
            return 200, {}, {"ok": False, "error": script.error}
        body = answer() if script.apply else {"ok": True}
        if script.kind == "drop":
            return 200, {}, None
        if script.until is None:
            self.stopped.wait()
        else:  # until the caller sets its event, or the stand-in stops
            while not (script.until.wait(HANG_POLL_SECONDS) or self.stopped.is_set()):
                pass
        return 200, {}, body
