"""The list filter words of `/cancelled list` and `cancelbot list`, read into a ListQuery."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.errors import BadFilter, DomainError
from domain.filters import parse_filters
from domain.model import Category
from domain.ports import ListQuery
from domain.status import Status
from domain.window import business_tz

SEOUL = business_tz("Asia/Seoul")
KST = timezone(timedelta(hours=9))
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=KST)


def kst(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=KST)


READABLE = [
    ("", {}),
    ("api", {"category": Category.API}),
    ("EXCEL", {"category": Category.EXCEL}),
    ("manual", {"category": Category.EXCEL}),
    ("site", {"category": Category.SITE}),
    ("status:failed_to_resync", {"status": Status.FAILED_TO_RESYNC}),
    ("status:resyncavailable", {"status": Status.RESYNC_AVAILABLE}),
    ("status:Failed-to-Recover", {"status": Status.FAILED_TO_RECOVER}),
    ("status:no_action", {"status": Status.NO_ACTION}),
    ("seller:hanbit-mall", {"seller": "hanbit-mall"}),
    ("site:TMON", {"site": "tmon"}),
    ("from:2026-11-01", {"date_from": kst(2026, 11, 1)}),
    ("to:2026-11-20", {"date_to": kst(2026, 11, 21)}),
    ("from:11/01", {"date_from": kst(2026, 11, 1)}),
    ("to:11/20", {"date_to": kst(2026, 11, 21)}),
    ("from:7d", {"date_from": kst(2026, 11, 17, 10)}),
    ("from:2w", {"date_from": kst(2026, 11, 10, 10)}),
    ("from:24h", {"date_from": kst(2026, 11, 23, 10)}),
    ("to:1d", {"date_to": kst(2026, 11, 23, 10)}),
    ("page:3", {"page": 2}),
    (
        "api status:resync_available seller:dasom-shop site:interpark from:11/01 to:11/20 page:2",
        {"category": Category.API, "status": Status.RESYNC_AVAILABLE, "seller": "dasom-shop",
         "site": "interpark", "date_from": kst(2026, 11, 1), "date_to": kst(2026, 11, 21),
         "page": 1},
    ),
    ("from:11/20 to:11/20", {"date_from": kst(2026, 11, 20), "date_to": kst(2026, 11, 21)}),
    ("from:2000-01-01", {"date_from": kst(2000, 1, 1)}),
    ("to:2027-12-31", {"date_to": kst(2028, 1, 1)}),
]


@pytest.mark.parametrize("words, expected", READABLE, ids=[w or "(none)" for w, _ in READABLE])
def test_filter_words_become_the_query_the_list_shows(words: str, expected: dict) -> None:
    assert parse_filters(words, NOW, SEOUL) == ListQuery(**expected)


def test_words_may_come_as_a_list_as_the_command_line_gives_them() -> None:
    assert parse_filters(["api", "seller:x"], NOW, SEOUL) == ListQuery(
        category=Category.API, seller="x"
    )


def test_month_and_day_mean_this_year_in_the_business_time_zone() -> None:
    new_years_eve_utc = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # 2027-01-01 in Seoul
    query = parse_filters("from:1/1", new_years_eve_utc, SEOUL)
    assert query.date_from == kst(2027, 1, 1)


def test_to_covers_the_whole_day_and_from_starts_at_its_midnight() -> None:
    query = parse_filters("from:2026-11-20 to:2026-11-20", NOW, SEOUL)
    assert query.date_from == kst(2026, 11, 20, 0, 0)
    assert query.date_to == kst(2026, 11, 21, 0, 0)  # exclusive: 23:59 on the 20th is inside


REFUSED = [
    ("bogus", "`bogus` is not a list filter", "status:STATUS"),
    ("colour:red", "`colour:red` is not a list filter", "from:DATE"),
    ("status:lost", "`status:lost` is not a status", "failed_to_resync"),
    ("from:yesterday", "`from:yesterday` is not a date", "11/01 (month/day"),
    ("to:13/01", "`to:13/01` is not a date", "7d, 2w, 24h"),
    ("from:2026-02-30", "`from:2026-02-30` is not a date", "2026-11-01"),
    ("from:3m", "`from:3m` is not a date", "24h"),
    ("page:0", "`page:0` is not a page number", "page:2"),
    ("page:two", "`page:two` is not a page number", "page:1"),
    ("seller:", "`seller:` has no value", "seller:ID"),
    ("api excel", "`api` and `excel` both choose a tab", "api, excel, site"),
    ("seller:a seller:b", "`seller:b` repeats `seller:a`", "once"),
    ("excel status:resynced", "`status:resynced` is a status of the `api` tab", "`excel`"),
    ("from:11/20 to:11/19", "`from:11/20` is not before `to:11/19`", "no order"),
    ("from:0001-01-01", "`from:0001-01-01` is out of range: dates go from 2000-01-01 to "
     "2027-12-31.", ""),
    ("to:9999-12-31", "`to:9999-12-31` is out of range", "2000-01-01 to 2027-12-31"),
    ("to:1999-12-31", "`to:1999-12-31` is out of range", "2000-01-01"),
    ("from:2028-01-01", "`from:2028-01-01` is out of range", "2027-12-31"),
    ("seller:a\x00b", "`seller:a\\x00b` has a control character in it", "seller:ID"),
    ("site:\x1b[31mtmon", "`site:\\x1b[31mtmon` has a control character in it", "site:NAME"),
    ("seller:\udc80", "`seller:\\udc80` has a control character in it", "plain words"),
    ("status:" + "x" * 100, "`status:" + "x" * 33 + "…` is not a status", "no_action"),
]


@pytest.mark.parametrize("words, names, shows", REFUSED, ids=[w for w, _, _ in REFUSED])
def test_an_unreadable_filter_is_named_with_the_forms_that_work(
    words: str, names: str, shows: str
) -> None:
    with pytest.raises(BadFilter) as refused:
        parse_filters(words, NOW, SEOUL)
    assert names in refused.value.message
    assert shows in refused.value.message
    assert isinstance(refused.value, DomainError)
    assert refused.value.word in words.split()
