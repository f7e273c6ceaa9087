"""The lookup card of `/cancelled PACKING_NO`: the order, its status, deadline and one button."""
from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from domain.lookup import Lookup
from domain.model import Action, CancelledBy, Order
from domain.status import Phase
from domain.window import describe_duration
from handlers.actions import request_button
from handlers.render.mrkdwn import (
    FALLBACK_TEXT_MAX,
    Rendered,
    context,
    escape,
    local_times,
    section,
    slack_date,
    truncate,
)

FIELD_MAX = 200  # seller ids, site names and order numbers past this are cut
WARNING_MAX = 1000


def lookup_card(found: Lookup, zone: tzinfo) -> Rendered:
    """The card for any order the lookup found: cancelled, restored, superseded or active."""
    if found.is_active:
        return active_card(found.order)
    if found.restored:
        return restored_card(found, zone)
    return cancelled_card(found, zone)


def cancelled_card(found: Lookup, zone: tzinfo) -> Rendered:
    """Status with its explanation, the order's facts, deadline, warnings and allowed button."""
    order, status = found.order, found.status
    assert status is not None
    blocks = _superseded(found)
    blocks.append(section(f"*{order.packing_no}* · *{status.status.label}*\n"
                          f"{local_times(escape(status.explanation), zone)}"))
    blocks.append(_fields(_order_fields(order) + _cancellation_fields(order, zone)
                          + deadline_fields(found, zone)))
    warnings = found.check.warnings if found.check else ()
    blocks += [context(f":warning: {escape(truncate(w, WARNING_MAX))}") for w in warnings]
    action = allowed_action(found)
    if action is not None:
        blocks.append({"type": "actions", "block_id": "request",
                       "elements": [request_button(action, order.packing_no)]})
    text = f"{order.packing_no} · {status.status.label} · {status.explanation}"
    return Rendered(truncate(text, FALLBACK_TEXT_MAX), blocks)


def allowed_action(found: Lookup) -> Action | None:
    """The one action allowed now, or None: a Request button only where the status allows a
    request (docs/rules.md, "Recovery status", and rule 5)."""
    check = found.check
    if check is None or not check.allowed:
        return None
    return check.action


def active_card(order: Order) -> Rendered:
    """An order that is not a cancelled delivery: its processing stage."""
    lines = [stage_sentence(order)]
    if order.resynced_from:
        lines.append(f"It was made by a resync of {order.resynced_from}.")
    blocks = [section("\n".join(lines)), _fields(_order_fields(order))]
    return Rendered(truncate(" ".join(lines), FALLBACK_TEXT_MAX), blocks)


def restored_card(found: Lookup, zone: tzinfo) -> Rendered:
    """A cancelled order a restore brought back with the same packing number."""
    order, status = found.order, found.status
    lines = [stage_sentence(order),
             "It came back through a restore, with the same packing number."]
    blocks = [section("\n".join(lines)),
              _fields(_order_fields(order) + _cancellation_fields(order, zone))]
    if status is not None:
        blocks.append(context(f"Status: *{status.status.label}* · "
                              f"{local_times(escape(status.explanation), zone)}"))
    return Rendered(truncate(" ".join(lines), FALLBACK_TEXT_MAX), blocks)


def stage_sentence(order: Order) -> str:
    """'X is not cancelled: it is in Order Management (processing stage: ...).'"""
    stage = order.stage.label if order.stage else "unknown"
    return (f"*{order.packing_no}* is not cancelled: it is in Order Management "
            f"(processing stage: {stage}).")


def deadline_fields(found: Lookup, zone: tzinfo) -> list[tuple[str, str]]:
    """Deadline and time left, only where a request could still matter (not no-action, done)."""
    view, status = found.window, found.status
    if view is None or status is None or status.status.phase in (Phase.NONE, Phase.DONE):
        return []
    deadline = slack_date(view.deadline, zone)
    if not view.open:
        return [("Deadline", f"{deadline} (closed)")]
    return [("Deadline", deadline), ("Time left", describe_duration(view.time_left))]


def _superseded(found: Lookup) -> list[dict[str, Any]]:
    order = found.order
    if not order.superseded_by:
        return []
    line = (f":arrows_counterclockwise: *{order.packing_no} was resynced*: the new packing number "
            f"is *{order.superseded_by}*, and {order.packing_no} is no longer valid.")
    successor = found.successor
    if successor and successor.stage:
        line += f" {successor.packing_no} is in processing (stage: {successor.stage.label})."
    return [section(line)]


def _order_fields(order: Order) -> list[tuple[str, str]]:
    return [
        ("Seller", _short(order.seller_id)),
        ("Sales site", f"{_short(order.sales_site)} · order {_short(order.sales_order_no)}"),
        ("Origin", order.origin.value),
    ]


def _cancellation_fields(order: Order, zone: tzinfo) -> list[tuple[str, str]]:
    by = "by the seller" if order.cancelled_by is CancelledBy.SELLER else "at the sales site"
    category = order.category.label if order.category else "-"
    return [
        ("Category", category),
        ("Cancelled", f"{_when(order.cancelled_at, zone)} {by}"),
        ("Paid", _when(order.payment_at, zone)),
    ]


def _fields(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    # at most 8 pairs reach here, inside the 10 fields a section may hold
    return {"type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{label}*\n{value}"} for label, value in pairs]}


def _short(text: str) -> str:
    return escape(truncate(text, FIELD_MAX))


def _when(value: datetime | None, zone: tzinfo) -> str:
    return slack_date(value, zone) if value else "-"
