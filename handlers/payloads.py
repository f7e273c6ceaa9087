"""The bodies Slack sends this app, read strictly: anything else is not a request from Slack.

A slash command is a form; a click or a modal is a form with one `payload` field holding a
JSON object; the Events API (not used, but Bolt answers its URL check) sends a JSON object.
The fields Bolt's listener matching reads must have the types Slack gives them: Bolt indexes
them without checking, and a surprise there would reach the error handler instead of a 401.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

Body = dict[str, Any]

FORM, JSON = "application/x-www-form-urlencoded", "application/json"
OBJECTS = ("user", "container", "channel", "message", "state", "view", "event")
VIEW_TYPES = ("view_submission", "view_closed")
MESSAGE_ACTION = "message_action"  # a message shortcut
INTERACTIONS = ("block_actions", MESSAGE_ACTION, *VIEW_TYPES)


class NotSlackBody(ValueError):
    """The body is not one Slack sends; the message says why (for the log, not the sender)."""


def read_body(body: str, content_type: str | None) -> Body:
    """The body as Bolt will see it (the form's fields, or the JSON object); NotSlackBody when
    Slack would not send it."""
    if not body.strip():
        raise NotSlackBody("empty body")
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind not in ("", FORM, JSON):
        raise NotSlackBody(f"content type {kind[:40]} is neither a form nor JSON")
    if kind == JSON or body.startswith("{"):  # how Bolt tells JSON apart
        return _checked(_json_object(body, "body"))
    try:
        fields = parse_qsl(body, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise NotSlackBody("body is not form-encoded") from None
    payloads = [value for name, value in fields if name == "payload"]
    if len(payloads) > 1:
        raise NotSlackBody("more than one payload field")
    if payloads:
        return _checked(_json_object(payloads[0], "payload"))
    return dict(fields)


def _json_object(text: str, what: str) -> Body:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise NotSlackBody(f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise NotSlackBody(f"{what} is not a JSON object")
    return value


def _checked(body: Body) -> Body:
    kind = body.get("type")
    if kind is not None and not isinstance(kind, str):
        raise NotSlackBody("type is not a string")
    for name in OBJECTS:
        if body.get(name) is not None and not isinstance(body[name], dict):
            raise NotSlackBody(f"{name} is not an object")
    if body.get("team") is not None and not isinstance(body["team"], (dict, str)):
        raise NotSlackBody("team is neither an object nor an id")
    if kind in INTERACTIONS and not isinstance((body.get("user") or {}).get("id"), str):
        raise NotSlackBody(f"{kind} without a user id")
    if kind == "block_actions":
        _check_actions(body)
    if kind == MESSAGE_ACTION:
        _check_message_action(body)
    if kind in VIEW_TYPES:
        _check_view(body.get("view") or {})
    if kind == "event_callback" and not isinstance((body.get("event") or {}).get("type"), str):
        raise NotSlackBody("event has no type")
    return body


def _check_actions(body: Body) -> None:
    actions = body.get("actions")
    if not isinstance(body.get("trigger_id"), str) or not (
            isinstance(actions, list) and actions and all(
                isinstance(a, dict) and isinstance(a.get("action_id"), str)
                and isinstance(a.get("value", ""), str) for a in actions)):
        raise NotSlackBody("block_actions without a trigger id, or actions with ids and values")


def _check_message_action(body: Body) -> None:
    if not isinstance(body.get("callback_id"), str) \
            or not isinstance(body.get("trigger_id"), str) \
            or not isinstance((body.get("message") or {}).get("text", ""), str):
        raise NotSlackBody("message_action without a callback id, a trigger id or message text")


def _check_view(view: Body) -> None:
    if not isinstance(view.get("callback_id"), str) \
            or not isinstance(view.get("private_metadata", ""), str):
        raise NotSlackBody("view has no callback_id, or its private_metadata is no text")
    state = view.get("state") or {}
    values = (state.get("values") or {}) if isinstance(state, dict) else None
    inputs = values.values() if isinstance(values, dict) else [None]
    for block in inputs:
        elements = block.values() if isinstance(block, dict) else [None]
        if not all(isinstance(e, dict) and isinstance(e.get("value") or "", str)
                   for e in elements):
            raise NotSlackBody("view state values are not inputs")
