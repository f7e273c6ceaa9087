"""Splitting a CSV file into records, strictly enough that no record can swallow the rows after
it: a quote left open is reported on the line where it opened, and the lines after that line are
read as rows of their own again.

The rules (README's CSV formats): fields are separated by commas; a field that starts with a
quote ends at the next lone quote, which must be followed by a comma or the end of the line, and
`""` inside it is one quote; such a field may hold line breaks, but none of its lines may read as
a row of the file. Lines end with LF or CRLF; a carriage return alone is not a line break.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

QUOTE = '"'
# a quoted field longer than this that runs over several lines is a quote left open, not text
MAX_QUOTED_CHARS = 100_000


class UnreadableFile(Exception):
    """The file cannot be read as UTF-8 CSV text at all; the message is one line for the user."""


@dataclass(frozen=True)
class Broken:
    """Why a record could not be split into fields: at `line`, in the field at `index`."""

    line: int
    index: int
    problem: str


class Record(NamedTuple):
    """One record: the line it starts on and its fields, or why it is broken (a tuple: one is
    made per line, a million in a big import)."""

    line: int
    fields: list[str]
    broken: Broken | None = None


class _Quote(Exception):
    """A quoted field that is not closed where it should be; `resume` is the line to read on."""

    def __init__(self, broken: Broken, resume: int) -> None:
        super().__init__(broken.problem)
        self.broken, self.resume = broken, resume


class Records:
    """The records of a UTF-8 CSV byte stream; `width` (the header's field count, once known)
    tells a row-like line inside a quoted field from text."""

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self.stream, self.name = stream, name
        self.bytes_read = 0
        self.width = 0
        self._read = 0  # physical lines read from the stream
        self._pending: deque[tuple[int, str]] = deque()  # lines given back after a broken quote
        self._held: list[tuple[int, str]] = []  # the lines of the record being read
        # (line opened, field index, line closed) of its first quoted field that ran over lines
        self._spanning: tuple[int, int, int] | None = None

    def __iter__(self) -> Iterator[Record]:
        while (first := self._next_line()) is not None:
            number, text = first
            if QUOTE not in text and "\r" not in text:
                yield Record(number, text.split(","))  # the common case, without a scan
                continue
            self._held, self._spanning = [first], None
            try:
                yield Record(number, self._checked(self._fields(number, text)))
            except _Quote as quote:
                # the lines after the quote's line are rows of their own: read them again
                self._pending.extendleft(reversed(
                    [held for held in self._held if held[0] >= quote.resume]))
                yield Record(number, [], quote.broken)

    def _checked(self, fields: list[str]) -> list[str]:
        """The fields, unless a quoted field ran over lines and left the row the wrong width."""
        if self._spanning and self.width and len(fields) != self.width:
            opened, index, reached = self._spanning
            raise _Quote(Broken(opened, index, (
                f"the quote opened on this line runs on to line {reached}, and the row then has "
                f"{len(fields)} fields, not {self.width}; close the quote on this line "
                '(a quote inside a quoted field is written twice: "")')), opened + 1)
        return fields

    def _next_line(self) -> tuple[int, str] | None:
        if self._pending:
            return self._pending.popleft()
        raw = self.stream.readline()
        if not raw:
            return None
        self._read += 1
        self.bytes_read += len(raw)
        if self._read == 1:
            raw = self._first(raw)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise UnreadableFile(f"{self.name}: line {self._read} is not UTF-8 text; "
                                 "save the file as CSV UTF-8") from None
        if text.endswith("\n"):
            text = text[:-2] if text.endswith("\r\n") else text[:-1]
        elif text.endswith("\r"):
            text = text[:-1]
        return self._read, text

    def _first(self, raw: bytes) -> bytes:
        """The first line without its UTF-8 byte-order mark; a UTF-16 file is refused."""
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise UnreadableFile(f"{self.name} is UTF-16 text, not UTF-8; "
                                 "save the file as CSV UTF-8")
        if b"\0" in raw:
            raise UnreadableFile(f"{self.name}: line 1 has NUL bytes in it, so the file is not "
                                 "UTF-8 text (perhaps UTF-16); save the file as CSV UTF-8")
        return raw.removeprefix(b"\xef\xbb\xbf")

    def _fields(self, number: int, text: str) -> list[str]:
        """The fields of the record starting with this line (more lines are read as needed)."""
        fields: list[str] = []
        pos = 0
        while True:
            if text.startswith(QUOTE, pos):
                field, number, text, pos = self._quoted(len(fields), number, text, pos + 1)
                fields.append(field)
                if pos == len(text):
                    return fields
                pos += 1  # the comma after the closing quote
                continue
            comma = text.find(",", pos)
            end = len(text) if comma < 0 else comma
            if "\r" in text[pos:end]:
                self._lone_cr(number)
            fields.append(text[pos:end])
            if comma < 0:
                return fields
            pos = comma + 1

    def _quoted(self, index: int, number: int, text: str,
                pos: int) -> tuple[str, int, str, int]:
        """A quoted field whose text starts at pos; (its text, and the line, line text and
        position just after its closing quote)."""
        opened, parts, size = number, [], 0
        while True:
            close = text.find(QUOTE, pos)
            if close < 0:
                parts.append(text[pos:])
                size += len(text) - pos
                self._row_like(index, opened, number, text, len(text))
                if number > opened and size > MAX_QUOTED_CHARS:
                    raise _Quote(Broken(opened, index, _never_closed(opened, number)), opened + 1)
                following = self._next_line()
                if following is None:
                    raise _Quote(Broken(opened, index, _never_closed(opened, None)), opened + 1)
                self._held.append(following)
                number, text = following
                parts.append("\n")
                pos = 0
                continue
            parts.append(text[pos:close])
            if text.startswith(QUOTE, close + 1):  # "" is one quote
                parts.append(QUOTE)
                pos = close + 2
                continue
            self._row_like(index, opened, number, text, close)
            if number > opened and self._spanning is None:
                self._spanning = (opened, index, number)
            after = close + 1
            if after < len(text) and text[after] != ",":
                self._after_quote(index, opened, number, text[after])
            return "".join(parts), number, text, after

    def _row_like(self, index: int, opened: int, number: int, text: str, end: int) -> None:
        """A line inside a quoted field (up to end) that has a row's commas is a row the quote
        swallowed, not text."""
        if number > opened and self.width > 2 and text.count(",", 0, end) >= self.width - 1:
            raise _Quote(Broken(opened, index, (
                f"the quote opened on this line is not closed, so line {number} would be read "
                "as part of this field; close the quote (a quote inside a quoted field is "
                'written twice: "")')), opened + 1)

    def _after_quote(self, index: int, opened: int, number: int, char: str) -> None:
        if char == "\r":
            self._lone_cr(number)
        if number > opened:
            raise _Quote(Broken(opened, index, (
                f"the quote opened on this line is closed only on line {number}, with text "
                "after it; close the quote on this line (a quote inside a quoted field is "
                'written twice: "")')), opened + 1)
        raise _Quote(Broken(opened, index, (
            "has text after its closing quote; put the whole field in quotes and write each "
            'quote inside it twice: ""')), opened + 1)

    def _lone_cr(self, number: int) -> None:
        raise UnreadableFile(
            f"{self.name}: line {number} has a line break made of a carriage return alone (CR, "
            "as in old Mac files); save the file with Windows (CRLF) or Unix (LF) line endings")


def _never_closed(opened: int, reached: int | None) -> str:
    if reached is None:
        return ("the quote opened on this line is never closed; close it (a quote inside a "
                'quoted field is written twice: "")')
    return (f"the quote opened on this line is still open on line {reached}; close it (a quote "
            'inside a quoted field is written twice: "")')
