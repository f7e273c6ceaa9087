"""`/cancelled history PACKING_NO`: the audit trail, oldest first, the latest events kept."""
from __future__ import annotations

import re
from datetime import tzinfo

from domain.model import Order
from domain.ports import AuditEvent
from handlers.render.mrkdwn import (
    FALLBACK_TEXT_MAX,
    MESSAGE_BLOCKS_CHARS_BUDGET,
    SECTION_TEXT_MAX,
    Rendered,
    escape,
    line_sections,
    mention,
    section,
    slack_date,
    truncate,
)

DETAIL_MAX = 250  # escaped, it stays inside the line limit below
SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
EARLIER = "…and {n} earlier event{s}"


def history_message(order: Order, events: list[AuditEvent], zone: tzinfo,
                    budget: int = MESSAGE_BLOCKS_CHARS_BUDGET) -> Rendered:
    """Every event that fits, oldest first; when some do not, the earliest are counted instead."""
    title = f"*History of {order.packing_no}*"
    if not events:
        text = f"Nothing has been requested for {order.packing_no} yet."
        return Rendered(text, [section(f"{title}\n{text}")])
    lines = [event_line(event, zone) for event in events]
    kept = latest_that_fit(lines, budget - len(title) - 100)
    left_out = len(lines) - len(kept)
    if left_out:
        kept.insert(0, "_" + EARLIER.format(n=left_out, s="" if left_out == 1 else "s") + "_")
    count = f"{len(events)} event{'' if len(events) == 1 else 's'}"
    blocks = line_sections(title, kept, budget, "…and {n} more events.")
    return Rendered(truncate(f"History of {order.packing_no}: {count}", FALLBACK_TEXT_MAX), blocks)


def latest_that_fit(lines: list[str], budget: int) -> list[str]:
    """The longest tail of lines whose total length (one newline each) stays within budget."""
    kept: list[str] = []
    for line in reversed(lines):
        if sum(len(k) + 1 for k in kept) + len(line) + 1 > budget:
            break
        kept.append(line)
    return kept[::-1]


def actor_words(actor: str) -> str:
    """A Slack user as a mention, the bot and anything else as they are."""
    return mention(actor) if SLACK_USER.match(actor) else escape(actor)


def event_line(event: AuditEvent, zone: tzinfo) -> str:
    """'2026-11-26 10:01 KST · *requested* by @user (QSP…, request #3, job #4): note'."""
    refs = ", ".join(ref for ref in (
        event.packing_no or "",
        f"request #{event.request_id}" if event.request_id else "",
        f"job #{event.job_id}" if event.job_id else "",
    ) if ref)
    detail = f": {escape(truncate(event.detail, DETAIL_MAX))}" if event.detail else ""
    line = (f"{slack_date(event.at, zone)} · *{escape(event.kind)}* by "
            f"{actor_words(event.actor)}" + (f" ({refs})" if refs else "") + detail)
    return truncate(line, SECTION_TEXT_MAX // 2)
