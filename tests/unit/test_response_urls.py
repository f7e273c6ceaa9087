"""Answers go to Slack's response host only: hooks.slack.com over https, or SLACK_API_URL's
host when that is set (tests, the console's stand-in)."""
from __future__ import annotations

import pytest

from handlers.trust import response_urls, team_ids
from handlers.webhook import NotSlackUrl, is_slack_url, send_to

API = "http://127.0.0.1:8089/api/"


@pytest.mark.parametrize("url", [
    "https://hooks.slack.com/commands/T0001/5678/abc",
    "https://hooks.slack.com/actions/T0001/5678/abc",
    "https://HOOKS.SLACK.COM/app/T0001/5678/abc",
    "https://hooks.slack.com:443/commands/T0001/5678/abc",
    "http://127.0.0.1:8089/response/1",  # SLACK_API_URL's host
])
def test_slack_response_urls_are_accepted(url):
    assert is_slack_url(url, API)


@pytest.mark.parametrize("url", [
    "http://hooks.slack.com/commands/T0001/5678/abc",  # not over TLS
    "https://hooks.slack.com.evil.example/x",
    "https://hooks.slack.com@evil.example/x",
    "https://user:pw@hooks.slack.com/x",
    "https://evil.example/?https://hooks.slack.com/x",
    "https://hooks.slack.com:8443/x",
    "https://slack.com/api/chat.postMessage",
    "https://hooks.slack.com\t.evil.example/x",
    "https://hooks.slack.com /x",
    "http://127.0.0.1:8090/response/1",  # SLACK_API_URL's host, another port
    "http://localhost:8089/response/1",
    "file:///etc/passwd",
    "//hooks.slack.com/x",
    "https://hooks.slack.com:99999/x",
    "", None, 7, ["https://hooks.slack.com/x"],
])
def test_anything_else_is_not_a_slack_response_url(url):
    assert not is_slack_url(url, API)


def test_without_slack_api_url_only_slacks_own_host_is_accepted():
    assert is_slack_url("https://hooks.slack.com/commands/T0001/5678/abc", None)
    assert not is_slack_url("http://127.0.0.1:8089/response/1", None)


def test_nothing_is_sent_to_a_response_url_off_slack():
    # port 9 (discard) is never asked: the refusal comes before any connection
    with pytest.raises(NotSlackUrl):
        send_to("http://127.0.0.1:9/response/1", text="Something went wrong")


def test_every_response_url_a_payload_offers_is_found():
    body = {"response_url": "a", "response_urls": [{"response_url": "b"}, "c"],
            "view": {"private_metadata": '{"response_url": "d", "request_id": 1}'}}
    assert list(response_urls(body)) == ["a", "b", "c", "d"]
    assert list(response_urls({"view": {"private_metadata": "{not json"}})) == []


def test_every_workspace_a_payload_names_is_found():
    body = {"team": {"id": "T1"}, "user": {"id": "U1", "team_id": "T2"},
            "view": {"team_id": "T3", "app_installed_team_id": "T4"}}
    assert list(team_ids(body)) == ["T1", "T2", "T3", "T4"]
    assert list(team_ids({"team_id": "T5", "user_id": "U1"})) == ["T5"]
    assert list(team_ids({"user_id": "U1"})) == []
