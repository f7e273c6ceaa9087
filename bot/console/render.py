"""Block Kit as plain text for a terminal: sections, fields, context, headers and numbered
buttons."""
from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

# a button's number, given the button element and its block (the caller keeps the numbering);
# None shows the button as `[Label]`, for text nobody can press a button in
Numberer = Callable[[dict[str, Any], dict[str, Any]], object]

DIVIDER = "-" * 40
EMOJI = {
    "warning": "⚠", "white_check_mark": "✔", "heavy_check_mark": "✔", "x": "✘",
    "arrows_counterclockwise": "⟳", "hourglass": "⌛", "hourglass_flowing_sand": "⌛",
    "no_entry": "⛔", "no_entry_sign": "⛔", "information_source": "ℹ", "clock3": "◷",
    "bust_in_silhouette": "•", "memo": "✎", "mag": "🔍", "rotating_light": "!",
}
_LINK = re.compile(r"<([^<>]+)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_EMOJI = re.compile(r":([a-z0-9_+-]+):")
_FIELD = re.compile(r"^\*([^*\n]+)\*\n(.*)$", re.DOTALL)


def clean_mrkdwn(text: str, bold: Callable[[str], str] = lambda s: s) -> str:
    """Slack mrkdwn as readable text: links, mentions and dates by their fallbacks, unescaped."""
    text = _LINK.sub(lambda m: _link(m.group(1)), text)
    text = _BOLD.sub(lambda m: bold(m.group(1)), text)
    text = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
    return html.unescape(text)  # &lt; &gt; &amp; last, so escaped brackets stay text


def _link(inner: str) -> str:
    target, _, label = inner.partition("|")
    if target.startswith(("@U", "@W")):
        return f"@{label or target[1:]}"
    if target.startswith("#C"):
        return f"#{label or target[1:]}"
    if target.startswith("!subteam^"):
        return label or f"@{target.removeprefix('!subteam^')}"
    if target.startswith("!date^"):
        return label or target
    if target.startswith("!"):
        return f"@{label or target[1:]}"  # !here, !channel, !everyone
    return f"{label} ({target})" if label and label != target else target


def text_of(obj: dict[str, Any] | None, bold: Callable[[str], str] = lambda s: s) -> str:
    """The text of a text object (plain_text as it is, mrkdwn cleaned)."""
    if not obj:
        return ""
    if obj.get("type") == "mrkdwn":
        return clean_mrkdwn(obj.get("text", ""), bold)
    text: str = obj.get("text", "")
    return text


def render_blocks(blocks: list[dict[str, Any]], number: Numberer,
                  bold: Callable[[str], str] = lambda s: s) -> list[str]:
    """Each block as lines of text; buttons as `[n] Label`, numbered by number()."""
    lines: list[str] = []
    for block in blocks:
        lines += _render_block(block, number, bold)
    return lines


def plain_text(blocks: list[dict[str, Any]]) -> str:
    """Blocks as plain text with buttons as `[Label]`: what Slack shows, for output to read."""
    return "\n".join(render_blocks(blocks, lambda element, block: None))


def render_message(message: dict[str, Any], number: Numberer,
                   bold: Callable[[str], str] = lambda s: s) -> list[str]:
    """A message's blocks, or its text when it has none."""
    blocks = message.get("blocks") or []
    if blocks:
        return render_blocks(blocks, number, bold)
    return clean_mrkdwn(message.get("text") or "", bold).splitlines() or [""]


def _render_block(block: dict[str, Any], number: Numberer,
                  bold: Callable[[str], str]) -> list[str]:
    kind = block.get("type")
    if kind == "section":
        return _section(block, number, bold)
    if kind == "header":
        return [f"== {text_of(block.get('text'))} =="]
    if kind == "divider":
        return [DIVIDER]
    if kind == "context":
        parts = [_context_element(e, bold) for e in block.get("elements", [])]
        return ["  " + line for line in " ".join(p for p in parts if p).splitlines()]
    if kind == "actions":
        shown = [_element(e, block, number, bold) for e in block.get("elements", [])]
        return ["  ".join(s for s in shown if s)] if any(shown) else []
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    if kind == "rich_text":
        return _rich_text(block).splitlines()
    if kind == "markdown":
        return clean_mrkdwn(block.get("text", ""), bold).splitlines()
    if kind == "input":
        return [f"{text_of(block.get('label'))}: (input)"]
    return []


def _section(block: dict[str, Any], number: Numberer, bold: Callable[[str], str]) -> list[str]:
    lines = text_of(block.get("text"), bold).splitlines()
    lines += ["  " + _field(f, bold) for f in block.get("fields", [])]
    accessory = block.get("accessory")
    if accessory:
        shown = _element(accessory, block, number, bold)
        if shown:
            lines.append(shown)
    return lines


def _field(field: dict[str, Any], bold: Callable[[str], str]) -> str:
    """A field `*Label*\\nvalue` as `Label: value`; any other field on one line."""
    raw = field.get("text", "")
    match = _FIELD.match(raw) if field.get("type") == "mrkdwn" else None
    if match:
        label = clean_mrkdwn(match.group(1))
        value = clean_mrkdwn(match.group(2), bold).replace("\n", " · ")
        return f"{label}: {value}"
    return text_of(field, bold).replace("\n", " · ")


def _context_element(element: dict[str, Any], bold: Callable[[str], str]) -> str:
    if element.get("type") == "image":
        return f"[{element.get('alt_text', 'image')}]"
    return text_of(element, bold)


def _element(element: dict[str, Any], block: dict[str, Any], number: Numberer,
             bold: Callable[[str], str]) -> str:
    kind = element.get("type")
    if kind == "button":
        label, n = text_of(element.get("text")), number(element, block)
        return f"[{label}]" if n is None else f"[{n}] {label}"
    if kind in ("static_select", "overflow", "users_select", "datepicker"):
        return f"({text_of(element.get('placeholder')) or kind}: not available in the console)"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    return ""


def _rich_text(block: dict[str, Any]) -> str:
    """The text of a rich_text block, without its styles."""
    out: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        kind = node.get("type")
        if kind in ("text", "link"):
            out.append(node.get("text") or node.get("url", ""))
        elif kind == "user":
            out.append(f"@{node.get('user_id', '')}")
        elif kind == "emoji":
            out.append(EMOJI.get(node.get("name", ""), f":{node.get('name', '')}:"))
        for child in node.get("elements", []) or []:
            walk(child)
        if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
            out.append("\n")

    walk(block)
    return "".join(out).rstrip("\n")
