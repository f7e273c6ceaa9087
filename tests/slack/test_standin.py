"""The stand-in for Slack as `cancelbot console` runs it: answered the way Slack answers.

The tests' fake Slack is the same stand-in, so what it does is checked here once on its own,
without the recording the fake adds.
"""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.console.standin import StandIn
from bot.console.workspace import Workspace
from handlers.slack_client import make_web_client

EVENT = {"event_type": "cancelbot_test", "event_payload": {"n": 1}}


@pytest.fixture
def standin() -> Iterator[StandIn]:
    running = StandIn(Workspace()).start()
    yield running
    running.stop()


@pytest.fixture
def client(standin: StandIn) -> WebClient:
    return make_web_client("xoxb-console", standin.api_url, timeout=30.0)


def test_message_metadata_is_shown_only_to_a_caller_that_asks_for_it(client):
    posted = client.chat_postMessage(channel="C1", text="hello", metadata=EVENT)

    plain = client.conversations_history(channel="C1")["messages"]
    asked = client.conversations_history(channel="C1", include_all_metadata=True)["messages"]
    thread = client.conversations_replies(channel="C1", ts=posted["ts"],
                                          include_all_metadata=True)["messages"]

    assert [m["ts"] for m in plain] == [posted["ts"]] and "metadata" not in plain[0]
    assert asked[0]["metadata"] == EVENT and thread[0]["metadata"] == EVENT


def test_history_pages_newest_first_and_leaves_thread_replies_in_their_thread(client):
    first = client.chat_postMessage(channel="C1", text="first")["ts"]
    client.chat_postMessage(channel="C1", text="a reply", thread_ts=first)
    second = client.chat_postMessage(channel="C1", text="second")["ts"]

    page = client.conversations_history(channel="C1", limit=1)
    rest = client.conversations_history(channel="C1", limit=1,
                                        cursor=page["response_metadata"]["next_cursor"])

    assert [m["ts"] for m in page["messages"] + rest["messages"]] == [second, first]
    assert (page["has_more"], rest["has_more"]) == (True, False)


def test_malformed_metadata_is_refused_as_slack_refuses_it(client):
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C1", text="hello", metadata={"event_payload": {}})
    assert refused.value.response["error"] == "invalid_metadata_format"


def test_a_trigger_opens_one_modal_only(standin, client):
    trigger = standin.workspace.new_trigger()
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Request"}, "blocks": []}

    opened = client.views_open(trigger_id=trigger, view=view)["view"]
    with pytest.raises(SlackApiError) as refused:
        client.views_open(trigger_id=trigger, view=view)

    assert standin.workspace.top_modal()["id"] == opened["id"]
    assert refused.value.response["error"] == "expired_trigger_id"


def test_a_response_url_the_stand_in_never_made_is_not_found(standin):
    request = urllib.request.Request(standin.root + "response/R999999", method="POST",
                                     data=json.dumps({"text": "hi"}).encode(),
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 404


def test_a_scripted_hang_answers_once_its_event_is_set(standin, client):
    released = threading.Event()
    standin.faults.hang_next("chat.postMessage", until=released)  # posted, then no answer
    answers: list[str] = []
    asking = threading.Thread(target=lambda: answers.append(
        client.chat_postMessage(channel="C1", text="hello")["ts"]))
    asking.start()

    posted = wait_for(lambda: standin.workspace.history("C1"))
    assert answers == []  # stored, and the answer held back
    released.set()
    asking.join(30)

    assert answers == [posted[0].ts]


def wait_for(condition, timeout: float = 30.0):
    """condition()'s first truthy value, polled; AssertionError after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.01)
    return value


def test_views_publish_keeps_one_home_per_user_under_one_view_id(standin, client):
    home = {"type": "home", "blocks": [{"type": "section",
                                        "text": {"type": "mrkdwn", "text": "first"}}]}

    first = client.views_publish(user_id="U1", view=home)["view"]
    again = client.views_publish(user_id="U1", view={**home, "blocks": []})["view"]
    with pytest.raises(SlackApiError) as refused:
        client.views_publish(user_id="U1", view={"type": "modal", "blocks": []})

    assert again["id"] == first["id"] and standin.workspace.homes["U1"]["blocks"] == []
    assert refused.value.response["error"] == "invalid_arguments"
