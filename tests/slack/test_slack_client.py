"""The shared WebClient factory, how failed calls are read, and when to call again."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http.client import RemoteDisconnected
from urllib.error import URLError

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, RetryState
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse

from handlers.slack_client import (
    BoundedRateLimitRetryHandler,
    CallFailure,
    IdempotentServerErrorRetryHandler,
    call_failure,
    make_web_client,
    next_attempt_at,
)
from tests.slack.conftest import TOKEN

NOW = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)


def test_the_client_uses_the_configured_api_url_and_slack_sdks_retry_handlers():
    client = make_web_client(TOKEN, "http://127.0.0.1:9/api")

    assert client.base_url == "http://127.0.0.1:9/api/"
    kinds = [type(h) for h in client.retry_handlers]
    assert kinds == [ConnectionErrorRetryHandler, BoundedRateLimitRetryHandler,
                     IdempotentServerErrorRetryHandler]
    assert isinstance(client.retry_handlers[1], RateLimitErrorRetryHandler)
    assert isinstance(client.retry_handlers[2], ServerErrorRetryHandler)
    assert make_web_client(TOKEN).base_url == "https://slack.com/api/"


@pytest.mark.parametrize("retry_after, waits_inside", [("2", True), ("5", True), ("30", False)])
def test_a_short_retry_after_is_waited_out_inside_the_call_and_a_long_one_is_left_to_the_caller(
        retry_after, waits_inside):
    handler = BoundedRateLimitRetryHandler(max_retry_count=2, max_wait=5)
    request = HttpRequest(method="POST", url="http://x/api/chat.postMessage", headers={})
    response = HttpResponse(status_code=429, headers={"Retry-After": [retry_after]})

    assert handler.can_retry(state=RetryState(), request=request,
                             response=response) is waits_inside


def _api_error(status: int, body: dict, headers: dict | None = None) -> SlackApiError:
    class Response:
        status_code = status
        data = body

    response = Response()
    response.headers = headers or {}  # type: ignore[attr-defined]
    return SlackApiError("failed", response)


@pytest.mark.parametrize("exc, expected", [
    (_api_error(429, {"ok": False, "error": "ratelimited"}, {"retry-after": "7"}),
     CallFailure("chat.postMessage: rate limited (HTTP 429, Retry-After 7s)", 7.0)),
    (_api_error(503, {"ok": False}), CallFailure("chat.postMessage: HTTP 503", in_doubt=True)),
    (_api_error(200, {"ok": False, "error": "channel_not_found"}),
     CallFailure("chat.postMessage: channel_not_found", transient=False)),
    (_api_error(200, {"ok": False, "error": "internal_error"}),
     CallFailure("chat.postMessage: internal_error", in_doubt=True)),
    (TimeoutError("timed out"),
     CallFailure("chat.postMessage: no answer before the client timeout", in_doubt=True)),
    (URLError(ConnectionRefusedError(111, "refused")),
     CallFailure("chat.postMessage: connection failed (URLError: <urlopen error [Errno 111] "
                 "refused>)")),
    (RemoteDisconnected("closed"),
     CallFailure("chat.postMessage: connection failed (RemoteDisconnected: closed)",
                 in_doubt=True)),
])
def test_a_failed_call_is_read_as_slack_unwell_or_as_a_problem_of_this_message(exc, expected):
    assert call_failure(exc, "chat.postMessage") == expected


@pytest.mark.parametrize("method, retried", [
    ("chat.postMessage", False), ("chat.postEphemeral", False),
    ("chat.update", True), ("conversations.replies", True), ("usergroups.users.list", True),
])
def test_a_server_error_is_retried_inside_the_call_only_for_calls_safe_to_send_twice(
        method, retried):
    handler = make_web_client(TOKEN).retry_handlers[2]
    request = HttpRequest(method="POST", url=f"https://slack.com/api/{method}", headers={})

    assert handler.can_retry(state=RetryState(), request=request,
                             response=HttpResponse(status_code=500, headers={})) is retried


def test_an_error_that_is_not_slacks_is_not_read_as_a_failed_call():
    assert call_failure(KeyError("job_id"), "chat.postMessage") is None


def test_retries_back_off_exponentially_up_to_a_cap_unless_slack_said_when():
    failure = CallFailure("chat.postMessage: HTTP 500")

    waits = [next_attempt_at(NOW, n, failure) - NOW for n in range(8)]

    assert waits[:4] == [timedelta(seconds=s) for s in (15, 30, 60, 120)]
    assert waits[-1] == timedelta(minutes=15)
    assert next_attempt_at(NOW, 5, CallFailure("x", retry_after=42)) == NOW + timedelta(seconds=42)
