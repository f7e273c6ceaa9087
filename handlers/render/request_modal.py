"""The modals that ask for a resync or restore: one order from its card, or a list page."""
from __future__ import annotations

from typing import Any

from domain.bulk import Skipped
from domain.lookup import Lookup
from domain.model import Action
from handlers.actions import BULK_REQUEST_MODAL, REQUEST_MODAL
from handlers.render.mrkdwn import context, escape, line_sections, section, truncate
from handlers.render.results import RESTART_STAGES

NOTE_BLOCK = "note"
NOTE_ACTION = "note_input"
NOTE_MAX = 500
RESTART = f"After it succeeds, processing starts again at {RESTART_STAGES}."
APPROVAL = ("Somebody else approves or rejects the request; the result is posted in the "
            "request message's thread.")
EXPLANATION_MAX = 1200  # a failure's detail (e.g. many duplicates) can be long
SITE_STATUS_MAX = 600
VIEW_TEXT_BUDGET = 9000  # the orders and skipped lines of a bulk modal, all sections together


def what_happens(action: Action, packing_no: str) -> str:
    """The effect of the action on one order, in the words of docs/rules.md rules 2 to 4."""
    if action is Action.RESYNC:
        return (f"The order is imported again from the sales site under a *new packing number*; "
                f"{packing_no} stops being valid.")
    return (f"The order comes back with the *same packing number*, {packing_no}; "
            "its data is unchanged.")


def request_modal(lookup: Lookup, action: Action, metadata: str,
                  site_status: str | None = None) -> dict[str, Any]:
    """What will happen to the order, its current status (and, for a resync, the sales
    site's), warnings, and a note to add."""
    order = lookup.order
    status = lookup.status
    blocks = [
        section(f"*{action.value.capitalize()} {escape(order.packing_no)}*\n"
                f"{what_happens(action, escape(order.packing_no))}\n{RESTART}"),
        section(f"*Current status:* {status.status.label if status else 'not cancelled'}"
                + (f" · {escape(truncate(status.explanation, EXPLANATION_MAX))}"
                   if status else "")
                + f"\nSeller {escape(order.seller_id)} · {escape(order.sales_site)} · "
                  f"order {escape(order.sales_order_no)}"),
        *([section(f"*Sales site:* {escape(truncate(site_status, SITE_STATUS_MAX))}")]
          if site_status else []),
        *warning_blocks(lookup.check.warnings if lookup.check else ()),
        context(APPROVAL),
        note_input(),
    ]
    return _modal(REQUEST_MODAL, f"Request {action.value}", blocks, metadata)


def bulk_request_modal(action: Action, chosen: list[str], skipped: list[Skipped],
                       metadata: str) -> dict[str, Any]:
    """How many orders of the page will be requested and which, and which are left out."""
    verb = "resync" if action is Action.RESYNC else "restore"
    blocks = [section(
        f"*{verb.capitalize()} {len(chosen)} order{_s(len(chosen))} of this page*\n"
        + ("Each gets a *new packing number*; the old ones stop being valid."
           if action is Action.RESYNC else "Each keeps its *packing number*.")
        + f"\n{RESTART}\nOne approval covers them all; each order runs as its own job.")]
    budget = VIEW_TEXT_BUDGET // (2 if skipped else 1)
    blocks += line_sections("*Requested:*", [f"• {escape(no)}" for no in chosen], budget,
                            "…and {n} more.")
    if skipped:
        lines = [f"• {escape(s.packing_no)}: {escape(s.reason)}" for s in skipped]
        blocks += line_sections(f"*Left out ({len(skipped)}):*", lines, budget, "…and {n} more.")
    blocks += [context(APPROVAL), note_input()]
    return _modal(BULK_REQUEST_MODAL, f"Request {verb}", blocks, metadata)


def warning_blocks(warnings: tuple[str, ...] | list[str]) -> list[dict[str, Any]]:
    """Each warning in its own line, flagged."""
    if not warnings:
        return []
    return [section("\n".join(f":warning: {escape(w)}" for w in warnings))]


def note_input() -> dict[str, Any]:
    """An optional note for the approver."""
    return {"type": "input", "block_id": NOTE_BLOCK, "optional": True,
            "label": {"type": "plain_text", "text": "Note for the approver"},
            "element": {"type": "plain_text_input", "action_id": NOTE_ACTION, "multiline": True,
                        "max_length": NOTE_MAX,
                        "placeholder": {"type": "plain_text",
                                        "text": "Why is it needed? (optional)"}}}


def _modal(callback_id: str, title: str, blocks: list[dict[str, Any]],
           metadata: str) -> dict[str, Any]:
    return {"type": "modal", "callback_id": callback_id,
            "title": {"type": "plain_text", "text": truncate(title, 24)},
            "submit": {"type": "plain_text", "text": "Send request"},
            "close": {"type": "plain_text", "text": "Cancel"},
            "private_metadata": metadata, "blocks": blocks}


def _s(n: int) -> str:
    return "" if n == 1 else "s"
