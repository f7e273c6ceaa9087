"""Jobs withdrawn because Smartship reports their orders active again (rule 12): the reply in
the request's thread, and the request message once nothing of the request is left to run."""
from __future__ import annotations

from domain.requests import Request
from domain.withdrawal import Withdrawal
from handlers.render.mrkdwn import (
    FALLBACK_TEXT_MAX,
    MESSAGE_BLOCKS_CHARS_BUDGET,
    Rendered,
    context,
    escape,
    line_sections,
    mention,
    section,
    slack_date,
    truncate,
)

WITHDRAWN = "Withdrawn"


def withdrawal_reply(withdrawals: list[Withdrawal], requester: str,
                     request_id: int) -> Rendered:
    """'Withdrawn · …' naming the requester, each order and why it will not run."""
    lines = [f"• {escape(w.sentence)}" for w in withdrawals]
    count = len(withdrawals)
    what = withdrawals[0].packing_no if count == 1 else f"{count} orders"
    headline = f"*{WITHDRAWN}* · {what}"
    them = ("this order", "it") if count == 1 else ("these orders", "them")
    intro = (f"{mention(requester)}, Smartship changed {them[0]} outside cancelbot, so nothing "
             f"will be done for {them[1]} here.")
    blocks = [section(f"{headline}\n{intro}")]
    blocks += line_sections("*Orders*", lines, MESSAGE_BLOCKS_CHARS_BUDGET - 600,
                            "…and {n} more orders.")
    blocks.append(context(f"Request #{request_id} · {withdrawals[0].action.value}"))
    text = "\n".join([f"{WITHDRAWN} · {what}", *(w.sentence for w in withdrawals)])
    return Rendered(truncate(text, FALLBACK_TEXT_MAX), blocks)


def withdrawn_request_message(request: Request, withdrawals: list[Withdrawal]) -> Rendered:
    """The request message once every order of the request was withdrawn (no buttons left)."""
    action = request.action.value
    title = f"{action.capitalize()} request #{request.id}"
    numbers = ", ".join(w.packing_no for w in withdrawals[:5])
    if len(withdrawals) > 5:
        numbers += f" and {len(withdrawals) - 5} more"
    lines = [f"*{title}* · {WITHDRAWN}",
             f"*Requested by* {mention(request.requested_by)} on "
             f"{slack_date(request.requested_at)}",
             f"*Packing number{'s' if len(withdrawals) != 1 else ''}:* {numbers}"]
    blocks = [section("\n".join(lines)),
              context("Smartship reports the order active again; why is in the thread.")]
    return Rendered(truncate(f"{title} · {WITHDRAWN} · {numbers}", FALLBACK_TEXT_MAX), blocks)
