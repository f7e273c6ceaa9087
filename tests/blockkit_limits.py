"""Block Kit limits, checked on the plain dicts our renderers build.

The numbers are the ones Slack documents (docs.slack.dev, reference/block-kit/blocks and each
block's page) and python-slack-sdk's model validators enforce. Use
`message_problems(text, blocks)` or `view_problems(view)` for a list of what is over a limit
(empty when everything fits), or `assert_message_fits` / `assert_view_fits` in tests.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MESSAGE_TEXT = 40_000  # Slack truncates past this
# Undocumented: slackapi/bolt-js#2509 saw msg_blocks_too_long at about 13,200 characters of
# blocks. Checked as a budget on the text the blocks show, a little under that report.
MESSAGE_BLOCKS_TEXT = 12_000

TEXT_LIMITS = {  # (block or element type, field): max characters
    ("section", "text"): 3000,
    ("header", "text"): 150,
    ("markdown", "text"): 12_000,
    ("image", "title"): 2000,
    ("input", "label"): 2000,
    ("input", "hint"): 2000,
    ("button", "text"): 75,
    ("button", "accessibility_label"): 75,
}
STRING_LIMITS = {  # plain string fields: max characters
    "block_id": 255, "action_id": 255, "image_url": 3000, "url": 3000, "value": 2000,
    "alt_text": 2000, "callback_id": 255, "private_metadata": 3000,
}
ELEMENT_COUNTS = {"actions": 25, "context": 10, "context_actions": 5}
OPTION_COUNTS = {"static_select": 100, "multi_static_select": 100, "external_select": 100,
                 "checkboxes": 10, "radio_buttons": 10, "overflow": 5}
OPTION_LIMITS = {"text": 75, "value": 150, "description": 75, "url": 3000}
CONFIRM_LIMITS = {"title": 100, "text": 300, "confirm": 30, "deny": 30}
VIEW_LIMITS = {"title": 24, "submit": 24, "close": 24}


def message_problems(text: str | None, blocks: list[dict[str, Any]] | None) -> list[str]:
    """What in a chat.postMessage / chat.update payload is over a Block Kit limit."""
    blocks = blocks or []
    problems = _over("message text", text or "", MESSAGE_TEXT)
    if len(blocks) > MESSAGE_BLOCKS:
        problems.append(f"{len(blocks)} blocks, more than {MESSAGE_BLOCKS} in a message")
    shown = sum(len(t) for t in _texts(blocks))
    if shown > MESSAGE_BLOCKS_TEXT:
        problems.append(f"blocks show {shown} characters, more than {MESSAGE_BLOCKS_TEXT}")
    return problems + _blocks_problems(blocks)


def view_problems(view: dict[str, Any]) -> list[str]:
    """What in a modal or Home tab view is over a Block Kit limit."""
    blocks = view.get("blocks") or []
    problems = []
    if len(blocks) > VIEW_BLOCKS:
        problems.append(f"{len(blocks)} blocks, more than {VIEW_BLOCKS} in a view")
    for name, limit in VIEW_LIMITS.items():
        problems += _over(f"view {name}", _text_of(view.get(name)), limit)
    for name in ("callback_id", "private_metadata"):
        problems += _over(f"view {name}", view.get(name) or "", STRING_LIMITS[name])
    return problems + _blocks_problems(blocks)


def assert_message_fits(text: str | None, blocks: list[dict[str, Any]] | None) -> None:
    """Fail the test with every problem when a message is over a limit."""
    problems = message_problems(text, blocks)
    assert problems == [], "\n".join(problems)


def assert_view_fits(view: dict[str, Any]) -> None:
    """Fail the test with every problem when a view is over a limit."""
    problems = view_problems(view)
    assert problems == [], "\n".join(problems)


def duplicate_action_ids(blocks: list[dict[str, Any]] | None) -> list[str]:
    """Action ids used twice inside one block (Slack refuses such a message: invalid_blocks)."""
    problems = []
    for index, block in enumerate(blocks or []):
        ids = [e.get("action_id") for e in block.get("elements") or [] if e.get("action_id")]
        problems += [f"block {index}: action_id {i} used twice"
                     for i in sorted({i for i in ids if ids.count(i) > 1})]
    return problems


def _over(what: str, text: str, limit: int) -> list[str]:
    return [f"{what}: {len(text)} characters, more than {limit}"] if len(text) > limit else []


def _text_of(value: Any) -> str:
    """The characters of a text object (or of a plain string)."""
    if isinstance(value, dict):
        return str(value.get("text", ""))
    return str(value or "")


def _blocks_problems(blocks: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    for index, block in enumerate(blocks):
        problems += [f"block {index} ({block.get('type')}): {p}" for p in _one_block(block)]
    return problems


def _one_block(block: dict[str, Any]) -> list[str]:
    kind = block.get("type", "")
    problems = [] if kind else ["no type"]
    problems += _strings(block)
    for (owner, name), limit in TEXT_LIMITS.items():
        if owner == kind and name in block:
            problems += _over(name, _text_of(block[name]), limit)
    fields = block.get("fields") or []
    if len(fields) > 10:
        problems.append(f"{len(fields)} fields, more than 10")
    for field in fields:
        problems += _over("field", _text_of(field), 2000)
    elements = block.get("elements") or []
    if kind in ELEMENT_COUNTS and len(elements) > ELEMENT_COUNTS[kind]:
        problems.append(f"{len(elements)} elements, more than {ELEMENT_COUNTS[kind]}")
    for element in [*elements, *([block["accessory"]] if "accessory" in block else []),
                    *([block["element"]] if "element" in block else [])]:
        problems += _element(element)
    return problems


def _element(element: dict[str, Any]) -> list[str]:
    kind = element.get("type", "")
    problems = _strings(element)
    for (owner, name), limit in TEXT_LIMITS.items():
        if owner == kind and name in element:
            problems += _over(f"{kind} {name}", _text_of(element[name]), limit)
    problems += _over(f"{kind} placeholder", _text_of(element.get("placeholder")), 150)
    options = element.get("options") or []
    if kind in OPTION_COUNTS and len(options) > OPTION_COUNTS[kind]:
        problems.append(f"{kind}: {len(options)} options, more than {OPTION_COUNTS[kind]}")
    groups = element.get("option_groups") or []
    if len(groups) > 100:
        problems.append(f"{kind}: {len(groups)} option groups, more than 100")
    for group in groups:
        problems += _over("option group label", _text_of(group.get("label")), 75)
        options = [*options, *(group.get("options") or [])]
    for option in options:
        for name, limit in OPTION_LIMITS.items():
            problems += _over(f"option {name}", _text_of(option.get(name)), limit)
    for name, limit in CONFIRM_LIMITS.items():
        problems += _over(f"confirm {name}", _text_of((element.get("confirm") or {}).get(name)),
                          limit)
    return problems


def _strings(item: dict[str, Any]) -> list[str]:
    return [p for name, limit in STRING_LIMITS.items()
            if isinstance(item.get(name), str) for p in _over(name, item[name], limit)]


def _texts(value: Any) -> Iterable[str]:
    """Every "text" string anywhere in blocks (text objects, elements, fields)."""
    if isinstance(value, dict):
        if isinstance(value.get("text"), str):
            yield value["text"]
        for key, child in value.items():
            if key != "text" or not isinstance(child, str):
                yield from _texts(child)
    elif isinstance(value, list):
        for child in value:
            yield from _texts(child)
