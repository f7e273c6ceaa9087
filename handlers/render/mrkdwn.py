"""Small pieces every renderer needs: escaping, mentions, dates and blocks that fit the limits."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SECTION_TEXT_MAX = 3000
CONTEXT_TEXT_MAX = 2000
MESSAGE_BLOCKS_MAX = 50
# Slack also refuses messages whose blocks are long together (msg_blocks_too_long) at a size
# it does not document; staying under this total keeps well clear of the reports of it.
MESSAGE_BLOCKS_CHARS_BUDGET = 11_000
FALLBACK_TEXT_MAX = 3000
ELLIPSIS = "…"


@dataclass(frozen=True)
class Rendered:
    """A message as chat.postMessage / chat.update take it: notification text and blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def escape(text: str) -> str:
    """Text shown as-is inside mrkdwn: Slack's three control characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """text cut to at most limit characters, an ellipsis showing where."""
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


def mention(user_id: str | None) -> str:
    """A user mention, or a neutral word when nobody is known."""
    return f"<@{user_id}>" if user_id else "somebody"


def slack_date(at: datetime | None) -> str:
    """A date Slack shows in each reader's own time zone, with a UTC fallback."""
    if at is None:
        return "(unknown time)"
    utc = at.astimezone(UTC)
    fallback = utc.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(utc.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def section(text: str) -> dict[str, Any]:
    """A mrkdwn section block, cut to the section text limit."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_TEXT_MAX)}}


def context(text: str) -> dict[str, Any]:
    """A context block with one mrkdwn element."""
    return {"type": "context",
            "elements": [{"type": "mrkdwn", "text": truncate(text, CONTEXT_TEXT_MAX)}]}


def line_sections(title: str, lines: list[str], budget: int, more: str) -> list[dict[str, Any]]:
    """A title and lines packed into as few sections as fit, within budget characters in all.

    Lines past the budget are counted instead, in a last line made from more ("{n} more").
    """
    chunks = [title]
    reserve = len(more) + 12  # room for the count line, whatever n is
    for index, line in enumerate(lines):
        line = truncate(line, SECTION_TEXT_MAX // 2)
        if sum(map(len, chunks)) + len(line) + 1 + reserve > budget:
            _append(chunks, more.format(n=len(lines) - index))
            break
        _append(chunks, line)
    return [section(chunk) for chunk in chunks]


def _append(chunks: list[str], line: str) -> None:
    if len(chunks[-1]) + 1 + len(line) > SECTION_TEXT_MAX:
        chunks.append(line)
    else:
        chunks[-1] += "\n" + line
