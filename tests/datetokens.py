"""Slack's date tokens in rendered text: read them back as their fallbacks, and check them.

A time is written `<!date^EPOCH^{date_short_pretty} {time}|FALLBACK>`: Slack shows EPOCH in
each reader's time zone, and FALLBACK (the business zone) where it cannot."""
from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import Any

TOKEN = re.compile(r"<!date\^(\d+)\^\{date_short_pretty\} \{time\}\|([^>]*)>")
ANY_TOKEN = re.compile(r"<!date\^[^>]*>")
# a time written outside a token (what the token replaces): '2026-11-26 10:00' or '10:00 KST'
BARE_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}|\b\d{1,2}:\d{2}\b")


def fallbacks(text: str) -> str:
    """text with every date token replaced by its fallback (what the console shows)."""
    return TOKEN.sub(lambda m: m.group(2), text)


def shown_texts(node: Any) -> list[str]:
    """Every text a person reads in blocks or a view (text objects' text; not button values,
    ids or metadata, which nobody reads)."""
    if isinstance(node, list):
        return [text for item in node for text in shown_texts(item)]
    if not isinstance(node, dict):
        return []
    texts = [node["text"]] if isinstance(node.get("text"), str) else []
    return texts + [text for value in node.values() if not isinstance(value, str)
                    for text in shown_texts(value)]


def token_problems(rendered: Any, zone: tzinfo) -> list[str]:
    """What is wrong with the times in rendered (blocks, a view, any JSON): a token whose
    epoch and fallback name different moments, a malformed token, or a time outside a token."""
    text = rendered if isinstance(rendered, str) else "\n".join(shown_texts(rendered))
    problems = []
    for match in TOKEN.finditer(text):
        epoch, fallback = int(match.group(1)), match.group(2)
        shown = datetime.fromtimestamp(epoch, zone)
        expected = f"{shown:%Y-%m-%d %H:%M} {shown.tzname()}"
        if fallback != expected:
            problems.append(f"{match.group(0)}: the epoch is {expected} in the business zone")
    rest = TOKEN.sub("", text)
    problems += [f"malformed token {m.group(0)}" for m in ANY_TOKEN.finditer(rest)]
    problems += [f"a time outside a token: {m.group(0)!r}" for m in BARE_TIME.finditer(rest)]
    return problems
