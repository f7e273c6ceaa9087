"""The filter words of `/cancelled list` and `cancelbot list`, read into a ListQuery."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from dateutil import parser as date_parser
from dateutil import tz
from dateutil.relativedelta import relativedelta

from domain.errors import CONTROL_CHARS, BadFilter, shown
from domain.model import Category
from domain.ports import ListQuery
from domain.status import Status

FILTER_FORMS = (
    "api | excel | site, status:STATUS, seller:ID, site:NAME, from:DATE, to:DATE, page:N"
)
DATE_FORMS = "2026-11-01, 11/01 (month/day, this year), or 7d, 2w, 24h (that long before now)"
STATUS_FORMS = ", ".join(s.value for s in Status)
TABS = {"api": Category.API, "excel": Category.EXCEL, "manual": Category.EXCEL,
        "site": Category.SITE}

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})$")
_RELATIVE = re.compile(r"^(\d{1,4})([dwh])$")
_PAGE = re.compile(r"^\d{1,6}$")
# no cancellation is older (imports refuse earlier dates), and none is later than next year
EARLIEST_YEAR = 2000


def parse_filters(
    words: str | Sequence[str], now: datetime, zone: tzinfo, page_size: int = 10
) -> ListQuery:
    """Read filter words into a ListQuery; BadFilter names the word and the accepted forms."""
    if isinstance(words, str):
        words = words.split()
    values: dict[str, Any] = {}  # ListQuery's fields, of their several types
    given: dict[str, str] = {}
    for word in words:
        field, value = read_word(word, now, zone)
        if field in given:
            raise BadFilter(word, _repeated(word, given[field], field))
        values[field], given[field] = value, word
    query = ListQuery(page_size=page_size, **values)
    _check_consistent(query, given)
    return query


def read_word(word: str, now: datetime, zone: tzinfo) -> tuple[str, object]:
    """One filter word as (ListQuery field, value)."""
    if CONTROL_CHARS.search(word):
        raise BadFilter(word, f"`{shown(word)}` has a control character in it; filters are "
                        f"plain words. Filters: {FILTER_FORMS}.")
    if word.lower() in TABS:
        return "category", TABS[word.lower()]
    name, colon, value = word.partition(":")
    reader = _READERS.get(name.lower()) if colon else None
    if reader is None:
        raise BadFilter(word, f"`{shown(word)}` is not a list filter. Filters: {FILTER_FORMS}.")
    if not value.strip():
        raise BadFilter(word, f"`{word}` has no value after the colon. Filters: {FILTER_FORMS}.")
    return reader(word, value.strip(), now, zone)


def _status(word: str, value: str, now: datetime, zone: tzinfo) -> tuple[str, object]:
    try:
        return "status", Status.parse(value)
    except ValueError:
        raise BadFilter(
            word, f"`{shown(word)}` is not a status. Statuses: {STATUS_FORMS}.") from None


def _seller(word: str, value: str, now: datetime, zone: tzinfo) -> tuple[str, object]:
    return "seller", value


def _site(word: str, value: str, now: datetime, zone: tzinfo) -> tuple[str, object]:
    return "site", value.lower()


def _page(word: str, value: str, now: datetime, zone: tzinfo) -> tuple[str, object]:
    if not _PAGE.match(value) or int(value) < 1:
        raise BadFilter(word, f"`{shown(word)}` is not a page number: write page:1, page:2, ...")
    return "page", int(value) - 1


def _from(word: str, value: str, now: datetime, zone: tzinfo) -> tuple[str, object]:
    return "date_from", read_date(word, value, now, zone, end_of_day=False)


def _to(word: str, value: str, now: datetime, zone: tzinfo) -> tuple[str, object]:
    return "date_to", read_date(word, value, now, zone, end_of_day=True)


_READERS: dict[str, Callable[[str, str, datetime, tzinfo], tuple[str, object]]] = {
    "status": _status, "seller": _seller, "site": _site, "page": _page,
    "from": _from, "to": _to,
}


def read_date(word: str, value: str, now: datetime, zone: tzinfo, end_of_day: bool) -> datetime:
    """A bound on cancelled_at: a day's start (or, for `to`, the next day's start) or now - span."""
    relative = _RELATIVE.match(value.lower())
    this_year = now.astimezone(zone).year
    if relative:
        return _ago(int(relative.group(1)), relative.group(2), now, zone)
    day = _calendar_day(value, this_year)
    if day is None:
        raise BadFilter(word, f"`{shown(word)}` is not a date. Dates: {DATE_FORMS}.")
    if not EARLIEST_YEAR <= day.year <= this_year + 1:
        # the database could not even hold the day after 9999-12-31
        raise BadFilter(word, f"`{word}` is out of range: dates go from {EARLIEST_YEAR}-01-01 "
                        f"to {this_year + 1}-12-31.")
    return start_of_day(day + timedelta(days=1) if end_of_day else day, zone)


def _calendar_day(value: str, year: int) -> date | None:
    try:
        if _ISO_DATE.match(value):
            return date_parser.isoparse(value).date()
        month_day = _MONTH_DAY.match(value)
        if month_day:
            parsed = date_parser.parse(value, default=datetime(year, 1, 1))
            # dateutil swaps an impossible month into the day; month/day means month first
            if (parsed.month, parsed.day) == tuple(int(g) for g in month_day.groups()):
                return parsed.date()
    except (ValueError, OverflowError):
        return None
    return None


def _ago(amount: int, unit: str, now: datetime, zone: tzinfo) -> datetime:
    if unit == "h":
        return (now.astimezone(UTC) - timedelta(hours=amount)).astimezone(zone)
    span = relativedelta(days=amount) if unit == "d" else relativedelta(weeks=amount)
    # days and weeks are counted on the business zone's wall clock, as the window is
    return tz.resolve_imaginary(now.astimezone(zone) - span)


def start_of_day(day: date, zone: tzinfo) -> datetime:
    """Midnight of a calendar day in the business time zone (the first existing instant)."""
    return tz.resolve_imaginary(datetime.combine(day, time(0), tzinfo=zone))


def _repeated(word: str, earlier: str, field: str) -> str:
    if field == "category":
        return f"`{earlier}` and `{word}` both choose a tab; give only one of api, excel, site."
    return f"`{word}` repeats `{earlier}`; give each filter once."


def _check_consistent(query: ListQuery, given: dict[str, str]) -> None:
    if query.status and query.category and query.status.category is not query.category:
        tab = query.status.category.value
        raise BadFilter(
            given["status"],
            f"`{given['status']}` is a status of the `{tab}` tab, not of "
            f"`{given['category']}`; drop one of the two.",
        )
    if query.date_from and query.date_to and query.date_from >= query.date_to:
        raise BadFilter(
            given["date_from"],
            f"`{given['date_from']}` is not before `{given['date_to']}`; no order can match.",
        )
