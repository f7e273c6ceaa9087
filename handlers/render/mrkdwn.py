"""Small pieces every renderer needs: escaping, mentions, dates and blocks that fit the limits."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from domain.window import format_local

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


def slack_date(at: datetime | None, zone: tzinfo) -> str:
    """A time every reader sees in their own time zone: Slack's date token, whose fallback
    (for clients that cannot show it, and the console) is the time in the business zone."""
    if at is None:
        return "(unknown time)"
    return (f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}"
            f"|{format_local(at, zone)}>")


# a time as domain/window.format_local writes it: '2026-11-20 14:03 KST'
_LOCAL_TIME = re.compile(r"(?<!\|)\b(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) ([A-Za-z0-9+-]+)")


def local_times(text: str, zone: tzinfo) -> str:
    """text (mrkdwn, already escaped) with every business-zone time the domain wrote in its
    sentences turned into slack_date's token; a time it cannot read back exactly stays text."""
    def token(match: re.Match[str]) -> str:
        try:
            local = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=zone)
        except ValueError:
            return match.group(0)
        # the same words again (zone name included), so the token names that very moment
        return slack_date(local, zone) if format_local(local, zone) == match.group(0) \
            else match.group(0)

    return _LOCAL_TIME.sub(token, text)


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
