"""The answer to the message shortcut "Look up cancelled deliveries": the card of every order
the message names (up to 10), with their buttons, and how many more it names."""
from __future__ import annotations

from datetime import tzinfo
from typing import Any

from domain.mentioned import Mentioned
from handlers.render.lookup_card import lookup_card
from handlers.render.mrkdwn import (
    FALLBACK_TEXT_MAX,
    MESSAGE_BLOCKS_CHARS_BUDGET,
    MESSAGE_BLOCKS_MAX,
    Rendered,
    context,
    section,
    truncate,
)

NOTHING_FOUND = ("That message names no packing number cancelbot knows, so there is nothing to "
                 "show. Packing numbers are letters and digits, like `QSP2611260001`; "
                 "`/cancelled PACKING_NO` looks one up, `/cancelled help` shows what else "
                 "works.")
NAMED_MAX = 20  # packing numbers of the rest named in the "more" line
MORE_RESERVE = 600  # characters kept for the "more" line


def mentioned_message(found: Mentioned, zone: tzinfo) -> Rendered:
    """An intro, one card per order while they fit one message, and the rest by number."""
    if not found.shown:
        return Rendered(NOTHING_FOUND, [section(NOTHING_FOUND)])
    count = found.total
    blocks = [section(f"*{count} packing number{'' if count == 1 else 's'}* in that message"
                      + (f"; the first {len(found.shown)} are shown" if found.more else "")
                      + ":")]
    budget = MESSAGE_BLOCKS_CHARS_BUDGET - MORE_RESERVE - _size(blocks)
    left = list(found.more)
    for index, lookup in enumerate(found.shown):
        card = [{"type": "divider"}] + lookup_card(lookup, zone).blocks
        if len(blocks) + len(card) > MESSAGE_BLOCKS_MAX - 1 or _size(card) > budget:
            left = [x.order.packing_no for x in found.shown[index:]] + left
            break
        blocks += card
        budget -= _size(card)
    if left:
        blocks.append(context(more_line(left)))
    numbers = ", ".join(x.order.packing_no for x in found.shown)
    return Rendered(truncate(f"{count} packing numbers in that message: {numbers}",
                             FALLBACK_TEXT_MAX), blocks)


def more_line(numbers: list[str]) -> str:
    """'…and 3 more: `A`, `B`, `C`. Type `/cancelled PACKING_NO` for each.'"""
    named = ", ".join(f"`{n}`" for n in numbers[:NAMED_MAX])
    if len(numbers) > NAMED_MAX:
        named += f" and {len(numbers) - NAMED_MAX} others"
    return (f"…and {len(numbers)} more: {named}. Type `/cancelled PACKING_NO` for each, "
            "or use the shortcut on a shorter message.")


def _size(blocks: list[dict[str, Any]]) -> int:
    """The characters blocks show (texts and fields), as the budget counts them."""
    total = 0
    for block in blocks:
        total += len((block.get("text") or {}).get("text", ""))
        total += sum(len(f.get("text", "")) for f in block.get("fields") or [])
        total += sum(len(e.get("text", "")) for e in block.get("elements") or []
                     if isinstance(e.get("text"), str))
    return total
