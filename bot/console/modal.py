"""A modal in the terminal: its inputs asked one by one, then submitted to the app.

Errors the app returns (response_action "errors") are shown and those inputs asked again;
"update" and "push" show the new view; an empty answer to a required input, or `cancel`,
closes the modal without sending anything.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.console.render import text_of

CANCEL_WORDS = {"cancel", "close"}
TEXT_ELEMENTS = {"plain_text_input", "number_input", "email_text_input", "url_text_input"}
CHOICE_ELEMENTS = {"static_select", "radio_buttons"}

Ask = Callable[[str], "str | None"]  # a prompt's answer; None at the end of the input
Say = Callable[..., None]


class Cancelled(Exception):
    """The user closed the modal (or the input ended) before it was sent."""


def inputs(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The view's input blocks, in order."""
    return [b for b in view.get("blocks", []) if b.get("type") == "input"]


def ask_inputs(blocks: list[dict[str, Any]], ask: Ask, say: Say) -> dict[str, dict[str, Any]]:
    """Each input asked for, as view state values (block id: {action id: state}); Cancelled."""
    return {block["block_id"]: ask_one(block, ask, say) for block in blocks}


def ask_one(block: dict[str, Any], ask: Ask, say: Say) -> dict[str, Any]:
    """One input's state, asked until it is usable; Cancelled on `cancel` or a missing answer."""
    element = block.get("element") or {}
    kind = element.get("type", "plain_text_input")
    optional = bool(block.get("optional"))
    label = text_of(block.get("label")) + (" (optional)" if optional else "")
    hint = text_of(block.get("hint")) or text_of(element.get("placeholder"))
    if hint:
        say(f"  {hint}")
    options = element.get("options") or []
    if kind in CHOICE_ELEMENTS:
        say(*(f"  {n}) {text_of(o.get('text'))}" for n, o in enumerate(options, 1)))
    while True:
        answer = ask(f"{label}: ")
        if answer is None or answer.strip().lower() in CANCEL_WORDS:
            raise Cancelled()
        answer = answer.strip()
        if not answer and not optional:
            say(f"  {label} is required; the modal was closed without sending.")
            raise Cancelled()
        too_long = _length_problem(element, answer)
        if too_long:  # Slack's own client refuses such answers before the app sees them
            say(f"  {too_long}")
            continue
        state = _state(kind, answer, options)
        if state is not None:
            return {element.get("action_id", "input"): state}
        say(f"  Answer with one of the numbers 1-{len(options)}.")


def _length_problem(element: dict[str, Any], answer: str) -> str | None:
    """What Slack's client would say about an answer outside the input's length limits."""
    longest, shortest = element.get("max_length"), element.get("min_length")
    if answer and longest and len(answer) > longest:
        return f"At most {longest} characters, please (that was {len(answer)})."
    if answer and shortest and len(answer) < shortest:
        return f"At least {shortest} characters, please (that was {len(answer)})."
    return None


def _state(kind: str, answer: str, options: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What Slack puts in view.state for this element and answer; None if unusable."""
    if kind in CHOICE_ELEMENTS:
        if not answer:
            return {"type": kind, "selected_option": None}
        if not answer.isdigit() or not 1 <= int(answer) <= len(options):
            return None
        return {"type": kind, "selected_option": options[int(answer) - 1]}
    if kind == "datepicker":
        return {"type": kind, "selected_date": answer or None}
    return {"type": kind if kind in TEXT_ELEMENTS else "plain_text_input",
            "value": answer or None}


def error_lines(errors: dict[str, str], view: dict[str, Any]) -> list[str]:
    """The errors a submission got, each under its input's label."""
    labels = {b.get("block_id"): text_of(b.get("label")) for b in inputs(view)}
    return [f"  ! {labels.get(block_id) or block_id}: {text}" for block_id, text in errors.items()]


def to_ask_again(errors: dict[str, str], view: dict[str, Any]) -> list[dict[str, Any]]:
    """The inputs the errors name; every input when they name none of them."""
    blocks = inputs(view)
    named = [b for b in blocks if b.get("block_id") in errors]
    return named or blocks
