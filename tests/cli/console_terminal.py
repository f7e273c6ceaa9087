"""A Terminal stands in for the person at the console's keyboard.

It types a line when the console asks for one and returns what the console printed until it
asks again, so a test can read a button's number before pressing it.
"""
from __future__ import annotations

import io
import queue
import threading

import pytest

from bot.cli import main

ANSWER_SECONDS = 30.0


class Terminal:
    """The console's standard input and output, typed into and read line by line."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.thread: threading.Thread | None = None
        self.status: list[int] = []
        self._typed: queue.Queue[str] = queue.Queue()
        self._shown = io.StringIO()
        self._changed = threading.Condition()
        self._asked = 0  # how many times the console has asked for a line
        self._answered = 0
        self.gone = False  # the console has returned

    # what the console sees: a file to read lines from and one to write to
    def readline(self) -> str:
        with self._changed:
            self._asked += 1
            self._changed.notify_all()
        return self._typed.get(timeout=120)

    def write(self, text: str) -> int:
        with self._changed:
            return self._shown.write(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    # what the test does
    def start(self) -> None:
        """Run `cancelbot console` in a thread with this terminal as its stdin and stdout."""
        self.monkeypatch.setattr("sys.stdin", self)
        self.monkeypatch.setattr("sys.stdout", self)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.status.append(main(["console"]))
        finally:
            with self._changed:
                self.gone = True
                self._changed.notify_all()

    def stop(self) -> None:
        """End the input (Ctrl-D) and check that the console left cleanly."""
        if self.thread is None:
            return
        self._typed.put("")
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the console did not stop at the end of its input"
        assert self.status == [0]

    def shown(self) -> str:
        if self.thread is None:
            self.start()
            self.wait_until_asked()
        with self._changed:
            return self._shown.getvalue()

    def wait_until_asked(self) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self._asked > self._answered, ANSWER_SECONDS):
                raise AssertionError(f"the console did not ask for input:\n{self.shown()[-2000:]}")

    def type(self, line: str) -> str:
        """Type line once the console asks; what it printed until it asked again (or left)."""
        if self.thread is None:
            self.start()
        self.wait_until_asked()
        start = len(self.shown())
        with self._changed:
            self._answered += 1
        self._typed.put(line + "\n")
        self.wait_until_asked_or_gone()
        return self.shown()[start:]

    def wait_until_asked_or_gone(self) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._asked > self._answered or self.gone,
                                   ANSWER_SECONDS)
