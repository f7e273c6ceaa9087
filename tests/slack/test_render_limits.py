"""Every result message fits Slack's Block Kit limits, however many orders or long reasons."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from domain.job_result import JobResult
from domain.model import Action
from domain.requests import Decision, Request
from handlers.render.request_message import final_request_message
from handlers.render.results import result_reply
from tests.blockkit_limits import assert_message_fits, message_problems, view_problems

AT = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
LONG_REASON = ("An active duplicate of the order exists ("
               + ", ".join(f"QSP2611240{n:03d}" for n in range(300))
               + "); a new request is allowed.")


def _results(action: Action, count: int, failing_every: int) -> list[JobResult]:
    done, failed = {Action.RESYNC: ("Resynced", "Failed to Resync"),
                    Action.RESTORE: ("Recovered", "Failed to Recover")}[action]
    results = []
    for n in range(count):
        old = f"QSP2611230{n:03d}"
        if n % failing_every == 0:
            results.append(JobResult(n, action, failed, old, None, "duplicate_alive",
                                     LONG_REASON, True))
        else:
            new = f"QSP2611260{n:03d}" if action is Action.RESYNC else old
            results.append(JobResult(n, action, done, old, new))
    return results


def _request(action: Action) -> Request:
    return Request(action, "UREQUESTER1", AT, note="<&>" * 2000, decision=Decision.APPROVED,
                   decided_by="UAPPROVER1", decided_at=AT, channel_id="C1",
                   message_ts="1.1", id=7)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("count, failing_every", [(1, 1), (1, 2), (3, 2), (200, 2), (1000, 1)])
def test_result_replies_and_request_messages_fit_block_kit(action, count, failing_every):
    results = _results(action, count, failing_every)

    for message in (result_reply(results, "UREQUESTER1", 7),
                    final_request_message(_request(action), results, UTC)):
        assert_message_fits(message.text, message.blocks)
        assert not any(b["type"] == "actions" for b in message.blocks)


def test_a_summary_too_long_for_one_message_says_how_many_it_leaves_out():
    results = _results(Action.RESYNC, 1000, 1)

    reply = result_reply(results, "UREQUESTER1", 7)

    assert reply.text.startswith("Failed to Resync 1000 (1000 orders)")
    assert reply.blocks[-1]["text"]["text"].endswith("more failures.")


def test_the_checker_names_each_limit_a_message_breaks():
    button = {"type": "button", "text": {"type": "plain_text", "text": "b" * 76},
              "action_id": "a" * 256, "value": "v"}
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3001}},
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}},
        {"type": "actions", "elements": [button]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}]
    blocks += [{"type": "divider"}] * 47

    problems = message_problems("t" * 40_001, blocks)

    assert len(problems) == 7, problems
    for words in ("message text", "51 blocks", "3001 characters", "151 characters",
                  "button text", "action_id", "11 elements"):
        assert any(words in p for p in problems), words


def test_the_checker_counts_the_text_of_all_blocks_together():
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3000}}] * 5

    assert message_problems("t", blocks) == [
        "blocks show 15000 characters, more than 12000"]


def test_the_checker_reads_views_too():
    view = {"type": "modal", "title": {"type": "plain_text", "text": "t" * 25},
            "private_metadata": "m" * 3001, "blocks": [{"type": "divider"}] * 101}

    assert len(view_problems(view)) == 3
