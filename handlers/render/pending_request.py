"""The request message in the approval channel: waiting with Approve/Reject, then decided."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from domain.bulk import Skipped
from domain.model import Action
from domain.requests import Decision, Request
from handlers.actions import APPROVE, REJECT
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
from handlers.render.results import RESTART_STAGES

AWAITING = "Awaiting approval"
EXPIRED = "Expired"
IN_PROGRESS = {Action.RESYNC: "Resyncing", Action.RESTORE: "Recovering"}
NOTE_MAX = 500
REASON_MAX = 1000
WARNINGS_BUDGET = 2500
EFFECT = {
    Action.RESYNC: "A new packing number is made; the old one stops being valid.",
    Action.RESTORE: "The packing number stays the same.",
}
RESTART = f"Processing then starts again at {RESTART_STAGES}."


def orders_named(packing_nos: list[str]) -> str:
    """The one packing number, or how many orders."""
    return packing_nos[0] if len(packing_nos) == 1 else f"{len(packing_nos)} orders"


def them(packing_nos: list[str]) -> str:
    """'the order' or 'the orders'."""
    return "the order" if len(packing_nos) == 1 else "the orders"


def pending_request_message(request: Request, packing_nos: list[str], zone: tzinfo,
                            warnings: list[str] | tuple[str, ...] = ()) -> Rendered:
    """Action, packing number(s), requester, note and warnings, with Approve and Reject."""
    head = _head(request, AWAITING, zone)
    blocks = [section(head)]
    blocks += _orders(request, packing_nos, MESSAGE_BLOCKS_CHARS_BUDGET // 2)
    blocks += _warnings(warnings)
    blocks.append({"type": "actions", "block_id": f"decide_{request.id}", "elements": [
        _button("Approve", APPROVE, request.id, "primary"),
        _button("Reject", REJECT, request.id, "danger"),
    ]})
    return Rendered(_text(request, AWAITING, packing_nos), blocks)


def decided_request_message(request: Request, packing_nos: list[str],
                            zone: tzinfo) -> Rendered:
    """The request message after the decision: who decided and when, and no buttons."""
    status = _decision_status(request)
    blocks = [section(_head(request, status, zone) + "\n" + _decided_line(request, zone))]
    approved = request.decision is Decision.APPROVED
    blocks += _orders(request, packing_nos, MESSAGE_BLOCKS_CHARS_BUDGET // 2, effect=approved)
    blocks.append(context(_after(request, packing_nos)))
    return Rendered(_text(request, status, packing_nos), blocks)


def decision_reply(request: Request, packing_nos: list[str]) -> Rendered:
    """The decision as a reply in the request message's thread, naming the requester."""
    who = mention(request.decided_by)
    orders = orders_named(packing_nos)
    if request.decision is Decision.APPROVED:
        text = (f"Approved by {who}. {mention(request.requested_by)}, the {request.action.value} "
                f"of {orders} is queued; the result will follow in this thread.")
    else:
        reason = escape(truncate(request.reject_reason, REASON_MAX))
        text = (f"Rejected by {who}: {reason}\n{mention(request.requested_by)}, nothing will run; "
                f"{orders} can be requested again.")
    return Rendered(truncate(text, FALLBACK_TEXT_MAX), [section(text)])


def _head(request: Request, status: str, zone: tzinfo) -> str:
    lines = [f"*{request.action.value.capitalize()} request #{request.id}* · {status}",
             f"*Requested by* {mention(request.requested_by)} on "
             f"{slack_date(request.requested_at, zone)}"]
    if request.note:
        lines.append(f"*Note:* {escape(truncate(request.note, NOTE_MAX))}")
    return "\n".join(lines)


def _after(request: Request, packing_nos: list[str]) -> str:
    if request.decision is Decision.APPROVED:
        return "The result will be posted in the thread."
    if request.decision is Decision.EXPIRED:
        return "Nothing will run: the window closed before anybody decided (rule 14)."
    return f"Nothing will run; {them(packing_nos)} can be requested again."


def _decided_line(request: Request, zone: tzinfo) -> str:
    if request.decision is Decision.EXPIRED:
        line = f"*Expired* on {slack_date(request.decided_at, zone)}"
        if request.reject_reason:
            line += f": {escape(truncate(request.reject_reason, REASON_MAX))}"
        return line
    verb = "Approved" if request.decision is Decision.APPROVED else "Rejected"
    line = f"*{verb} by* {mention(request.decided_by)} on {slack_date(request.decided_at, zone)}"
    if request.reject_reason:
        line += f"\n*Reason:* {escape(truncate(request.reject_reason, REASON_MAX))}"
    return line


def _decision_status(request: Request) -> str:
    if request.decision is Decision.APPROVED:
        return f"Approved · {IN_PROGRESS[request.action]}"
    if request.decision is Decision.EXPIRED:
        return EXPIRED
    return "Rejected"


def _orders(request: Request, packing_nos: list[str], budget: int,
            effect: bool = True) -> list[dict[str, Any]]:
    """The packing number(s), and what the action does to them (left out once rejected)."""
    what = f"{EFFECT[request.action]} {RESTART}"
    if len(packing_nos) == 1:
        return [section(f"*Packing number:* {escape(packing_nos[0])}"
                        + (f"\n{what}" if effect else ""))]
    lines = [f"• {escape(no)}" for no in packing_nos]
    return [*line_sections(f"*Orders ({len(packing_nos)})*", lines, budget, "…and {n} more."),
            *([context(what)] if effect else [])]


def _warnings(warnings: list[str] | tuple[str, ...]) -> list[dict[str, Any]]:
    if not warnings:
        return []
    lines = [f":warning: {escape(w)}" for w in warnings]
    return line_sections("*Before approving*", lines, WARNINGS_BUDGET, "…and {n} more warnings.")


def _button(label: str, action_id: str, request_id: int | None, style: str) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": label},
            "action_id": action_id, "value": str(request_id), "style": style}


def _text(request: Request, status: str, packing_nos: list[str]) -> str:
    orders = orders_named(packing_nos)
    return truncate(f"{request.action.value.capitalize()} request #{request.id} · {status} · "
                    f"{orders}", FALLBACK_TEXT_MAX)


def requester_receipt(request: Request, packing_nos: list[str], link: str,
                      skipped: Sequence[Skipped] = ()) -> Rendered:
    """What the requester reads once the request is posted: where it is, and what was left out."""
    orders = orders_named(packing_nos)
    text = (f"Your {request.action.value} request #{request.id} for {orders} is waiting for "
            f"approval: {link}.")
    if not skipped:
        return Rendered(text, [section(text)])
    lines = [f"• {escape(s.packing_no)}: {escape(s.reason)}" for s in skipped]
    blocks = [section(text), *line_sections(f"*Left out ({len(skipped)}):*", lines,
                                            MESSAGE_BLOCKS_CHARS_BUDGET // 2, "…and {n} more.")]
    return Rendered(truncate(f"{text} {len(skipped)} left out.", FALLBACK_TEXT_MAX), blocks)
