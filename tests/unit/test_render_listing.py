"""The list page, rendered from a listing: counts, rows, paging and bulk buttons, within limits."""
from __future__ import annotations

from datetime import timedelta

import pytest

from domain.lookup import Listing
from domain.model import Category, Origin, Recovery
from domain.ports import Counts, Listed, ListQuery, Page
from domain.status import Status
from handlers.actions import BULK_RESTORE, BULK_RESYNC, LIST_CATEGORY, LIST_PAGE, decode_query
from handlers.render.listing import bad_filter_message, listing_message
from tests.blockkit_limits import assert_message_fits, duplicate_action_ids
from tests.integration.builders import NOW, SEOUL, cancelled


def listing(items, total=None, page=0, query=None, counts=None) -> Listing:
    query = query or ListQuery(page=page)
    total = len(items) if total is None else total
    return Listing(Page(items, total, page, 10), counts or Counts(), query)


def rows(n: int, status=Status.RESYNC_AVAILABLE, **changes) -> list[Listed]:
    origin = Origin.API if status.category is Category.API else Origin.EXCEL
    return [Listed(cancelled(f"QSP{i:010d}", origin=origin,
                             cancelled_at=NOW - timedelta(hours=i), **changes), status)
            for i in range(n)]


def buttons_of(rendered) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for block in rendered.blocks:
        for e in block.get("elements", []) if block["type"] == "actions" else []:
            found.setdefault(e["action_id"], []).append(e)
    return found


def test_previous_and_next_appear_only_where_there_is_such_a_page():
    first = buttons_of(listing_message(listing(rows(10), total=25), SEOUL))
    middle = buttons_of(listing_message(listing(rows(10), total=25, page=1), SEOUL))
    last = buttons_of(listing_message(listing(rows(5), total=25, page=2), SEOUL))

    assert [b["text"]["text"] for b in first[LIST_PAGE]] == ["Next"]
    assert [b["text"]["text"] for b in middle[LIST_PAGE]] == ["Previous", "Next"]
    assert [decode_query(b["value"]).page for b in middle[LIST_PAGE]] == [0, 2]
    assert [b["text"]["text"] for b in last[LIST_PAGE]] == ["Previous"]


def test_the_tab_buttons_carry_their_counts_and_the_first_page_of_their_tab():
    counts = Counts({Category.API: 1200, Category.EXCEL: 3, Category.SITE: 0})
    rendered = listing_message(listing(rows(10), total=1200, page=4, counts=counts,
                                       query=ListQuery(category=Category.API, page=4)), SEOUL)

    tabs = buttons_of(rendered)[LIST_CATEGORY]
    assert [t["text"]["text"] for t in tabs] == [
        "Delivery Cancelled (Sales Site API): 1200",
        "Delivery Cancelled (Excel/Manual Registered): 3", "Sales Site Order Cancel: 0"]
    assert [(decode_query(t["value"]).category, decode_query(t["value"]).page) for t in tabs] == [
        (Category.API, 0), (Category.EXCEL, 0), (Category.SITE, 0)]
    assert tabs[0]["style"] == "primary" and "style" not in tabs[1]


@pytest.mark.parametrize("status, recovery, expected", [
    (Status.RESYNC_AVAILABLE, Recovery.NONE, [BULK_RESYNC]),
    (Status.FAILED_TO_RESYNC, Recovery.FAILED_RETRY, [BULK_RESYNC]),
    (Status.RECOVERABLE, Recovery.NONE, [BULK_RESTORE]),
    (Status.RESYNC_AVAILABLE, Recovery.AWAITING, []),
    (Status.RESYNCING, Recovery.IN_PROGRESS, []),
    (Status.UNRECOVERABLE, Recovery.NONE, []),
    (Status.NO_ACTION, Recovery.NONE, []),
])
def test_a_bulk_button_appears_only_when_an_order_on_the_page_allows_it(
        status, recovery, expected):
    rendered = listing_message(listing(rows(3, status, recovery=recovery)), SEOUL)

    found = buttons_of(rendered)
    bulk = [a for a in (BULK_RESYNC, BULK_RESTORE) if a in found]
    assert bulk == expected
    for action in bulk:
        [button] = found[action]
        assert button["text"]["text"] in ("Request resync", "Request restore")
        assert decode_query(button["value"]) == ListQuery()


@pytest.mark.parametrize("count", [0, 1, 10, 1000])
def test_pages_of_huge_rows_fit_block_kit(count):
    items = rows(count, seller_id="<&>" * 700 + "x", sales_site="s" * 2000)
    query = ListQuery(seller="<" * 3000, site="s" * 3000, date_from=NOW - timedelta(days=7),
                      date_to=NOW, status=Status.RESYNC_AVAILABLE)
    counts = Counts({c: 10**9 for c in Category}, {s: 10**9 for s in Status})

    rendered = listing_message(listing(items, total=10**9, page=3, query=query,
                                       counts=counts), SEOUL)

    assert_message_fits(rendered.text, rendered.blocks)
    assert duplicate_action_ids(rendered.blocks) == []
    assert all(len(b["value"]) <= 2000 for bs in buttons_of(rendered).values() for b in bs)
    assert "too long for a button to carry" in rendered.blocks[-1]["elements"][0]["text"]


def test_a_bad_filter_message_fits_and_lists_the_forms():
    rendered = bad_filter_message("`" + "<x>" * 2000 + "` is not a list filter.")

    assert_message_fits(rendered.text, rendered.blocks)
    assert "*Filters:*" in rendered.blocks[-1]["text"]["text"]
