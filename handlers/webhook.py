"""Answers through a response_url (ephemeral replies, edits of the message a button was on)."""
from __future__ import annotations

from typing import Any

from slack_sdk.http_retry import ConnectionErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.webhook import WebhookClient, WebhookResponse

TIMEOUT_SECONDS = 10


class ResponseUrlError(Exception):
    """Slack refused an answer sent to a response_url (expired, used too often, bad blocks)."""


def send_to(url: str, **message: Any) -> WebhookResponse:
    """POST message to a response_url, retrying connection and server errors; raises
    ResponseUrlError when Slack refuses it."""
    client = WebhookClient(url, timeout=TIMEOUT_SECONDS, retry_handlers=[
        ConnectionErrorRetryHandler(max_retry_count=1), ServerErrorRetryHandler(max_retry_count=1),
    ])
    response = client.send_dict({k: v for k, v in message.items() if v is not None})
    if response.status_code != 200:
        raise ResponseUrlError(f"response_url answered HTTP {response.status_code}: "
                               f"{response.body[:200]}")
    return response
