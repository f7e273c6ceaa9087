"""Rule 1: the 14-day request window on the business time zone's wall clock."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain import window
from tests.unit.fakes import CANCELLED_AT, KST, SEOUL

UTC = UTC
EST = timezone(timedelta(hours=-5))
NEW_YORK = window.business_tz("America/New_York")
DEADLINE_KST = datetime(2026, 11, 20, 14, 3, tzinfo=KST)


def ny(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=NEW_YORK)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def kst(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=KST)


@pytest.mark.parametrize("offset", [KST, UTC, EST], ids=["kst", "utc", "minus5"])
def test_deadline_is_fourteen_wall_clock_days_after_cancellation_in_seoul(offset):
    end = window.deadline(CANCELLED_AT.astimezone(offset), SEOUL)
    assert end == DEADLINE_KST
    assert (end.year, end.month, end.day, end.hour, end.minute) == (2026, 11, 20, 14, 3)
    assert end.tzname() == "KST"


@pytest.mark.parametrize("offset", [KST, UTC, EST, SEOUL], ids=["kst", "utc", "minus5", "zone"])
@pytest.mark.parametrize(
    "elapsed, expected_open",
    [
        (timedelta(0), True),
        (timedelta(days=7), True),
        (timedelta(days=13, hours=23), True),
        (timedelta(days=14, seconds=-1), True),
        (timedelta(days=14), False),
        (timedelta(days=14, minutes=5), False),
        (timedelta(days=30), False),
    ],
    ids=["at-cancellation", "7d", "13d23h", "14d-1s", "14d-exactly", "14d5m", "30d"],
)
def test_request_window_is_open_until_fourteen_days(elapsed, expected_open, offset):
    now = (CANCELLED_AT + elapsed).astimezone(offset)
    assert window.is_open(CANCELLED_AT, now, SEOUL) is expected_open
    assert window.window_view(CANCELLED_AT, now, SEOUL).open is expected_open


@pytest.mark.parametrize(
    "cancelled_at, real_elapsed, expected_open",
    [
        # clocks spring forward on 2026-03-08: 14 wall-clock days are 13 days 23 hours long
        (ny(2026, 3, 1, 12, 0), timedelta(days=13, hours=22, minutes=59), True),
        (ny(2026, 3, 1, 12, 0), timedelta(days=13, hours=23), False),
        (ny(2026, 3, 1, 12, 0), timedelta(days=13, hours=23, minutes=30), False),
        # clocks fall back on 2026-11-01: 14 wall-clock days are 14 days 1 hour long
        (ny(2026, 10, 25, 12, 0), timedelta(days=14), True),
        (ny(2026, 10, 25, 12, 0), timedelta(days=14, minutes=59), True),
        (ny(2026, 10, 25, 12, 0), timedelta(days=14, hours=1), False),
    ],
)
def test_window_across_a_dst_change_counts_wall_clock_days(
    cancelled_at, real_elapsed, expected_open
):
    now = cancelled_at.astimezone(UTC) + real_elapsed
    assert window.is_open(cancelled_at, now, NEW_YORK) is expected_open
    end = window.deadline(cancelled_at, NEW_YORK)
    assert end.replace(tzinfo=None) == cancelled_at.replace(tzinfo=None) + timedelta(days=14)


@pytest.mark.parametrize(
    "cancelled_at, now_utc",
    [
        # deadline 2026-11-01 01:30 EDT (05:30Z); 06:10Z reads 01:10 EST, after the deadline
        (ny(2026, 10, 18, 1, 30), utc(2026, 11, 1, 6, 10)),
        (ny(2026, 10, 18, 1, 30), utc(2026, 11, 1, 5, 10)),
        # deadline 2026-03-15 12:00 EDT; a week before, the clocks have not changed yet
        (ny(2026, 3, 1, 12, 0), utc(2026, 3, 7, 17, 0)),
    ],
)
def test_window_gives_one_answer_whatever_zone_now_is_given_in(cancelled_at, now_utc):
    in_zone = now_utc.astimezone(NEW_YORK)
    assert window.is_open(cancelled_at, in_zone, NEW_YORK) == window.is_open(
        cancelled_at, now_utc, NEW_YORK)
    assert window.window_view(cancelled_at, in_zone, NEW_YORK) == window.window_view(
        cancelled_at, now_utc, NEW_YORK)


def test_time_left_across_spring_forward_is_real_time():
    view = window.window_view(ny(2026, 3, 1, 12, 0),
                              ny(2026, 3, 7, 12, 0), NEW_YORK)
    assert view.time_left == timedelta(days=7, hours=23)
    assert view.summary == "requests close on 2026-03-15 12:00 EDT (7 days 23 hours left)"


NAIVE = datetime(2026, 11, 6, 14, 3)


@pytest.mark.parametrize(
    "call",
    [
        lambda: window.deadline(NAIVE, SEOUL),
        lambda: window.is_open(NAIVE, CANCELLED_AT, SEOUL),
        lambda: window.is_open(CANCELLED_AT, NAIVE, SEOUL),
        lambda: window.open_since(NAIVE, SEOUL),
        lambda: window.window_view(CANCELLED_AT, NAIVE, SEOUL),
    ],
    ids=["deadline", "is_open-cancelled", "is_open-now", "open_since", "window_view"],
)
def test_times_without_an_offset_are_refused(call):
    with pytest.raises(ValueError, match="time zone offset"):
        call()


def test_unknown_time_zone_name_is_refused():
    with pytest.raises(ValueError, match="Mars/Olympus"):
        window.business_tz("Mars/Olympus")


@pytest.mark.parametrize(
    "cancelled_at, now, zone",
    [
        (CANCELLED_AT, CANCELLED_AT + timedelta(days=14), SEOUL),
        (CANCELLED_AT, CANCELLED_AT + timedelta(days=14, seconds=-1), SEOUL),
        (CANCELLED_AT, CANCELLED_AT + timedelta(days=14, seconds=1), SEOUL),
        (CANCELLED_AT, CANCELLED_AT + timedelta(days=13, hours=23), SEOUL),
        (CANCELLED_AT, (CANCELLED_AT + timedelta(days=14)).astimezone(EST), SEOUL),
        (CANCELLED_AT.astimezone(UTC), CANCELLED_AT + timedelta(days=20), SEOUL),
        (CANCELLED_AT, CANCELLED_AT, SEOUL),
        (ny(2026, 3, 1, 12, 0), utc(2026, 3, 15, 16, 0), NEW_YORK),
        (ny(2026, 3, 1, 12, 0), utc(2026, 3, 15, 15, 59), NEW_YORK),
        (ny(2026, 10, 25, 12, 0), utc(2026, 11, 8, 16, 30), NEW_YORK),
        (ny(2026, 10, 25, 12, 0), utc(2026, 11, 8, 17, 0), NEW_YORK),
    ],
)
def test_open_since_lists_exactly_the_orders_whose_window_is_open(cancelled_at, now, zone):
    assert (cancelled_at > window.open_since(now, zone)) is window.is_open(cancelled_at, now, zone)


@pytest.mark.parametrize(
    "now, summary, time_left",
    [
        (kst(2026, 11, 12, 9, 3),
         "requests close on 2026-11-20 14:03 KST (8 days 5 hours left)",
         timedelta(days=8, hours=5)),
        (utc(2026, 11, 12, 0, 3),
         "requests close on 2026-11-20 14:03 KST (8 days 5 hours left)",
         timedelta(days=8, hours=5)),
        (kst(2026, 11, 20, 12, 0),
         "requests close on 2026-11-20 14:03 KST (2 hours 3 minutes left)",
         timedelta(hours=2, minutes=3)),
        (kst(2026, 11, 20, 14, 2, 30),
         "requests close on 2026-11-20 14:03 KST (less than a minute left)", timedelta(seconds=30)),
        (kst(2026, 11, 22, 15, 0),
         "cancelled 16 days ago; requests closed on 2026-11-20 14:03 KST", timedelta(0)),
        (kst(2026, 11, 20, 14, 3),
         "cancelled 14 days ago; requests closed on 2026-11-20 14:03 KST", timedelta(0)),
    ],
)
def test_card_sentence_names_deadline_and_time_left(now, summary, time_left):
    view = window.window_view(CANCELLED_AT, now, SEOUL)
    assert view.summary == summary
    assert view.time_left == time_left
    assert view.deadline == DEADLINE_KST


@pytest.mark.parametrize(
    "delta, text",
    [
        (timedelta(0), "less than a minute"),
        (timedelta(seconds=59), "less than a minute"),
        (timedelta(seconds=-30), "less than a minute"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=40), "40 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=1, minutes=1), "1 hour 1 minute"),
        (timedelta(hours=2, minutes=5, seconds=59), "2 hours 5 minutes"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=1, hours=1), "1 day 1 hour"),
        (timedelta(days=3, hours=4, minutes=59), "3 days 4 hours"),
        (timedelta(days=13, hours=23, minutes=59), "13 days 23 hours"),
    ],
)
def test_durations_read_as_days_hours_minutes(delta, text):
    assert window.describe_duration(delta) == text


@pytest.mark.parametrize(
    "a, b, same",
    [
        (kst(2026, 11, 10, 23, 59), kst(2026, 11, 11, 0, 1), False),
        (utc(2026, 11, 10, 15, 30), kst(2026, 11, 11, 10, 0), True),
        (utc(2026, 11, 10, 14, 59), utc(2026, 11, 10, 15, 1), False),
        (datetime(2026, 11, 10, 10, 0, tzinfo=EST), kst(2026, 11, 11, 9, 0), True),
    ],
)
def test_same_business_day_uses_seoul_calendar(a, b, same):
    assert window.same_business_day(a, b, SEOUL) is same
