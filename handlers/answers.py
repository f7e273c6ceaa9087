"""Answers sent in the acknowledgement itself; only a late one goes to the response URL.

Slack shows an acknowledgement's body (HTTP mode) or its `payload` (Socket Mode) as the
answer, so a ready answer costs no second request. Slack waits 3 s for the acknowledgement:
an answer not ready within `Deps.answer_seconds` is acknowledged empty and sent to the
response URL when it is ready.
"""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as NotYet
from typing import Any

from slack_bolt import Ack, Respond

from handlers.deps import Deps
from handlers.errors import report, user_text
from handlers.render.mrkdwn import Rendered


def answer_in_ack(deps: Deps, ack: Ack, respond: Respond, body: dict[str, Any], client: Any,
                  make: Callable[[], Rendered]) -> None:
    """Acknowledge with make()'s answer, ephemeral; if it is late, with nothing, and send it
    to the response URL once it is ready. A failure is answered the same way, in the error
    handler's words (a refusal in its own, anything else as a logged reference)."""
    future = deps.answers.submit(make)
    try:
        reply = future.result(timeout=deps.answer_seconds)
    except NotYet:
        ack()  # in time for Slack's 3 s; the answer follows
        future.add_done_callback(lambda done: send_late(done, respond, body, client, deps))
        return
    except Exception as error:
        ack(text=user_text(error, deps.zone), response_type="ephemeral")
        return
    ack(text=reply.text, blocks=reply.blocks, response_type="ephemeral")


def send_late(done: Future[Rendered], respond: Respond, body: dict[str, Any],
              client: Any, deps: Deps) -> None:
    """The late answer to the response URL (or its failure, reported to the same person)."""
    try:
        reply = done.result()
        respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
    except Exception as error:  # nobody else sees it: this runs after the listener returned
        report(error, body, client, deps.zone)
