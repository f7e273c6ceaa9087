"""A one-line progress bar on stderr for long commands, drawn only where someone watches it."""
from __future__ import annotations

import sys
import time
from typing import TextIO

MIN_REDRAW_SECONDS = 0.1  # callers may report often; a terminal needs no more than this


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


class ProgressBar:
    """`label [#######.......]  45%  450,000 / 1,000,000 rows`, redrawn in place.

    Silent unless the stream is a terminal or `force` is set, so logs and pipes stay clean.
    """

    def __init__(self, label: str, total: int, unit: str = "rows", *,
                 stream: TextIO | None = None, force: bool = False, width: int = 30) -> None:
        self.label, self.total, self.unit, self.width = label, max(total, 0), unit, width
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = force or _is_terminal(self.stream)
        self.done = 0
        self._drawn_at = 0.0

    def update(self, done: int) -> None:
        """Record progress; redraws at most every MIN_REDRAW_SECONDS."""
        self.done = done
        now = time.monotonic()
        if self.enabled and now - self._drawn_at >= MIN_REDRAW_SECONDS:
            self._drawn_at = now
            self._draw()

    def finish(self) -> None:
        """Draw the final state and end the line."""
        if self.enabled:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()

    def render(self) -> str:
        """The bar's text for the current progress."""
        fraction = min(self.done / self.total, 1.0) if self.total else 1.0
        filled = int(fraction * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        if self.unit == "bytes":
            amount = f"{self.done / 1e6:,.1f} / {self.total / 1e6:,.1f} MB"
        else:
            amount = f"{self.done:,} / {self.total:,} {self.unit}"
        return f"{self.label} [{bar}] {fraction:4.0%}  {amount}"

    def _draw(self) -> None:
        self.stream.write("\r" + self.render())
        self.stream.flush()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()
