"""The page of `/cancelled list`: tab counts as buttons, status counts, orders and paging.

Slack refuses two elements with one action_id in the same block, so each tab button and each
of Previous / Next sits in a block of its own.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import tzinfo
from typing import Any

from domain.filters import DATE_FORMS, FILTER_FORMS, STATUS_FORMS
from domain.lookup import Listing
from domain.model import Action, Category, Recovery
from domain.ports import Listed, ListQuery
from domain.status import Status
from domain.window import format_local
from handlers.actions import BULK_ACTION_IDS, LIST_CATEGORY, LIST_PAGE, encode_query
from handlers.render.mrkdwn import (
    FALLBACK_TEXT_MAX,
    MESSAGE_BLOCKS_CHARS_BUDGET,
    Rendered,
    context,
    escape,
    line_sections,
    local_times,
    section,
    slack_date,
    truncate,
)

PAGE_SIZE = 10
FIELD_MAX = 64  # seller ids and site names are cut past this in a row
FILTER_MAX = 100  # a typed filter value is cut past this in the title
BULK_LABELS = {Action.RESYNC: "Request resync", Action.RESTORE: "Request restore"}
LIST_EXAMPLE = "/cancelled list api status:resync_available from:7d"
VALUE_MAX = 2000  # a button's value carries its query; Slack refuses longer ones
TOO_LONG = ("Some buttons are left out: these filters are too long for a button to carry. "
            "Type `/cancelled list` with shorter filters, or with `page:N` to move between pages.")


def listing_message(listing: Listing, zone: tzinfo) -> Rendered:
    """Title with the filters, tab buttons, status counts, a page of orders and its buttons."""
    query, page = listing.query, listing.page
    title = f"*Cancelled deliveries* · {local_times(escape(describe_query(query, zone)), zone)}"
    blocks = [section(title)]
    blocks += tab_buttons(listing)
    blocks.append(section(status_counts(listing)))
    used = sum(len(b["text"]["text"]) for b in blocks if "text" in b) + 600  # tabs, paging
    blocks += order_sections(page.items, zone, MESSAGE_BLOCKS_CHARS_BUDGET - used)
    total = f"{page.total} order{'' if page.total == 1 else 's'}"
    blocks.append(context(f"page {page.page + 1} of {page.pages} ({total})"))
    blocks += paging_buttons(listing)
    blocks += bulk_blocks(listing)
    blocks = without_oversized_buttons(blocks)
    text = f"Cancelled deliveries ({describe_query(query, zone)}): {total}"
    return Rendered(truncate(text, FALLBACK_TEXT_MAX), blocks)


def describe_query(query: ListQuery, zone: tzinfo) -> str:
    """The filters of a query in words (plain text; escape it for mrkdwn)."""
    parts = []
    if query.category:
        parts.append(query.category.label)
    if query.status:
        parts.append(f"status {query.status.label}")
    if query.seller:
        parts.append(f"seller {truncate(query.seller, FILTER_MAX)}")
    if query.site:
        parts.append(f"site {truncate(query.site, FILTER_MAX)}")
    if query.date_from:
        parts.append(f"cancelled from {format_local(query.date_from, zone)}")
    if query.date_to:
        parts.append(f"cancelled before {format_local(query.date_to, zone)}")
    return " · ".join(parts) or "all tabs, no filters"


def switched_to(query: ListQuery, category: Category) -> ListQuery:
    """A tab button's query: the tab's first page, keeping the status only if it is the tab's."""
    status = query.status if query.status and query.status.category is category else None
    return replace(query, category=category, status=status, page=0)


def tab_buttons(listing: Listing) -> list[dict[str, Any]]:
    """One block per tab: a button with the tab's count that switches the list to it."""
    blocks = []
    for category in Category:
        count = listing.counts.by_category.get(category, 0)
        button: dict[str, Any] = {
            "type": "button", "action_id": LIST_CATEGORY,
            "text": {"type": "plain_text", "text": f"{category.label}: {count}"},
            "value": encode_query(switched_to(listing.query, category)),
        }
        if category is listing.query.category:
            button["style"] = "primary"
        blocks.append({"type": "actions", "block_id": f"tab_{category.value}",
                       "elements": [button]})
    return blocks


