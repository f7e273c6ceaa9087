"""Checking the values of one CSV record, each problem named by line and column (README's CSV
formats): nothing that PostgreSQL would refuse, a terminal would run, or a date that cannot be
shown gets past here."""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.errors import CONTROL_CHARS, InvalidPackingNumber, shown
from domain.model import (
    CancelledBy,
    OrderState,
    Origin,
    SalesOrderStatus,
    Stage,
    normalize_packing_no,
)

# the widths of the database columns, checked here so PostgreSQL never refuses a row mid-insert
MAX_LENGTH = {"seller_id": 64, "sales_site": 32, "sales_order_no": 64}
MAX_TEXT = 10_000  # recipient and items: far more than any real one, far less than a runaway
DATE_EXAMPLE = "2026-11-20T14:03:00+09:00"
EARLIEST_YEAR = 2000
FUTURE_ALLOWED = timedelta(days=1)

# control characters: NUL (PostgreSQL refuses it), escapes a terminal would run, and the like;
# free text may still hold tabs and line breaks
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one row, printed as `line N: column: problem`."""

    line: int
    column: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.column}: {self.problem}"


# enum members by value, looked up by dict: Enum(value) is several times slower per row
_MEMBERS: dict[type[enum.Enum], dict[str, enum.Enum]] = {
    kind: {m.value: m for m in kind}
    for kind in (Origin, OrderState, Stage, CancelledBy, SalesOrderStatus)}
_VALUES: dict[type[enum.Enum], dict[str, str]] = {
    kind: {text: member.value for text, member in members.items()}
    for kind, members in _MEMBERS.items()}


class Fields:
    """Checks one record's (stripped) values; every problem found is added to `problems`.

    Dates must fall between 2000 and a day after `now` (the time of the import)."""

    def __init__(self, problems: list[Problem], now: datetime) -> None:
        self.problems, self.line = problems, 0
        self.latest = now.astimezone(UTC) + FUTURE_ALLOWED

    def fail(self, column: str, problem: str) -> None:
        self.problems.append(Problem(self.line, column, problem))

    def text(self, column: str, value: str) -> str:
        """A short identifier: not empty, no longer than its database column, no controls."""
        if not value:
            self.fail(column, "is empty")
        elif len(value) > MAX_LENGTH[column]:
            self.fail(column, f"is longer than {MAX_LENGTH[column]} characters")
        elif CONTROL_CHARS.search(value):
            self.fail(column, f'"{shown(value)}" has a control character in it')
        return value

    def free_text(self, column: str, value: str) -> str:
        """Free text (recipient, items): may be empty or hold line breaks, within MAX_TEXT."""
        if len(value) > MAX_TEXT:
            self.fail(column, f"is longer than {MAX_TEXT:,} characters")
        elif _TEXT_CONTROL.search(value):
            self.fail(column, f'"{shown(value)}" has a control character in it '
                      "(only tabs and line breaks may be in text)")
        return value

    def choice(self, column: str, value: str, kind: type[enum.Enum], why: str = "") -> Any:
        member = _MEMBERS[kind].get(value.lower())
        if member is None:
            self._not_one_of(column, value, kind, why)
        return member

    def choice_value(self, column: str, value: str, kind: type[enum.Enum],
                     why: str = "") -> str | None:
        """What choice checks, giving the member's value (a million enum lookups cost)."""
        text = _VALUES[kind].get(value.lower())
        if text is None:
            self._not_one_of(column, value, kind, why)
        return text

    def _not_one_of(self, column: str, value: str, kind: type[enum.Enum], why: str) -> None:
        got = f'"{shown(value)}" is not one of' if value else f"is empty{why}; use one of"
        self.fail(column, f"{got} {', '.join(_MEMBERS[kind])}")

    def when(self, column: str, value: str, why: str = "") -> datetime | None:
        """An aware datetime; an empty value is None, and a problem only when `why` is given."""
        if not value:
            if why:
                self.fail(column, f"is empty{why}")
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self._bad_date(column, value, "is not an ISO 8601 date-time")
            return None
        if parsed.tzinfo is None:
            self._bad_date(column, value, "has no UTC offset")
            return None
        if parsed.year < EARLIEST_YEAR:
            self.fail(column, f'"{shown(value)}" is before {EARLIEST_YEAR}')
            return None
        # compared as they are: converting 9999-12-31T20:00-05:00 to UTC would overflow
        if parsed > self.latest:
            self.fail(column, f'"{shown(value)}" is more than a day in the future')
            return None
        return parsed

    def _bad_date(self, column: str, value: str, what: str) -> None:
        self.fail(column, f'"{shown(value)}" {what} (write e.g. {DATE_EXAMPLE})')

    def empty(self, column: str, value: str, why: str) -> None:
        if value:
            self.fail(column, f'must be empty{why} (it is "{shown(value)}")')

    def packing_no(self, column: str, value: str) -> str | None:
        try:
            return normalize_packing_no(value)
        except InvalidPackingNumber:
            self.fail(column, f'"{shown(value)}" is not a packing number (3 to 32 letters and '
                      "digits)" if value else "is empty")
            return None
