"""The reminder and the expiry a request's thread gets when nobody decides it (rule 14)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from domain.reminders import Notice
from domain.requests import Request
from handlers.approvers import is_group_id
from handlers.render.mrkdwn import (
    FALLBACK_TEXT_MAX,
    Rendered,
    mention,
    section,
    slack_date,
    truncate,
)
from handlers.render.pending_request import orders_named


def approver_mentions(approvers: Sequence[str]) -> str:
    """Every configured approver as Slack mentions: users as <@U…>, groups as <!subteam^S…>."""
    configured = sorted({a.strip() for a in approvers if a and a.strip()})
    return " ".join(f"<!subteam^{a}>" if is_group_id(a) else f"<@{a}>" for a in configured)


def reminder_reply(request: Request, notice: Notice, approvers: Sequence[str],
                   zone: tzinfo) -> Rendered:
    """The one reminder: the request still waits, its window closes soon, the approvers named."""
    who = approver_mentions(approvers) or "Approvers"
    text = (f":alarm_clock: Reminder: {request.action.value} request #{request.id} for "
            f"{orders_named(notice.packing_nos)} is still awaiting approval, and its window "
            f"closes {slack_date(notice.deadline, zone)}. {who}, please approve or reject it "
            "before then; at the deadline it expires and nothing runs.")
    return Rendered(truncate(text, FALLBACK_TEXT_MAX), [section(truncate(text, 3000))])


def expiry_reply(request: Request, notice: Notice, zone: tzinfo) -> Rendered:
    """Why the request expired, addressed to its requester."""
    text = (f"Expired: nobody approved or rejected {request.action.value} request #{request.id} "
            f"before the 14-day window of {orders_named(notice.packing_nos)} closed "
            f"{slack_date(notice.deadline, zone)}. {mention(request.requested_by)}, nothing will "
            "run, and past its window an order can no longer be resynced or restored.")
    return Rendered(truncate(text, FALLBACK_TEXT_MAX), [section(truncate(text, 3000))])
