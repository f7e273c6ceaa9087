"""The 14-day request window, counted on the business time zone's wall clock (rule 1)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from dateutil import tz
from dateutil.relativedelta import relativedelta

WINDOW = relativedelta(days=14)
DEFAULT_TIMEZONE = "Asia/Seoul"


def business_tz(name: str = DEFAULT_TIMEZONE) -> tzinfo:
    """The named time zone, or ValueError when the name is unknown."""
    zone = tz.gettz(name)
    if zone is None:
        raise ValueError(f"unknown time zone {name!r}")
    return zone


def _require_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must carry a time zone offset")


def deadline(cancelled_at: datetime, zone: tzinfo) -> datetime:
    """The first instant at which requests are closed: cancelled_at + 14 wall-clock days."""
    _require_aware(cancelled_at, "cancelled_at")
    return tz.resolve_imaginary(cancelled_at.astimezone(zone) + WINDOW)


def _utc(value: datetime) -> datetime:
    # Python compares and subtracts datetimes sharing one tzinfo by wall clock, ignoring
    # offsets and fold; in UTC every instant has one reading.
    return value.astimezone(UTC)


def is_open(cancelled_at: datetime, now: datetime, zone: tzinfo) -> bool:
    """True while a request may still be made for an order cancelled at cancelled_at."""
    _require_aware(now, "now")
    return _utc(now) < _utc(deadline(cancelled_at, zone))


def open_since(now: datetime, zone: tzinfo) -> datetime:
    """Orders cancelled strictly after this instant still have an open window at now.

    The window test `now < cancelled_at + 14d` read backwards, so a database can apply it.
    """
    _require_aware(now, "now")
    return tz.resolve_imaginary(now.astimezone(zone) - WINDOW)


def same_business_day(a: datetime, b: datetime, zone: tzinfo) -> bool:
    """Whether two instants fall on the same calendar day in the business time zone."""
    return a.astimezone(zone).date() == b.astimezone(zone).date()


def describe_duration(delta: timedelta) -> str:
    """A short human reading of a duration: '3 days 4 hours', '2 hours 5 minutes', '40 minutes'."""
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts: list[tuple[int, str]]
    if days:
        parts = [(days, "day"), (hours, "hour")]
    elif hours:
        parts = [(hours, "hour"), (minutes, "minute")]
    else:
        parts = [(minutes, "minute")]
    words = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n]
    return " ".join(words) or "less than a minute"


def format_local(value: datetime, zone: tzinfo) -> str:
    """'2026-11-20 14:03 KST' in the business time zone."""
    local = value.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


@dataclass(frozen=True)
class WindowView:
    """Where an order stands in its window, with sentences a person can read."""

    deadline: datetime
    open: bool
    time_left: timedelta
    summary: str


def window_view(cancelled_at: datetime, now: datetime, zone: tzinfo) -> WindowView:
    """Deadline, time left and a one-line summary for the card."""
    end = deadline(cancelled_at, zone)
    open_ = is_open(cancelled_at, now, zone)
    if open_:
        left = _utc(end) - _utc(now)
        summary = f"requests close on {format_local(end, zone)} ({describe_duration(left)} left)"
    else:
        left = timedelta(0)
        ago = (_utc(now) - _utc(cancelled_at)).days
        summary = (
            f"cancelled {ago} day{'' if ago == 1 else 's'} ago; "
            f"requests closed on {format_local(end, zone)}"
        )
    return WindowView(deadline=end, open=open_, time_left=left, summary=summary)