def statuses_in_scope(category: Category | None) -> list[Status]:
    """The statuses of the tab shown, or all of them."""
    return [s for s in Status if category in (None, s.category)]


def status_counts(listing: Listing) -> str:
    """'Resync Available *3* · Resyncing *0* · ...' for the statuses in scope."""
    counts = listing.counts.by_status
    chosen = listing.query.status
    parts = [f"{s.label} *{counts.get(s, 0)}*" + (" (shown)" if s is chosen else "")
             for s in statuses_in_scope(listing.query.category)]
    return "*Statuses:* " + " · ".join(parts)


def order_line(item: Listed, zone: tzinfo) -> str:
    """One order of the page: packing number, seller, site, cancelled at and status."""
    order = item.order
    cancelled = slack_date(order.cancelled_at, zone) if order.cancelled_at else "-"
    return (f"`{order.packing_no}` · {escape(truncate(order.seller_id, FIELD_MAX))} · "
            f"{escape(truncate(order.sales_site, FIELD_MAX))} · {cancelled} · "
            f"*{item.status.label}*")


def order_sections(items: list[Listed], zone: tzinfo, budget: int) -> list[dict[str, Any]]:
    """The page's orders in as few sections as fit."""
    if not items:
        return [section("No cancelled orders match these filters.")]
    lines = [order_line(item, zone) for item in items]
    return line_sections("*Orders*", lines, budget, "…and {n} more orders on this page.")


def _page_button(label: str, query: ListQuery, page: int) -> dict[str, Any]:
    return {"type": "actions", "block_id": f"page_{label.lower()}", "elements": [{
        "type": "button", "action_id": LIST_PAGE, "text": {"type": "plain_text", "text": label},
        "value": encode_query(replace(query, page=page)),
    }]}


def paging_buttons(listing: Listing) -> list[dict[str, Any]]:
    """Previous and Next, each only where there is such a page."""
    page, query = listing.page, listing.query
    blocks = []
    if page.has_previous:
        blocks.append(_page_button("Previous", query, min(page.page, page.pages) - 1))
    if page.has_next:
        blocks.append(_page_button("Next", query, page.page + 1))
    return blocks


def requestable(items: list[Listed], action: Action) -> list[Listed]:
    """The orders on a page for which action may be requested now."""
    return [item for item in items
            if item.status.category.action is action and item.status.allows_request
            and item.order.recovery is not Recovery.AWAITING]


def bulk_blocks(listing: Listing) -> list[dict[str, Any]]:
    """`Request resync` / `Request restore` for the page's orders that allow it, with a count."""
    buttons, notes = [], []
    for action, label in BULK_LABELS.items():
        count = len(requestable(listing.page.items, action))
        if not count:
            continue
        buttons.append({"type": "button", "action_id": BULK_ACTION_IDS[action],
                        "text": {"type": "plain_text", "text": label},
                        "value": encode_query(listing.query)})
        verb = "resynced" if action is Action.RESYNC else "restored"
        notes.append(f"{count} order{'' if count == 1 else 's'} on this page can be {verb} now")
    if not buttons:
        return []
    return [context("; ".join(notes) + ". One request covers them all, after approval."),
            {"type": "actions", "block_id": "bulk", "elements": buttons}]


def without_oversized_buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The blocks without buttons whose value is over Slack's limit (absurdly long filters)."""
    kept, dropped = [], False
    for block in blocks:
        if block["type"] == "actions":
            elements = [e for e in block["elements"] if len(e.get("value", "")) <= VALUE_MAX]
            dropped = dropped or len(elements) < len(block["elements"])
            if not elements:
                continue
            block = {**block, "elements": elements}
        kept.append(block)
    return kept + ([context(TOO_LONG)] if dropped else [])


def bad_filter_message(message: str) -> Rendered:
    """A filter that could not be read, with every form the list accepts."""
    blocks = [section(escape(message)), section(filter_forms())]
    return Rendered(truncate(message, FALLBACK_TEXT_MAX), blocks)


def filter_forms() -> str:
    """The list grammar in mrkdwn, with an example."""
    return (f"*Filters:* {escape(FILTER_FORMS)}\n*Dates:* {escape(DATE_FORMS)}\n"
            f"*Statuses:* {escape(STATUS_FORMS)}\n*Example:* `{LIST_EXAMPLE}`")
