"""The morning digest: orders whose request window closes soon, each with its one button."""
from __future__ import annotations

from datetime import timedelta, tzinfo
from typing import Any

from domain.digest import Closing, ClosingSoon
from domain.window import WINDOW, describe_duration
from handlers.actions import request_button
from handlers.render.mrkdwn import (
    FALLBACK_TEXT_MAX,
    MESSAGE_BLOCKS_CHARS_BUDGET,
    Rendered,
    context,
    escape,
    section,
    slack_date,
    truncate,
)

# 50 blocks at most in a message: a header, the intro, the orders and the "more" line; 30
# orders also stay well inside the characters all blocks may show together
MAX_ORDERS = 30
FIELD_MAX = 64  # seller ids and site names are shown whole up to their column's width
MORE_RESERVE = 400  # characters kept for the "more" line
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def digest_message(soon: ClosingSoon, max_orders: int = MAX_ORDERS) -> Rendered:
    """Header, what the list is, one section per order with its button, and how many more."""
    span = span_words(soon.within)
    until = slack_date(soon.until, soon.zone)
    blocks = [
        {"type": "header",
         "text": {"type": "plain_text", "text": f"Cancelled orders closing within {span}"}},
        context(_intro(soon.total, until)),
    ]
    shown = _order_sections(soon.items[:max_orders], soon.zone, _budget_left(blocks))
    blocks += shown
    more = soon.total - len(shown)
    if more:
        blocks.append(context(
            f"…and {more} more closing by {until}. `{list_command(soon.within)}` lists every "
            f"cancelled order whose window closes within {span} from when you run it."))
    numbers = ", ".join(item.order.packing_no for item in soon.items[:len(shown)])
    text = (f"{soon.total} cancelled order{_s(soon.total)} can still be resynced or restored "
            f"and close{'s' if soon.total == 1 else ''} within {span}: {numbers}"
            + (f" and {more} more" if more else ""))
    return Rendered(truncate(text, FALLBACK_TEXT_MAX), blocks)


def _intro(total: int, until: str) -> str:
    their = "its" if total == 1 else "their"
    return (f"{total} cancelled order{_s(total)} can still be resynced or restored, and {their} "
            f"14-day window closes by {until}. A request still needs a second person's approval.")


def _order_sections(items: list[Closing], zone: tzinfo, budget: int) -> list[dict[str, Any]]:
    """One section per order while they fit the budget; the rest are counted as more."""
    sections = []
    for item in items:
        block = order_section(item, zone)
        size = len(block["text"]["text"]) + len(block["accessory"]["text"]["text"])
        if size > budget:
            break
        budget -= size
        sections.append(block)
    return sections


def order_section(item: Closing, zone: tzinfo) -> dict[str, Any]:
    """Packing number, status, seller, site, tab, deadline and time left, and its button."""
    order = item.order
    lines = [
        f"*{escape(order.packing_no)}* · {item.status.label}",
        f"Seller {escape(truncate(order.seller_id, FIELD_MAX))} · "
        f"{escape(truncate(order.sales_site, FIELD_MAX))} · {item.status.category.label}",
        f"Closes on {slack_date(item.window.deadline, zone)} · "
        f"{describe_duration(item.window.time_left)} left",
    ]
    block = section("\n".join(lines))
    block["accessory"] = request_button(item.action, order.packing_no)
    return block


def span_words(within: timedelta) -> str:
    """'48 hours' for a whole number of hours, else the duration in words."""
    if within % HOUR:
        return describe_duration(within)
    hours = within // HOUR
    return f"{hours} hour{_s(hours)}"


def list_command(within: timedelta) -> str:
    """The `/cancelled list` whose dates select the orders closing within `within` of now.

    A window closes within the span when the order was cancelled between 14 days ago and
    14 days minus the span ago; relative dates count from when the command runs.
    """
    days, rest = divmod(within, DAY)
    if rest:
        start, end, unit = WINDOW.days * 24, WINDOW.days * 24 - within // HOUR, "h"
    else:
        start, end, unit = WINDOW.days, WINDOW.days - days, "d"
    return f"/cancelled list from:{start}{unit}" + (f" to:{end}{unit}" if end > 0 else "")


def _budget_left(blocks: list[dict[str, Any]]) -> int:
    used = sum(len(block["text"]["text"]) if "text" in block
               else sum(len(e["text"]) for e in block["elements"]) for block in blocks)
    return MESSAGE_BLOCKS_CHARS_BUDGET - used - MORE_RESERVE


def _s(n: int) -> str:
    return "" if n == 1 else "s"
